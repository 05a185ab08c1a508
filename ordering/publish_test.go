package ordering

import (
	"bytes"
	"errors"
	"math"
	"testing"
)

func TestPublishCounterNext(t *testing.T) {
	tests := []struct {
		name string
		last uint64
		want []uint64
	}{
		{"fresh partition starts at 1", 0, []uint64{1, 2, 3}},
		{"continues from the durable value", 141, []uint64{142, 143}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := PublishCounter{Last: tt.last}
			for _, want := range tt.want {
				if got := c.Next(); got != want {
					t.Fatalf("Next() = %d, want %d", got, want)
				}
				if c.Last != want {
					t.Fatalf("Last = %d after Next() returned %d", c.Last, want)
				}
			}
		})
	}
}

func TestPublishCounterRoundTrip(t *testing.T) {
	for _, last := range []uint64{0, 1, 142, 1 << 32, math.MaxUint64} {
		enc := PublishCounter{Last: last}.AppendBinary(nil)
		if len(enc) != publishCounterV1Len || enc[0] != publishCounterV1 {
			t.Fatalf("encoding of %d = %x: want version byte 1 and 9 bytes", last, enc)
		}
		got, err := DecodePublishCounter(enc)
		if err != nil {
			t.Fatalf("decode %x: %v", enc, err)
		}
		if got.Last != last {
			t.Fatalf("round trip of %d gave %d", last, got.Last)
		}
	}
}

func TestPublishCounterAppendsToDst(t *testing.T) {
	dst := []byte("prefix")
	enc := PublishCounter{Last: 7}.AppendBinary(dst)
	if !bytes.Equal(enc, []byte("prefix\x01\x00\x00\x00\x00\x00\x00\x00\x07")) {
		t.Fatalf("AppendBinary = %q", enc)
	}
}

func TestDecodePublishCounterErrors(t *testing.T) {
	tests := []struct {
		name string
		in   []byte
		want error
	}{
		{"empty", nil, ErrPublishCounterLength},
		{"unknown version", []byte{2, 0, 0, 0, 0, 0, 0, 0, 1}, ErrPublishCounterVersion},
		{"version zero", []byte{0}, ErrPublishCounterVersion},
		{"truncated", []byte{1, 0, 0, 0}, ErrPublishCounterLength},
		{"trailing bytes", []byte{1, 0, 0, 0, 0, 0, 0, 0, 1, 0}, ErrPublishCounterLength},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := DecodePublishCounter(tt.in)
			if !errors.Is(err, tt.want) {
				t.Fatalf("DecodePublishCounter(%x) error = %v, want %v", tt.in, err, tt.want)
			}
		})
	}
}

// FuzzDecodePublishCounter: decoding arbitrary bytes never panics, and any
// value it accepts is canonical: encoding the result gives the same bytes.
func FuzzDecodePublishCounter(f *testing.F) {
	f.Add([]byte{})
	f.Add(PublishCounter{Last: 42}.AppendBinary(nil))
	f.Add(PublishCounter{Last: math.MaxUint64}.AppendBinary(nil))
	f.Add([]byte{2, 1, 2, 3})
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := DecodePublishCounter(b)
		if err != nil {
			return
		}
		if enc := c.AppendBinary(nil); !bytes.Equal(enc, b) {
			t.Fatalf("decoded %x as %d, which encodes as %x", b, c.Last, enc)
		}
	})
}

// FuzzPublishCounterRoundTrip: every counter value survives encode/decode.
func FuzzPublishCounterRoundTrip(f *testing.F) {
	f.Add(uint64(0))
	f.Add(uint64(math.MaxUint64))
	f.Fuzz(func(t *testing.T, last uint64) {
		got, err := DecodePublishCounter(PublishCounter{Last: last}.AppendBinary(nil))
		if err != nil || got.Last != last {
			t.Fatalf("round trip of %d: %d, %v", last, got.Last, err)
		}
	})
}
