package fanout_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/gorilla/websocket"
	"github.com/oddsflow/oddsflow/odds"
	"github.com/oddsflow/oddsflow/sink/fanout"
)

func Example() {
	fan := fanout.New(fanout.Config{Authorize: fanout.Token("s3cret")})
	srv := httptest.NewServer(fan) // in production: mux.Handle("/ws", fan)
	defer srv.Close()

	p, _ := odds.Parse("-110")
	at := time.Unix(1795000000, 0)
	fan.Write(context.Background(), []odds.Event{{Provider: "pinnacle", Market: "m1", Selection: "home", Price: p, SourceTime: at}})

	c, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(srv.URL, "http")+"?token=s3cret", nil)
	if err != nil {
		panic(err)
	}
	defer c.Close()
	c.WriteJSON(map[string]any{"op": "subscribe", "markets": []string{"m1"}})
	_, snapshot, _ := c.ReadMessage()
	fmt.Println(string(snapshot)[:48])

	p2, _ := odds.Parse("-115")
	fan.Write(context.Background(), []odds.Event{{Provider: "pinnacle", Market: "m1", Selection: "home", Price: p2, SourceTime: at.Add(time.Second)}})
	_, delta, _ := c.ReadMessage()
	fmt.Println(string(delta)[:44])
	// Output:
	// {"op":"snapshot","market":"m1","seq":1,"events":
	// {"op":"delta","market":"m1","seq":2,"event":
}
