package collect

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"
)

// lineServer serves numbered CRLF lines from the number a client subscribes
// from, dropping the connection every closeEvery lines, and misbehaving on
// chosen connections: an oversized line, or silence.
func lineServer(t *testing.T, total, closeEvery int, oversizeOn, silentOn map[int]bool) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	var mu sync.Mutex
	conns := 0
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns++
			n := conns
			mu.Unlock()
			go func() {
				defer c.Close()
				br := bufio.NewReader(c)
				auth, _ := br.ReadString('\n')
				sub, _ := br.ReadString('\n')
				var from int
				if !strings.HasPrefix(auth, `{"op":"authentication"`) || !strings.HasSuffix(sub, "\r\n") {
					return
				}
				fmt.Sscanf(sub, `{"op":"subscribe","from":%d}`, &from)
				w := bufio.NewWriter(c)
				for seq, sent := max(1, from-2), 0; seq <= total; seq, sent = seq+1, sent+1 {
					if sent == 3 && oversizeOn[n] {
						w.WriteString(strings.Repeat("y", 300) + "\r\n")
						w.Flush()
						return
					}
					if sent == 3 && silentOn[n] {
						w.Flush()
						io.Copy(io.Discard, c) // silent until the client goes
						return
					}
					if sent == closeEvery {
						w.Flush()
						return
					}
					fmt.Fprintf(w, "{\"seq\":%d}\r\n", seq)
					if seq%7 == 0 {
						w.WriteString("\r\n") // a keep-alive
					}
				}
				w.Flush()
				io.Copy(io.Discard, c)
			}()
		}
	}()
	return l.Addr().String()
}

func TestStreamLines(t *testing.T) {
	addr := lineServer(t, 1000, 40, map[int]bool{4: true}, map[int]bool{6: true})
	reasons := map[string]int{}
	connects := 0
	s := NewStream(StreamConfig{
		Addr: addr, Provider: "betfair", Schema: "mcm",
		Handshake: func(_ context.Context, last Position) ([][]byte, error) {
			return [][]byte{[]byte(`{"op":"authentication","session":"s"}`), []byte(fmt.Sprintf(`{"op":"subscribe","from":%d}`, last.Seq+1))}, nil
		},
		Position:    seqOf,
		MaxMessage:  256,
		IdleTimeout: 200 * time.Millisecond,
		Backoff:     Backoff{Initial: time.Millisecond, Max: 5 * time.Millisecond, Seed: 1},
		Hooks: Hooks{
			Connected: func(string) { connects++ },
			Disconnected: func(_ string, err error) {
				switch {
				case errors.Is(err, ErrMessageTooLarge):
					reasons["oversize"]++
				case errors.Is(err, io.EOF):
					reasons["closed"]++
				default:
					var ne net.Error
					if errors.As(err, &ne) && ne.Timeout() {
						reasons["silent"]++
					} else {
						reasons[err.Error()]++
					}
				}
			},
		},
	})
	defer s.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for want := uint64(1); want <= 1000; want++ {
		env, err := s.Next(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if env.Seq != want || string(env.Payload) != fmt.Sprintf(`{"seq":%d}`, want) {
			t.Fatalf("got %q (seq %d), want seq %d", env.Payload, env.Seq, want)
		}
	}
	t.Logf("1000 lines exactly once in order over %d connections; disconnects %v", connects, reasons)
	if connects < 20 || reasons["oversize"] != 1 || reasons["silent"] < 1 { // a loaded machine may add a silence
		t.Errorf("%d connections, disconnects %v", connects, reasons)
	}
}

func gzipFrame(t testing.TB, payload []byte) []byte {
	var z bytes.Buffer
	zw := gzip.NewWriter(&z)
	zw.Write(payload)
	zw.Close()
	out := binary.BigEndian.AppendUint32(nil, uint32(z.Len()))
	return append(out, z.Bytes()...)
}

func TestStreamGzipFramesAndBomb(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	bomb := gzipFrame(t, make([]byte, 8<<20)) // 8 MiB of zeros in about 8 KB
	go func() {
		for n := 1; ; n++ {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				c.Write(gzipFrame(t, []byte(fmt.Sprintf(`{"conn":%d,"msg":1}`, n))))
				if n == 1 {
					c.Write(bomb)
				}
				c.Write(gzipFrame(t, []byte(fmt.Sprintf(`{"conn":%d,"msg":2}`, n))))
				io.Copy(io.Discard, c)
			}()
		}
	}()
	var dropped []error
	s := NewStream(StreamConfig{Addr: l.Addr().String(), Framing: GzipFrames, MaxMessage: 1 << 20,
		Backoff: Backoff{Initial: time.Millisecond, Seed: 1},
		Hooks:   Hooks{Disconnected: func(_ string, err error) { dropped = append(dropped, err) }}})
	defer s.Close()
	var got []string
	for range 3 {
		env, err := s.Next(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, string(env.Payload))
	}
	if fmt.Sprint(got) != `[{"conn":1,"msg":1} {"conn":2,"msg":1} {"conn":2,"msg":2}]` {
		t.Errorf("got %v", got)
	}
	if len(dropped) != 1 || !errors.Is(dropped[0], ErrMessageTooLarge) {
		t.Errorf("drops %v, want the gzip bomb refused", dropped)
	}
}

func FuzzReadLine(f *testing.F) {
	f.Add([]byte("a\r\nb\n\r\n"), 4)
	f.Add([]byte(strings.Repeat("x", 100)), 10)
	f.Fuzz(func(t *testing.T, data []byte, max int) {
		max = max%512 + 1
		if max < 1 {
			max = -max + 1
		}
		br := bufio.NewReaderSize(bytes.NewReader(data), 16)
		total := 0
		for {
			line, err := readLine(br, max)
			if err != nil {
				if !errors.Is(err, io.EOF) && !errors.Is(err, ErrMessageTooLarge) {
					t.Fatalf("error %v", err)
				}
				return
			}
			if len(line) > max || bytes.ContainsAny(line, "\n") {
				t.Fatalf("line %q over %d or with a newline", line, max)
			}
			total += len(line)
			if total > len(data) {
				t.Fatal("read more than the input")
			}
		}
	})
}

func FuzzReadGzipFrame(f *testing.F) {
	f.Add(gzipFrame(f, []byte(`{"a":1}`)))
	f.Add([]byte{0, 0, 0, 5, 1, 2, 3, 4, 5})
	f.Add([]byte{0xff, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, data []byte) {
		out, err := readGzipFrame(bytes.NewReader(data), 1<<16)
		if err == nil && len(out) > 1<<16 {
			t.Fatalf("%d bytes past the limit", len(out))
		}
	})
}
