package collect

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func post(t *testing.T, url, key, contentType, body string) *http.Response {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set("X-Schema", "v1")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp
}

func TestPush(t *testing.T) {
	now := time.Unix(1795000000, 0)
	p := NewPush(PushConfig{Keys: map[string]string{"secret-1": "pinnacle", "secret-2": "fanduel"}, MaxBody: 64, Queue: 3,
		Rate: 1, Burst: 3, Wait: 10 * time.Millisecond, Now: func() time.Time { return now }})
	srv := httptest.NewServer(p)
	defer srv.Close()

	cases := []struct {
		key, ct, body string
		want          int
	}{
		{"", "", `{}`, 401},
		{"wrong", "", `{}`, 401},
		{"secret-1", "", strings.Repeat("x", 65), 413},
		{"secret-1", "", `{"a":1}`, 202},
		{"secret-2", "application/x-ndjson", "{\"b\":1}\n\n{\"b\":2}\n", 202},
		{"secret-2", "", `{"c":1}`, 503}, // the queue holds 3: full
	}
	for i, c := range cases {
		if got := post(t, srv.URL, c.key, c.ct, c.body).StatusCode; got != c.want {
			t.Errorf("case %d: status %d, want %d", i, got, c.want)
		}
	}
	resp := post(t, srv.URL, "secret-2", "", `{"c":1}`)
	if resp.StatusCode != 503 || resp.Header.Get("Retry-After") == "" {
		t.Errorf("full queue: %d, Retry-After %q", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	var got []string
	for range 3 {
		env, err := p.Next(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, fmt.Sprintf("%s:%s:%s", env.Provider, env.Schema, env.Payload))
		if !env.ReceivedAt.Equal(now) {
			t.Errorf("ReceivedAt %v", env.ReceivedAt)
		}
	}
	if fmt.Sprint(got) != `[pinnacle:v1:{"a":1} fanduel:v1:{"b":1} fanduel:v1:{"b":2}]` {
		t.Errorf("received %v", got)
	}
	// The rate limit: secret-2 has spent its burst of 3 with time standing still.
	resp = post(t, srv.URL, "secret-2", "", `{"d":1}`)
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") != "1" {
		t.Errorf("rate limit: %d, Retry-After %q", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	now = now.Add(time.Second) // a token comes back
	if got := post(t, srv.URL, "secret-2", "", `{"d":1}`).StatusCode; got != 202 {
		t.Errorf("after a second: %d", got)
	}
	if got := post(t, srv.URL, "secret-1", "", `{}`); got.StatusCode != 202 {
		t.Errorf("another key has its own bucket: %d", got.StatusCode)
	}
	req, _ := http.NewRequest(http.MethodGet, srv.URL, nil)
	if resp, _ := http.DefaultClient.Do(req); resp.StatusCode != 405 {
		t.Errorf("GET: %d", resp.StatusCode)
	}
}
