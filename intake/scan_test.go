package intake

import (
	"encoding/binary"
	"math/bits"
	"math/rand/v2"
	"testing"
)

// TestSpecialBytesMatchesTable: the word-at-a-time check finds exactly the
// first byte that the byte table says is not plain string content.
func TestSpecialBytesMatchesTable(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	interesting := []byte{0x00, 0x1f, 0x20, 0x21, '"', '#', '[', '\\', ']', 0x7f, 0x80, 0x9f, 0xa0, 0xc3, 0xff}
	var w [8]byte
	for n := 0; n < 200000; n++ {
		for i := range w {
			if rng.IntN(3) == 0 {
				w[i] = interesting[rng.IntN(len(interesting))]
			} else {
				w[i] = byte(0x20 + rng.IntN(0x60))
			}
		}
		want := 8
		for i, c := range w {
			if !plainStringByte[c] {
				want = i
				break
			}
		}
		got := 8
		if m := specialBytes(binary.LittleEndian.Uint64(w[:])); m != 0 {
			got = bits.TrailingZeros64(m) >> 3
		}
		if got != want {
			t.Fatalf("word % x: first special byte at %d, table says %d", w, got, want)
		}
	}
}

// TestShapeSkipsEscapedQuotes: keys and values holding escaped quotes or
// backslashes do not confuse the shape walk.
func TestShapeSkipsEscapedQuotes(t *testing.T) {
	tests := []struct{ canon, shape string }{
		{`{"a\\":1}`, `{"a\\":}`},
		{`{"a\"":{"b":"x\"y\\"}}`, `{"a\"":{"b":}}`},
		{`{"k":["\\",":"],"z":"\":"}`, `{"k":[]"z":}`},
	}
	for _, tt := range tests {
		if got := string(appendShape(nil, []byte(tt.canon))); got != tt.shape {
			t.Errorf("shape(%s) = %s, want %s", tt.canon, got, tt.shape)
		}
	}
}
