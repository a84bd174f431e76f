package collect

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// Pinnacle's "since" protocol, ETags, a 304, a 429 with Retry-After and a
// 500, in one conversation.
func TestPoll(t *testing.T) {
	var mu sync.Mutex
	var seen []string
	step := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		seen = append(seen, fmt.Sprintf("since=%s etag=%s", r.URL.Query().Get("since"), r.Header.Get("If-None-Match")))
		step++
		switch step {
		case 1:
			w.Header().Set("ETag", `"a"`)
			fmt.Fprint(w, `{"last":1795000000001,"leagues":[]}`)
		case 2:
			w.WriteHeader(http.StatusNotModified)
		case 3:
			w.Header().Set("Retry-After", "0")
			w.WriteHeader(http.StatusTooManyRequests)
		case 4:
			http.Error(w, "oops", http.StatusInternalServerError)
		default:
			w.Header().Set("ETag", `"b"`)
			fmt.Fprint(w, `{"last":"1795000000002","leagues":[1]}`)
		}
	}))
	defer srv.Close()
	var failures, connects int
	p := NewPoll(PollConfig{
		Request: func(ctx context.Context, cursor string) (*http.Request, error) {
			return http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/v1/odds?sportId=29&since="+cursor, nil)
		},
		Cursor:   JSONCursor("last"),
		Interval: 2 * time.Millisecond,
		Provider: "pinnacle", Schema: "odds-v1",
		Backoff: Backoff{Initial: time.Millisecond, Seed: 1},
		Hooks: Hooks{
			Disconnected: func(string, error) { failures++ },
			Connected:    func(string) { connects++ },
		},
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var tokens []string
	for range 2 {
		env, err := p.Next(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if env.Provider != "pinnacle" || len(env.Payload) == 0 {
			t.Fatalf("envelope %+v", env)
		}
		tokens = append(tokens, env.Token)
	}
	mu.Lock()
	defer mu.Unlock()
	if fmt.Sprint(tokens) != "[1795000000001 1795000000002]" {
		t.Errorf("tokens %v", tokens)
	}
	want := `[since= etag= since=1795000000001 etag="a" since=1795000000001 etag="a" since=1795000000001 etag="a" since=1795000000001 etag="a"]`
	if fmt.Sprint(seen) != want {
		t.Errorf("requests\n %v\nwant\n %v", seen, want)
	}
	if failures != 1 || connects != 2 {
		t.Errorf("%d failures, %d (re)connects; want the 500 as one failure", failures, connects)
	}
}

func TestRetryAfter(t *testing.T) {
	if d, ok := retryAfter("3"); !ok || d != 3*time.Second {
		t.Error("seconds")
	}
	if _, ok := retryAfter("soon"); ok {
		t.Error("garbage accepted")
	}
	if d, ok := retryAfter(time.Now().Add(-time.Hour).UTC().Format(http.TimeFormat)); !ok || d != 0 {
		t.Error("a past date")
	}
}

func TestOddsAPIRequest(t *testing.T) {
	req, err := OddsAPIRequest("https://api.example", "americanfootball_nfl", "k", "us", "h2h,spreads", "american")(context.Background(), "")
	if err != nil || req.URL.String() != "https://api.example/v4/sports/americanfootball_nfl/odds?apiKey=k&markets=h2h%2Cspreads&oddsFormat=american&regions=us" {
		t.Errorf("%v %v", req.URL, err)
	}
}

func FuzzJSONCursor(f *testing.F) {
	f.Add([]byte(`{"last":1795000000001}`))
	f.Add([]byte(`{"last":"abc"}`))
	f.Add([]byte(`{"last":{"x":1}}`))
	f.Add([]byte(`[1,2]`))
	cursor := JSONCursor("last")
	f.Fuzz(func(t *testing.T, body []byte) {
		c := cursor(nil, body)
		if c != "" && !json.Valid(body) {
			t.Fatalf("cursor %q from invalid JSON %q", c, body)
		}
	})
}
