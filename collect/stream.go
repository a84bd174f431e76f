package collect

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"time"
)

// ErrMessageTooLarge reports a line, frame or decompressed message larger
// than the collector's limit: a gzip bomb is this error, not an outage of
// memory. The connection is dropped and opened again.
var ErrMessageTooLarge = errors.New("collect: message larger than the limit")

// Framing is how a byte stream divides into messages.
type Framing uint8

const (
	// Lines: one message per line, ending in CRLF or LF, as the Betfair
	// Exchange Stream API sends JSON. The line ending is not part of the
	// message; empty lines are skipped.
	Lines Framing = iota
	// GzipFrames: each message is a 4-byte big-endian length, then that
	// many bytes of gzip, as Kambi's Offering Replication stream sends.
	GzipFrames
)

// StreamConfig configures a [Stream] collector.
type StreamConfig struct {
	// Addr is host:port. TLS, when set, wraps the connection.
	Addr string
	TLS  *tls.Config
	// Framing divides the stream into messages.
	Framing Framing
	// Provider and Schema label the envelopes.
	Provider, Schema string
	// Handshake returns what to send after every connect (authenticate, then
	// subscribe with the last clock), given the last position delivered.
	// With Lines framing each message is sent with CRLF appended; with
	// GzipFrames, as given.
	Handshake func(ctx context.Context, last Position) ([][]byte, error)
	// Position extracts a message's sequence and resume token; nil if none.
	Position func(payload []byte) Position
	// MaxMessage bounds a message, after decompression (default 4 MiB).
	MaxMessage int
	// IdleTimeout drops a connection that sends nothing, not even a
	// heartbeat, for this long (default 30s).
	IdleTimeout time.Duration
	// Backoff, DownThreshold, Hooks and Now as for [WebSocketConfig].
	Backoff       Backoff
	DownThreshold time.Duration
	Hooks         Hooks
	Now           func() time.Time
}

// Stream is a [Source] reading a TCP or TLS stream, reconnecting with
// backoff. Next must not be called concurrently; Close may be called from
// any goroutine.
type Stream struct {
	cfg  StreamConfig
	rc   *reconnector
	conn net.Conn
	br   *bufio.Reader

	lifecycle
}

// NewStream returns a collector; it connects on the first Next.
func NewStream(cfg StreamConfig) *Stream {
	if cfg.MaxMessage <= 0 {
		cfg.MaxMessage = 4 << 20
	}
	if cfg.IdleTimeout <= 0 {
		cfg.IdleTimeout = 30 * time.Second
	}
	return &Stream{cfg: cfg, rc: newReconnector(cfg.Provider, cfg.Hooks, cfg.Backoff, cfg.DownThreshold, cfg.Now), lifecycle: newLifecycle()}
}

// Next returns the next message, connecting or reconnecting as needed. It
// returns only ctx's error or [ErrClosed].
func (s *Stream) Next(ctx context.Context) (Envelope, error) {
	if ctx != s.watch.ctx { // a method value allocates: only when the context is new
		s.watch.set(ctx, s.interrupt)
	}
	for {
		if err := ctx.Err(); err != nil {
			return Envelope{}, err
		}
		if s.isClosed() {
			return Envelope{}, ErrClosed
		}
		if s.conn == nil {
			if err := s.rc.wait(ctx, s.done); err != nil {
				return Envelope{}, err
			}
			if err := s.connect(ctx); err != nil {
				if s.isClosed() {
					return Envelope{}, ErrClosed
				}
				s.rc.down(err)
				continue
			}
			s.rc.up()
		}
		s.conn.SetReadDeadline(time.Now().Add(s.cfg.IdleTimeout)) // wall time: a socket deadline
		var payload []byte
		var err error
		if s.cfg.Framing == GzipFrames {
			payload, err = readGzipFrame(s.br, s.cfg.MaxMessage)
		} else {
			payload, err = readLine(s.br, s.cfg.MaxMessage)
		}
		if err != nil {
			s.drop()
			if s.isClosed() {
				return Envelope{}, ErrClosed
			}
			if ctx.Err() != nil {
				return Envelope{}, ctx.Err()
			}
			s.rc.down(err)
			continue
		}
		if len(payload) == 0 {
			continue // an empty line: a keep-alive
		}
		recv := time.Now()
		if s.cfg.Now != nil {
			recv = s.cfg.Now()
		}
		env := Envelope{Provider: s.cfg.Provider, Schema: s.cfg.Schema, Payload: payload, ReceivedAt: recv}
		var pos Position
		if s.cfg.Position != nil {
			pos = s.cfg.Position(payload)
		}
		if s.rc.deliver(&env, pos) {
			return env, nil
		}
	}
}

