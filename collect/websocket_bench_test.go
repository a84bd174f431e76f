package collect

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/gorilla/websocket"
)

// blaster sends count 200-byte messages as fast as it can, count taken from
// the request's query.
func blaster() *httptest.Server {
	up := websocket.Upgrader{WriteBufferSize: 64 << 10}
	msg := []byte(`{"provider":"pinnacle","market_id":"nfl-2026-00042:spreads","timestamp":1795000000123,"outcomes":[{"name":"home","price":-110,"line":-3.5},{"name":"away","price":-110,"line":3.5}],"pad":"xxxxxxxxxxx"}`)
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, _ := strconv.Atoi(r.URL.Query().Get("n"))
		c, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer c.Close()
		pm, _ := websocket.NewPreparedMessage(websocket.TextMessage, msg)
		for range n {
			if c.WritePreparedMessage(pm) != nil {
				return
			}
		}
		c.ReadMessage()
	}))
}

// BenchmarkWebSocket compares the collector with a bare gorilla/websocket
// read loop on the same kind of connection, in one run.
func BenchmarkWebSocket(b *testing.B) {
	srv := blaster()
	defer srv.Close()
	url := "ws" + strings.TrimPrefix(srv.URL, "http")
	b.Run("bare-gorilla", func(b *testing.B) {
		c, _, err := websocket.DefaultDialer.Dial(url+"?n="+strconv.Itoa(b.N), nil)
		if err != nil {
			b.Fatal(err)
		}
		defer c.Close()
		b.ReportAllocs()
		b.SetBytes(200)
		b.ResetTimer()
		for range b.N {
			if _, _, err := c.ReadMessage(); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
	})
	// The collector with its envelopes kept, and with each released once
	// handled, as a pipeline does, so that its slabs are read into again.
	for _, release := range []bool{false, true} {
		b.Run(map[bool]string{false: "collector", true: "collector-released"}[release], func(b *testing.B) {
			ws := NewWebSocket(WebSocketConfig{URL: url + "?n=" + strconv.Itoa(b.N), Provider: "p"})
			defer ws.Close()
			ctx := context.Background()
			b.ReportAllocs()
			b.SetBytes(200)
			b.ResetTimer()
			for range b.N {
				env, err := ws.Next(ctx)
				if err != nil {
					b.Fatal(err)
				}
				if release {
					env.Release()
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
		})
	}
}
