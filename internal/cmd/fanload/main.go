// Command fanload load-tests sink/fanout on loopback: it writes updates at a
// fixed rate to a Fanout with many WebSocket clients connected, and reports
// the delivery latency from sink write to client read, lost updates among
// clients that kept up, conflations, drops, and memory.
//
// usage: fanload [-clients 1000] [-rate 10000] [-markets 100] [-per-client 1] [-duration 20s]
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"runtime"

	"sync"
	"time"

	"github.com/gorilla/websocket"
	"github.com/oddsflow/oddsflow/internal/hist"
	"github.com/oddsflow/oddsflow/odds"
	"github.com/oddsflow/oddsflow/sink/fanout"
)

func main() {
	clients := flag.Int("clients", 1000, "WebSocket clients")
	rate := flag.Int("rate", 10000, "updates per second written to the fan-out")
	markets := flag.Int("markets", 100, "markets the updates are spread over")
	perClient := flag.Int("per-client", 1, "markets each client subscribes to")
	duration := flag.Duration("duration", 20*time.Second, "how long to write")
	flag.Parse()
	if err := run(*clients, *rate, *markets, *perClient, *duration); err != nil {
		fmt.Fprintln(os.Stderr, "fanload:", err)
		os.Exit(1)
	}
}

type result struct {
	mu        sync.Mutex
	h         hist.Histogram
	received  int64
	lost      int64
	conflated int64
	dropped   int64
}

func run(nClients, rate, nMarkets, perClient int, duration time.Duration) error {
	f := fanout.New(fanout.Config{})
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: f}
	go srv.Serve(l)
	defer srv.Close()
	url := "ws://" + l.Addr().String()

	var res result
	var wg sync.WaitGroup
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	for i := range nClients {
		subs := make([]string, perClient)
		for j := range subs {
			subs[j] = fmt.Sprintf("m%d", (i*perClient+j)%nMarkets)
		}
		c, _, err := websocket.DefaultDialer.Dial(url, nil)
		if err != nil {
			return fmt.Errorf("client %d: %w", i, err)
		}
		c.WriteJSON(map[string]any{"op": "subscribe", "markets": subs})
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer c.Close()
			go func() { <-ctx.Done(); c.Close() }()
			read(c, &res)
		}()
	}
	for f.Clients() < nClients {
		runtime.Gosched()
	}
	var before runtime.MemStats
	runtime.ReadMemStats(&before)

	p, _ := odds.FromAmerican(-110)
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	start := time.Now()
	written, owed := 0, 0.0
	var peak uint64
	for time.Since(start) < duration {
		<-tick.C
		owed += float64(rate) / 1000
		batch := make([]odds.Event, 0, int(owed)+1)
		for ; owed >= 1; owed-- {
			batch = append(batch, odds.Event{Provider: "pinnacle", Market: fmt.Sprintf("m%d", written%nMarkets),
				Selection: []string{"home", "away"}[written/nMarkets%2], Price: p, ReceivedAt: time.Now()})
			written++
		}
		f.Write(ctx, batch)
		if written%(rate) < len(batch) { // once a second
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapInuse)
		}
	}
	// Let the clients drain: until nothing arrives for a second.
	for last := int64(-1); ; {
		time.Sleep(time.Second) // a load generator pacing itself, not a test's synchronization
		res.mu.Lock()
		n := res.received
		res.mu.Unlock()
		if n == last {
			break
		}
		last = n
	}
	cancel()
	f.Close(context.Background())
	wg.Wait()
	elapsed := time.Since(start)
	fmt.Printf("fan-out: %d clients, %d markets, %d per client; %d updates written at %d/s for %v\n", nClients, nMarkets, perClient, written, rate, duration)
	fmt.Printf("delivered %d messages (%.0f/s); lost among clients that kept up: %d; conflation notices %d; clients dropped %d\n",
		res.received, float64(res.received)/elapsed.Seconds(), res.lost, res.conflated, res.dropped)
	fmt.Printf("delivery latency, sink write to client read: p50 %v p90 %v p99 %v p99.9 %v max %v\n",
		res.h.Quantile(.5), res.h.Quantile(.9), res.h.Quantile(.99), res.h.Quantile(.999), res.h.Max())
	fmt.Printf("heap in use: %d MiB before writing, %d MiB at peak\n", before.HeapInuse>>20, peak>>20)
	return nil
}

// field returns the integer after key in a message, without decoding the
// JSON: the clients stay cheap, so the machine's time goes to the server.
func field(data []byte, key string) (int64, bool) {
	i := bytes.Index(data, []byte(key))
	if i < 0 {
		return 0, false
	}
	v, j := int64(0), i+len(key)
	for ; j < len(data) && data[j] >= '0' && data[j] <= '9'; j++ {
		v = v*10 + int64(data[j]-'0')
	}
	return v, j > i+len(key)
}

// market returns the "market" string of a message.
func market(data []byte) string {
	i := bytes.Index(data, []byte(`"market":"`))
	if i < 0 {
		return ""
	}
	rest := data[i+10:]
	return string(rest[:bytes.IndexByte(rest, '"')])
}

func read(c *websocket.Conn, res *result) {
	last := map[string]uint64{}
	conflated := false
	var local hist.Histogram
	var received, lost int64
	defer func() {
		res.mu.Lock()
		res.h.Merge(&local)
		res.received += received
		res.lost += lost
		res.mu.Unlock()
	}()
	for {
		_, data, err := c.ReadMessage()
		if err != nil {
			if ce, ok := err.(*websocket.CloseError); ok && ce.Code == websocket.CloseTryAgainLater {
				res.mu.Lock()
				res.dropped++
				res.mu.Unlock()
			}
			return
		}
		now := time.Now()
		switch {
		case bytes.HasPrefix(data, []byte(`{"op":"conflated"`)):
			conflated = true
			res.mu.Lock()
			res.conflated++
			res.mu.Unlock()
		case bytes.HasPrefix(data, []byte(`{"op":"snapshot"`)):
			seq, _ := field(data, `"seq":`)
			last[market(data)] = uint64(seq)
		case bytes.HasPrefix(data, []byte(`{"op":"delta"`)):
			received++
			m := market(data)
			seq, _ := field(data, `"seq":`)
			if prev, ok := last[m]; ok && uint64(seq) != prev+1 && !conflated {
				lost += seq - int64(prev) - 1
			}
			last[m] = uint64(seq)
			if ns, ok := field(data, `"received_at":`); ok {
				local.Record(now.Sub(time.Unix(0, ns)))
			}
		}
	}
}
