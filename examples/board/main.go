// Command board serves a live odds board: a single static page that shows
// the best price of every selection across providers, highlights moves, and
// flags arbitrages, fed over a WebSocket by sink/fanout from the quickstart's
// simulated provider through the pipeline.
//
//	go run ./examples/board        # then open the address it prints
package main

import (
	"context"
	_ "embed"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"time"

	"github.com/oddsflow/oddsflow"
	"github.com/oddsflow/oddsflow/collect"
	"github.com/oddsflow/oddsflow/dedupe"
	"github.com/oddsflow/oddsflow/examples/internal/simfeed"
	"github.com/oddsflow/oddsflow/normalize"
	"github.com/oddsflow/oddsflow/normalize/generic"
	"github.com/oddsflow/oddsflow/sink"
	"github.com/oddsflow/oddsflow/sink/fanout"
)

//go:embed index.html
var page []byte

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "address to serve the board on")
	rate := flag.Int("rate", 200, "messages per second from the simulated provider")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	l, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "board:", err)
		os.Exit(1)
	}
	fmt.Printf("board on http://%s/\n", l.Addr())
	if err := serve(ctx, l, *rate); err != nil {
		fmt.Fprintln(os.Stderr, "board:", err)
		os.Exit(1)
	}
}

// serve runs the simulated feed through the pipeline into the fan-out, and
// serves the page and the socket on l, until ctx ends.
func serve(ctx context.Context, l net.Listener, rate int) error {
	feed, err := simfeed.Start(rate, 30)
	if err != nil {
		return err
	}
	defer feed.Close()
	fan := fanout.New(fanout.Config{})
	mux := http.NewServeMux()
	mux.HandleFunc("/{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write(page)
	})
	mux.Handle("/ws", fan)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(l)
	defer srv.Close()

	var reg normalize.Registry
	reg.Register("simbook", "", generic.NewOutcomes(generic.Config{}))
	ws := collect.NewWebSocket(collect.WebSocketConfig{URL: feed.URL, Provider: "simbook",
		Handshake: func(context.Context, collect.Position) ([][]byte, error) {
			return [][]byte{[]byte(`{"op":"subscribe"}`)}, nil
		}})
	defer ws.Close()
	p, err := oddsflow.New(oddsflow.Config{Source: ws, Normalizer: &reg, Sequencer: &normalize.Sequencer{},
		Deduper: dedupe.NewWindow(dedupe.WindowConfig{}), Sink: fan, DeadLetter: &sink.Memory{}})
	if err != nil {
		return err
	}
	return p.Run(ctx)
}
