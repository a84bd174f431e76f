package collect

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"container/heap"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// A recording holds one envelope per line:
//
//	{"provider":"betfair","schema":"mcm","received_at":1650392673420000000,"seq":0,"token":"AAB","gap":0,"payload":"{\"op\":\"mcm\",...}"}
//
// An envelope whose Stream is not 0 has a "stream" field too.
//
// The payload is a JSON string when it is valid UTF-8 (JSON's escapes give
// back the same bytes), else "payload_base64". Times are Unix nanoseconds.
type record struct {
	Provider   string  `json:"provider"`
	Schema     string  `json:"schema,omitempty"`
	Stream     uint32  `json:"stream,omitempty"`
	ReceivedAt int64   `json:"received_at"`
	Seq        uint64  `json:"seq,omitempty"`
	Token      string  `json:"token,omitempty"`
	Gap        uint64  `json:"gap,omitempty"`
	Payload    *string `json:"payload,omitempty"`
	Base64     []byte  `json:"payload_base64,omitempty"`
}

// Recorder is a Source that passes on the envelopes of another Source and
// writes each one to a recording first. A failed write is returned from Next
// (with no envelope), since a recording with holes would replay wrong.
type Recorder struct {
	src Source
	mu  sync.Mutex
	w   io.Writer
	bw  *bufio.Writer
	gz  *gzip.Writer
}

// NewRecorder records src's envelopes to w, gzip-compressed if compress is
// set. Close flushes; it closes w if it is an [io.Closer].
func NewRecorder(src Source, w io.Writer, compress bool) *Recorder {
	r := &Recorder{src: src, w: w}
	out := w
	if compress {
		r.gz = gzip.NewWriter(w)
		out = r.gz
	}
	r.bw = bufio.NewWriterSize(out, 64<<10)
	return r
}

// Next returns src's next envelope once it is in the recording's buffer.
func (r *Recorder) Next(ctx context.Context) (Envelope, error) {
	env, err := r.src.Next(ctx)
	if err != nil {
		return env, err
	}
	if err := r.Write(env); err != nil {
		return Envelope{}, err
	}
	return env, nil
}

// Write appends one envelope to the recording.
func (r *Recorder) Write(env Envelope) error {
	rec := record{Provider: env.Provider, Schema: env.Schema, Stream: env.Stream, Seq: env.Seq, Token: env.Token, Gap: env.Gap}
	if !env.ReceivedAt.IsZero() {
		rec.ReceivedAt = env.ReceivedAt.UnixNano()
	}
	if utf8.Valid(env.Payload) {
		s := string(env.Payload)
		rec.Payload = &s
	} else {
		rec.Base64 = env.Payload
	}
	line, err := json.Marshal(rec)
	if err != nil {
		return fmt.Errorf("collect: recording: %w", err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, err := r.bw.Write(append(line, '\n')); err != nil {
		return fmt.Errorf("collect: recording: %w", err)
	}
	return nil
}

// Flush pushes buffered lines to the writer.
func (r *Recorder) Flush() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.bw.Flush(); err != nil {
		return err
	}
	if r.gz != nil {
		return r.gz.Flush()
	}
	return nil
}

// Close flushes, ends the gzip stream, and closes the writer if it can.
func (r *Recorder) Close() error {
	err := r.Flush()
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.gz != nil {
		err = errors.Join(err, r.gz.Close())
	}
	if c, ok := r.w.(io.Closer); ok {
		err = errors.Join(err, c.Close())
	}
	return err
}

// ReplayConfig configures [Replay].
type ReplayConfig struct {
	// Speed paces the replay: 0 delivers as fast as the consumer reads; 1
	// keeps the recorded gaps between messages; 10 replays ten times faster.
	// Pacing runs on the time package's clock, which testing/synctest fakes.
	Speed float64
	// Provider and Schema label lines that are raw provider messages rather
	// than recorded envelopes (a Betfair historical file, one stream message
	// per line).
	Provider, Schema string
	// RawTime gives a raw line's time, which orders it among the other files
	// and becomes its ReceivedAt. Default: the message's "pt" (publish time,
	// Unix ms) when it has one.
	RawTime func(line []byte) (time.Time, bool)
}

// Replay returns a Source that reads recordings (or raw message files) and
// yields their envelopes merged by receive time: the same files always give
// the same envelopes in the same order (a tie goes to the earlier file, then
// the earlier line). Files may be gzip-compressed. It ends with io.EOF; its
// Close closes the files.
func Replay(cfg ReplayConfig, paths ...string) (*Replayer, error) {
	r := &Replayer{cfg: cfg}
	if r.cfg.RawTime == nil {
		r.cfg.RawTime = publishTime
	}
	for i, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			r.Close()
			return nil, fmt.Errorf("collect: replay: %w", err)
		}
		r.files = append(r.files, f)
		rd, err := maybeGunzip(bufio.NewReaderSize(f, 64<<10))
		if err != nil {
			r.Close()
			return nil, fmt.Errorf("collect: replay %s: %w", p, err)
		}
		in := &input{name: p, order: i, sc: bufio.NewScanner(rd)}
		in.sc.Buffer(make([]byte, 64<<10), 64<<20)
		if err := r.advance(in); err != nil {
			r.Close()
			return nil, err
		}
	}
	return r, nil
}

