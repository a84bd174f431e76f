package word

import "testing"

// Tail's overlapping loads give what a byte loop gives, at every length.
func TestTail(t *testing.T) {
	text := "abcdefgh"
	for n := 0; n <= len(text); n++ {
		var want uint64
		for i := range n {
			want |= uint64(text[i]) << (8 * i)
		}
		if got := Tail(text[:n]); got != want {
			t.Errorf("Tail(%q) = %#x, want %#x", text[:n], got, want)
		}
		if got := Tail([]byte(text[:n])); got != want {
			t.Errorf("Tail([]byte(%q)) = %#x, want %#x", text[:n], got, want)
		}
	}
}