func (s *Stream) connect(ctx context.Context) error {
	ctx, cancel := s.cancelOnClose(ctx)
	defer cancel()
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", s.cfg.Addr)
	if err != nil {
		return fmt.Errorf("collect: stream dial %s: %w", s.cfg.Addr, err)
	}
	if s.cfg.TLS != nil {
		tc := tls.Client(conn, s.cfg.TLS)
		if err := tc.HandshakeContext(ctx); err != nil {
			conn.Close()
			return fmt.Errorf("collect: stream TLS %s: %w", s.cfg.Addr, err)
		}
		conn = tc
	}
	if s.cfg.Handshake != nil {
		msgs, err := s.cfg.Handshake(ctx, s.rc.last)
		if err != nil {
			conn.Close()
			return fmt.Errorf("collect: stream handshake: %w", err)
		}
		for _, m := range msgs {
			if s.cfg.Framing == Lines {
				m = append(bytes.Clone(m), '\r', '\n')
			}
			if _, err := conn.Write(m); err != nil {
				conn.Close()
				return fmt.Errorf("collect: stream handshake: %w", err)
			}
		}
	}
	if err := s.setActive(conn); err != nil {
		return err
	}
	s.conn, s.br = conn, bufio.NewReaderSize(conn, 64<<10)
	return nil
}

func (s *Stream) drop() {
	s.conn.Close()
	s.clearActive()
	s.conn, s.br = nil, nil
}

// Close ends the collector: a Next in progress returns [ErrClosed].
func (s *Stream) Close() error {
	return s.close()
}

// readLine reads one line without its CR LF or LF, refusing lines longer
// than max. The result is a fresh slice the caller owns.
func readLine(br *bufio.Reader, max int) ([]byte, error) {
	var line []byte
	for {
		chunk, err := br.ReadSlice('\n')
		if len(line)+len(chunk) > max+2 { // +2: the line ending is not counted
			return nil, fmt.Errorf("%w: a line over %d bytes", ErrMessageTooLarge, max)
		}
		line = append(line, chunk...)
		if err == nil {
			break
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		return nil, err // a line cut off by the end of the stream is not delivered
	}
	line = bytes.TrimSuffix(line, []byte{'\n'})
	line = bytes.TrimSuffix(line, []byte{'\r'})
	if len(line) > max {
		return nil, fmt.Errorf("%w: a line over %d bytes", ErrMessageTooLarge, max)
	}
	return line, nil
}

// readGzipFrame reads one length-prefixed gzip frame and returns its
// decompressed bytes, refusing frames or contents over max.
func readGzipFrame(r io.Reader, max int) ([]byte, error) {
	var hdr [4]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return nil, err
	}
	n := binary.BigEndian.Uint32(hdr[:])
	if int64(n) > int64(max) {
		return nil, fmt.Errorf("%w: a frame of %d bytes", ErrMessageTooLarge, n)
	}
	frame := make([]byte, n)
	if _, err := io.ReadFull(r, frame); err != nil {
		return nil, err
	}
	zr, err := gzip.NewReader(bytes.NewReader(frame))
	if err != nil {
		return nil, fmt.Errorf("collect: gzip frame: %w", err)
	}
	out, err := io.ReadAll(io.LimitReader(zr, int64(max)+1))
	if err != nil {
		return nil, fmt.Errorf("collect: gzip frame: %w", err)
	}
	if len(out) > max {
		return nil, fmt.Errorf("%w: a frame that decompresses past %d bytes", ErrMessageTooLarge, max)
	}
	return out, nil
}