// Replayer is the Source [Replay] returns.
type Replayer struct {
	cfg   ReplayConfig
	files []*os.File
	heap  inputs
	first time.Time // the first envelope's time, for pacing
	start time.Time // when the first envelope was delivered
}

type input struct {
	name  string
	order int
	line  int
	sc    *bufio.Scanner
	head  Envelope
}

type inputs []*input

func (h inputs) Len() int { return len(h) }
func (h inputs) Less(i, j int) bool {
	a, b := h[i].head.ReceivedAt, h[j].head.ReceivedAt
	if !a.Equal(b) {
		return a.Before(b)
	}
	return h[i].order < h[j].order
}
func (h inputs) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *inputs) Push(x any)   { *h = append(*h, x.(*input)) }
func (h *inputs) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// advance reads in's next line into its head and puts it back in the heap,
// or drops it at the end of its file.
func (r *Replayer) advance(in *input) error {
	for in.sc.Scan() {
		in.line++
		line := bytes.TrimSpace(in.sc.Bytes())
		if len(line) == 0 {
			continue
		}
		in.head = r.decode(line)
		heap.Push(&r.heap, in)
		return nil
	}
	if err := in.sc.Err(); err != nil {
		return fmt.Errorf("collect: replay %s: %w", in.name, err)
	}
	return nil
}

// decode reads a recorded envelope, or takes the line as a raw message: a
// line that is not a recorded envelope is a provider's own message.
func (r *Replayer) decode(line []byte) Envelope {
	var rec record
	if line[0] == '{' && json.Unmarshal(line, &rec) == nil && (rec.Payload != nil || rec.Base64 != nil) {
		env := Envelope{Provider: rec.Provider, Schema: rec.Schema, Stream: rec.Stream, Seq: rec.Seq, Token: rec.Token, Gap: rec.Gap, Payload: rec.Base64}
		if rec.Payload != nil {
			env.Payload = []byte(*rec.Payload)
		}
		if rec.ReceivedAt != 0 {
			env.ReceivedAt = time.Unix(0, rec.ReceivedAt).UTC()
		}
		return env
	}
	env := Envelope{Provider: r.cfg.Provider, Schema: r.cfg.Schema, Payload: bytes.Clone(line)}
	if t, ok := r.cfg.RawTime(line); ok {
		env.ReceivedAt = t
	}
	return env
}

// Next returns the earliest envelope not yet returned, waiting first when paced.
func (r *Replayer) Next(ctx context.Context) (Envelope, error) {
	if err := ctx.Err(); err != nil {
		return Envelope{}, err
	}
	if r.heap.Len() == 0 {
		return Envelope{}, io.EOF
	}
	in := heap.Pop(&r.heap).(*input)
	env := in.head
	if err := r.advance(in); err != nil {
		return Envelope{}, err
	}
	if r.cfg.Speed > 0 && !env.ReceivedAt.IsZero() {
		if r.first.IsZero() {
			r.first, r.start = env.ReceivedAt, time.Now()
		}
		due := r.start.Add(time.Duration(float64(env.ReceivedAt.Sub(r.first)) / r.cfg.Speed))
		if wait := time.Until(due); wait > 0 {
			t := time.NewTimer(wait)
			select {
			case <-ctx.Done():
				t.Stop()
				return Envelope{}, ctx.Err()
			case <-t.C:
			}
		}
	}
	return env, nil
}

// Close closes the files.
func (r *Replayer) Close() error {
	var err error
	for _, f := range r.files {
		err = errors.Join(err, f.Close())
	}
	return err
}

func maybeGunzip(br *bufio.Reader) (io.Reader, error) {
	magic, err := br.Peek(2)
	if err == nil && magic[0] == 0x1f && magic[1] == 0x8b {
		return gzip.NewReader(br)
	}
	return br, nil
}

// publishTime reads a top-level "pt" (Unix milliseconds, or seconds with a
// fraction below 10^11) from a raw message, as Betfair's stream and
// historical files have. It parses the digits exactly, without floats.
func publishTime(line []byte) (time.Time, bool) {
	var m struct {
		PT json.Number `json:"pt"`
	}
	if json.Unmarshal(line, &m) != nil || m.PT == "" {
		return time.Time{}, false
	}
	whole, frac, _ := strings.Cut(string(m.PT), ".")
	n, err := strconv.ParseInt(whole, 10, 64)
	if err != nil || n <= 0 || n > 1e15 {
		return time.Time{}, false
	}
	if n >= 1e11 {
		return time.UnixMilli(n).UTC(), true
	}
	frac = (frac + "000")[:3] // seconds: keep milliseconds
	ms, err := strconv.ParseInt(frac, 10, 64)
	if err != nil {
		return time.Time{}, false
	}
	return time.UnixMilli(n*1000 + ms).UTC(), true
}
