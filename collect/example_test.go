package collect_test

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/gorilla/websocket"
	"github.com/oddsflow/oddsflow/collect"
)

func ExampleWebSocket() {
	// A provider that sends two updates after a subscription.
	up := websocket.Upgrader{}
	provider := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, _ := up.Upgrade(w, r, nil)
		defer c.Close()
		_, sub, _ := c.ReadMessage()
		c.WriteMessage(websocket.TextMessage, []byte(`{"seq":1,"after":`+string(sub)+`}`))
		c.WriteMessage(websocket.TextMessage, []byte(`{"seq":2}`))
		c.ReadMessage()
	}))
	defer provider.Close()

	ws := collect.NewWebSocket(collect.WebSocketConfig{
		URL:      "ws" + strings.TrimPrefix(provider.URL, "http"),
		Provider: "feedx",
		Handshake: func(ctx context.Context, last collect.Position) ([][]byte, error) {
			return [][]byte{[]byte(fmt.Sprintf(`{"since":%d}`, last.Seq))}, nil
		},
		Backoff: collect.Backoff{Initial: 100 * time.Millisecond, Max: 30 * time.Second},
	})
	defer ws.Close()
	for range 2 {
		env, err := ws.Next(context.Background())
		if err != nil {
			panic(err)
		}
		fmt.Println(env.Provider, string(env.Payload))
	}
	// Output:
	// feedx {"seq":1,"after":{"since":0}}
	// feedx {"seq":2}
}

func ExampleStream() {
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	defer l.Close()
	go func() {
		c, _ := l.Accept()
		defer c.Close()
		bufio.NewReader(c).ReadString('\n') // the authentication line
		fmt.Fprint(c, "{\"op\":\"connection\"}\r\n{\"op\":\"mcm\",\"clk\":\"AAA\"}\r\n")
		c.Read(make([]byte, 1))
	}()
	s := collect.NewStream(collect.StreamConfig{
		Addr: l.Addr().String(), Framing: collect.Lines, Provider: "betfair", Schema: "mcm",
		Handshake: func(context.Context, collect.Position) ([][]byte, error) {
			return [][]byte{[]byte(`{"op":"authentication","appKey":"…","session":"…"}`)}, nil
		},
	})
	defer s.Close()
	for range 2 {
		env, _ := s.Next(context.Background())
		fmt.Println(string(env.Payload))
	}
	// Output:
	// {"op":"connection"}
	// {"op":"mcm","clk":"AAA"}
}

func ExamplePush() {
	push := collect.NewPush(collect.PushConfig{Keys: map[string]string{"k-123": "bet365"}})
	srv := httptest.NewServer(push)
	defer srv.Close()
	req, _ := http.NewRequest(http.MethodPost, srv.URL, strings.NewReader(`{"market":"m","price":"5/2"}`))
	req.Header.Set("X-API-Key", "k-123")
	resp, _ := http.DefaultClient.Do(req)
	fmt.Println(resp.Status)
	env, _ := push.Next(context.Background())
	fmt.Println(env.Provider, string(env.Payload))
	// Output:
	// 202 Accepted
	// bet365 {"market":"m","price":"5/2"}
}

func ExamplePoll() {
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `{"last":42,"since":"%s"}`, r.URL.Query().Get("since"))
	}))
	defer api.Close()
	p := collect.NewPoll(collect.PollConfig{
		Request: func(ctx context.Context, cursor string) (*http.Request, error) {
			return http.NewRequestWithContext(ctx, http.MethodGet, api.URL+"?since="+cursor, nil)
		},
		Cursor:   collect.JSONCursor("last"),
		Interval: time.Millisecond,
		Provider: "pinnacle",
	})
	for range 2 {
		env, _ := p.Next(context.Background())
		fmt.Println(string(env.Payload), env.Token)
	}
	// Output:
	// {"last":42,"since":""} 42
	// {"last":42,"since":"42"} 42
}

func ExampleReplay() {
	dir, _ := os.MkdirTemp("", "replay")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "feed.jsonl.gz")
	f, _ := os.Create(path)
	rec := collect.NewRecorder(collect.Slice(
		collect.Envelope{Provider: "feedx", Payload: []byte(`{"a":1}`), ReceivedAt: time.Unix(1795000000, 0)},
		collect.Envelope{Provider: "feedx", Payload: []byte(`{"a":2}`), ReceivedAt: time.Unix(1795000001, 0)},
	), f, true)
	for {
		if _, err := rec.Next(context.Background()); err != nil {
			break
		}
	}
	rec.Close()

	r, _ := collect.Replay(collect.ReplayConfig{}, path)
	defer r.Close()
	for {
		env, err := r.Next(context.Background())
		if err != nil {
			fmt.Println(err)
			break
		}
		fmt.Println(env.ReceivedAt.Unix(), string(env.Payload))
	}
	// Output:
	// 1795000000 {"a":1}
	// 1795000001 {"a":2}
	// EOF
}

func ExampleMerge() {
	// Two connections to one feed, each an ordered stream of its own.
	first := collect.Slice(
		collect.Envelope{Provider: "simbook", Payload: []byte(`{"n":1}`)},
		collect.Envelope{Provider: "simbook", Payload: []byte(`{"n":2}`)})
	second := collect.Slice(collect.Envelope{Provider: "simbook", Payload: []byte(`{"n":3}`)})
	merged := collect.Merge(first, second)
	defer merged.Close()
	byStream := map[uint32][]string{}
	for {
		env, err := merged.Next(context.Background())
		if err != nil {
			fmt.Println("end:", err)
			break
		}
		byStream[env.Stream] = append(byStream[env.Stream], string(env.Payload))
	}
	fmt.Println("stream 0:", byStream[0])
	fmt.Println("stream 1:", byStream[1])
	// Output:
	// end: EOF
	// stream 0: [{"n":1} {"n":2}]
	// stream 1: [{"n":3}]
}
