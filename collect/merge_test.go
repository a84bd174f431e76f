package collect

import (
	"context"
	"errors"
	"fmt"
	"io"
	"testing"
)

// blocking is a source that has nothing until its ctx ends; stopped is
// closed when it returns.
func blocking(stopped chan struct{}) Source {
	return SourceFunc(func(ctx context.Context) (Envelope, error) {
		<-ctx.Done()
		close(stopped)
		return Envelope{}, ctx.Err()
	})
}

func TestMergeKeepsEachSourceInOrder(t *testing.T) {
	const sources, each = 3, 200
	var in []Source
	for s := range sources {
		var envs []Envelope
		for k := range each {
			envs = append(envs, Envelope{Provider: fmt.Sprint("feed", s), Stream: uint32(k % 2), Seq: uint64(k + 1)})
		}
		in = append(in, Slice(envs...))
	}
	m := Merge(in...)
	defer m.Close()
	last := map[string]uint64{}
	n := 0
	for {
		env, err := m.Next(context.Background())
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		n++
		if env.Seq != last[env.Provider]+1 {
			t.Fatalf("%s: seq %d after %d", env.Provider, env.Seq, last[env.Provider])
		}
		last[env.Provider] = env.Seq
		var s int
		fmt.Sscanf(env.Provider, "feed%d", &s)
		if want := uint32((env.Seq-1)%2)*sources + uint32(s); env.Stream != want {
			t.Fatalf("%s seq %d: stream %d, want %d", env.Provider, env.Seq, env.Stream, want)
		}
	}
	if n != sources*each {
		t.Fatalf("merged %d envelopes, want %d", n, sources*each)
	}
	if _, err := m.Next(context.Background()); !errors.Is(err, io.EOF) {
		t.Fatalf("Next after the end: %v, want io.EOF", err)
	}
}

func TestMergeStopsAtAFailingSource(t *testing.T) {
	boom := errors.New("boom")
	i := 0
	failing := SourceFunc(func(ctx context.Context) (Envelope, error) {
		if i == 3 {
			return Envelope{}, boom
		}
		i++
		return Envelope{Seq: uint64(i)}, nil
	})
	stopped := make(chan struct{})
	m := Merge(failing, blocking(stopped))
	defer m.Close()
	for want := uint64(1); want <= 3; want++ {
		env, err := m.Next(context.Background())
		if err != nil || env.Seq != want {
			t.Fatalf("Next = seq %d, %v; want seq %d: what was read before the error comes first", env.Seq, err, want)
		}
	}
	if _, err := m.Next(context.Background()); !errors.Is(err, boom) {
		t.Fatalf("Next = %v, want the failing source's error", err)
	}
	<-stopped // the other source was stopped, or this blocks and the test times out
	if _, err := m.Next(context.Background()); !errors.Is(err, boom) {
		t.Fatalf("Next after the failure = %v, want the failure again", err)
	}
}

func TestMergeClose(t *testing.T) {
	stopped := make(chan struct{})
	m := Merge(Slice(Envelope{Seq: 1}), blocking(stopped))
	if env, err := m.Next(context.Background()); err != nil || env.Seq != 1 {
		t.Fatalf("Next = seq %d, %v", env.Seq, err)
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-stopped:
	default:
		t.Fatal("Close returned with a source still being read")
	}
	if _, err := m.Next(context.Background()); !errors.Is(err, ErrClosed) {
		t.Fatalf("Next after Close = %v, want ErrClosed", err)
	}

	unused := Merge(blocking(make(chan struct{})))
	unused.Close() // before any Next: nothing was started
	if _, err := unused.Next(context.Background()); !errors.Is(err, ErrClosed) {
		t.Fatalf("Next after Close, never started = %v, want ErrClosed", err)
	}
}

func TestMergeNextHonoursContext(t *testing.T) {
	release := make(chan struct{})
	late := SourceFunc(func(ctx context.Context) (Envelope, error) {
		select {
		case <-release:
			return Envelope{Seq: 7}, nil
		case <-ctx.Done():
			return Envelope{}, ctx.Err()
		}
	})
	m := Merge(late)
	defer m.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := m.Next(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Next with a canceled ctx = %v", err)
	}
	close(release) // the merge goes on for a later Next
	if env, err := m.Next(context.Background()); err != nil || env.Seq != 7 {
		t.Fatalf("Next = seq %d, %v; want seq 7", env.Seq, err)
	}
}

func TestMergeOfNothingEnds(t *testing.T) {
	if _, err := Merge().Next(context.Background()); !errors.Is(err, io.EOF) {
		t.Fatalf("Next = %v, want io.EOF", err)
	}
}
