package enrich

import (
	"errors"
	"math"
	"testing"
)

func TestSourceStateRoundTrip(t *testing.T) {
	tests := []SourceState{
		{},
		{LastSequence: 1, Count: 1, LoadMean: 0.5, LastTimestamp: baseTime},
		{LastSequence: math.MaxUint64, Count: 7, LoadMean: 0.25, LoadVar: 1e-9, GapCount: 6, GapMean: 1.5, GapVar: 0.02, LastTimestamp: baseTime + 0.123456789},
		{LoadMean: math.Copysign(0, -1), LoadVar: math.Inf(1), GapMean: math.NaN(), GapVar: math.SmallestNonzeroFloat64},
	}
	for i, s := range tests {
		b := s.AppendBinary(nil)
		if len(b) != EncodedStateSize || b[0] != StateFormatVersion {
			t.Fatalf("case %d: encoding has length %d, version %d", i, len(b), b[0])
		}
		got, err := DecodeSourceState(b)
		if err != nil {
			t.Fatalf("case %d: %v", i, err)
		}
		requireSameState(t, got, s)
		if got.LastSequence != s.LastSequence || got.Count != s.Count || got.GapCount != s.GapCount {
			t.Fatalf("case %d: counters differ: %+v vs %+v", i, got, s)
		}
	}
	// Appending keeps the prefix.
	prefix := []byte("key=")
	b := tests[2].AppendBinary(prefix)
	if string(b[:4]) != "key=" {
		t.Fatalf("AppendBinary overwrote dst: %q", b[:4])
	}
	if _, err := DecodeSourceState(b[4:]); err != nil {
		t.Fatal(err)
	}
}

// TestSourceStateLayout pins the documented byte layout, so an accidental
// reordering (which would corrupt every stored changelog) fails here.
func TestSourceStateLayout(t *testing.T) {
	b := SourceState{LastSequence: 0x0102030405060708, Count: 2, LoadMean: 1, GapCount: 3, LastTimestamp: 2}.AppendBinary(nil)
	want := map[int]byte{0: 1, 1: 0x08, 8: 0x01, 9: 2, 24: 0x3f, 33: 3, 64: 0x40}
	for off, v := range want {
		if b[off] != v {
			t.Errorf("byte %d = %#x, want %#x (encoding %x)", off, b[off], v, b)
		}
	}
}

func TestDecodeSourceStateErrors(t *testing.T) {
	valid := SourceState{LastSequence: 3}.AppendBinary(nil)
	tests := []struct {
		name    string
		input   []byte
		want    error
		version byte
	}{
		{"empty", nil, ErrStateLength, 0},
		{"version only", []byte{1}, ErrStateLength, 1},
		{"truncated", valid[:len(valid)-1], ErrStateLength, 1},
		{"trailing byte", append(append([]byte(nil), valid...), 0), ErrStateLength, 1},
		{"version 0", append([]byte{0}, valid[1:]...), ErrUnknownStateVersion, 0},
		{"version 2", append([]byte{2}, valid[1:]...), ErrUnknownStateVersion, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := DecodeSourceState(tt.input)
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			var de *StateDecodeError
			if !errors.As(err, &de) {
				t.Fatalf("err %T is not a *StateDecodeError", err)
			}
			if de.Version != tt.version || de.Length != len(tt.input) {
				t.Fatalf("StateDecodeError = %+v, want version %d length %d", de, tt.version, len(tt.input))
			}
		})
	}
}

// FuzzDecodeSourceState: DecodeSourceState never panics; whatever it accepts
// re-encodes to the same bytes; and decode(encode(s)) == s bit for bit for
// every state s it yields.
func FuzzDecodeSourceState(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte{1})
	f.Add(SourceState{}.AppendBinary(nil))
	f.Add(SourceState{LastSequence: 9, Count: 9, LoadMean: 0.4, LoadVar: 0.01, GapCount: 8, GapMean: 1, GapVar: 0.1, LastTimestamp: baseTime}.AppendBinary(nil))
	f.Add(append([]byte{2}, make([]byte, EncodedStateSize-1)...))
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := DecodeSourceState(b)
		if err != nil {
			var de *StateDecodeError
			if !errors.As(err, &de) {
				t.Fatalf("error %v is not a *StateDecodeError", err)
			}
			return
		}
		enc := s.AppendBinary(nil)
		if string(enc) != string(b) {
			t.Fatalf("encode(decode(b)) = %x, want %x", enc, b)
		}
		again, err := DecodeSourceState(enc)
		if err != nil {
			t.Fatalf("decode(encode(s)) failed: %v", err)
		}
		requireSameState(t, again, s)
	})
}
