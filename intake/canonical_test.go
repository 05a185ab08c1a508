package intake

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"math/big"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/eventproc/eventproc/event"
)

// referenceCanonical is an independent (recursive, encoding/json based)
// implementation of the canonical metadata form, used to cross-check the
// single-pass one. Only the number and string formatting are shared, and
// both have their own tests below.
func referenceCanonical(t testing.TB, raw []byte) []byte {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("reference decode of %q: %v", raw, err)
	}
	var out []byte
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			keys := make([]string, 0, len(x))
			for k := range x {
				keys = append(keys, k)
			}
			slices.Sort(keys) // Go string order is byte-wise
			out = append(out, '{')
			for i, k := range keys {
				if i > 0 {
					out = append(out, ',')
				}
				out = event.AppendJSONString(out, []byte(k))
				out = append(out, ':')
				walk(x[k])
			}
			out = append(out, '}')
		case []any:
			out = append(out, '[')
			for i, e := range x {
				if i > 0 {
					out = append(out, ',')
				}
				walk(e)
			}
			out = append(out, ']')
		case string:
			out = event.AppendJSONString(out, []byte(x))
		case json.Number:
			isInt := !strings.ContainsAny(string(x), ".eE")
			out, _ = appendCanonicalNumber(out, []byte(x), isInt, nil)
		case bool:
			out = fmt.Append(out, x)
		case nil:
			out = append(out, "null"...)
		default:
			t.Fatalf("unexpected %T", v)
		}
	}
	walk(v)
	return out
}

func decodeMetadata(t *testing.T, metadata string) *event.Event {
	t.Helper()
	ev, err := decodeOne(t, Config{}, withBase(`"metadata":`+metadata))
	if err != nil {
		t.Fatalf("metadata %s: %v", metadata, err)
	}
	return ev
}

// TestMetadataHashIgnoresOrderAndSpelling: the same object spelled with a
// different key order, white space, escapes or number notation hashes the
// same, and matches the reference canonical form.
func TestMetadataHashIgnoresOrderAndSpelling(t *testing.T) {
	groups := [][]string{
		{
			`{"user_id":"user-123","region":"eu","n":1,"nested":{"b":[1,2,{"y":true,"x":null}],"a":"z"}}`,
			`{"nested":{"a":"z","b":[1,2,{"x":null,"y":true}]},"n":1,"region":"eu","user_id":"user-123"}`,
			" {\n \"region\" : \"eu\" ,\t\"nested\":{ \"b\" : [ 1 , 2.0 , { \"y\":true , \"x\" : null } ] , \"a\":\"\\u007a\" }, \"n\":1e0,\"user_\\u0069d\":\"user-123\" } ",
			`{"n":10e-1,"user_id":"user\u002d123","nested":{"b":[1.00,0.2e1,{"x":null,"y":true}],"a":"z"},"region":"\u0065u"}`,
		},
		{`{"a":1}`, `{"a":1.0}`, `{"a":1e0}`, `{"a":0.1E1}`, `{"a":100e-2}`},
		{`{"a":-0}`, `{"a":0}`, `{"a":0.0e10}`, `{"a":-0.0}`},
		{`{"s":"/"}`, `{"s":"\/"}`, `{"s":"\u002f"}`},
		{`{"s":"é"}`, `{"s":"\u00e9"}`, `{"s":"\u00E9"}`},
		{`{"s":"😀"}`, `{"s":"\ud83d\ude00"}`},
		{`{"s":"\n"}`, `{"s":"\u000a"}`, `{"s":"\u000A"}`},
		{`{"s":"\ud800"}`, `{"s":"\ufffd"}`},
		{`{"big":123456789012345678901234567890}`, `{"big":1.23456789012345678901234567890e29}`},
		{"{" + manyMembers(30) + "}", "{" + manyMembersAscending(30) + "}"},
	}
	for gi, g := range groups {
		t.Run(fmt.Sprint("group ", gi), func(t *testing.T) {
			first := decodeMetadata(t, g[0])
			ref := referenceCanonical(t, []byte(g[0]))
			if first.MetadataHash != sha256.Sum256(ref) || first.Summary.ByteSize != len(ref) {
				t.Errorf("hash of %s is not sha256 of the reference canonical form %s", g[0], ref)
			}
			for _, m := range g[1:] {
				ev := decodeMetadata(t, m)
				if ev.MetadataHash != first.MetadataHash {
					t.Errorf("hash of\n  %s\ndiffers from\n  %s\n(reference %s)", m, g[0], referenceCanonical(t, []byte(m)))
				}
				if ev.Summary != first.Summary {
					t.Errorf("summary of %s = %+v, want %+v", m, ev.Summary, first.Summary)
				}
			}
		})
	}
}

func manyMembersAscending(n int) string {
	parts := strings.Split(manyMembers(n), ",")
	slices.Reverse(parts)
	return strings.Join(parts, ",")
}

// TestMetadataHashSeesEveryValueChange: any change of a key, a value, a
// type or an array order changes the hash.
func TestMetadataHashSeesEveryValueChange(t *testing.T) {
	const original = `{"user":"u1","n":1.5,"ok":true,"none":null,"list":[1,"a",{"k":2}],"obj":{"x":"y"}}`
	variants := []string{
		`{"user":"u2","n":1.5,"ok":true,"none":null,"list":[1,"a",{"k":2}],"obj":{"x":"y"}}`,
		`{"User":"u1","n":1.5,"ok":true,"none":null,"list":[1,"a",{"k":2}],"obj":{"x":"y"}}`,
		`{"user":"u1","n":1.50001,"ok":true,"none":null,"list":[1,"a",{"k":2}],"obj":{"x":"y"}}`,
		`{"user":"u1","n":-1.5,"ok":true,"none":null,"list":[1,"a",{"k":2}],"obj":{"x":"y"}}`,
		`{"user":"u1","n":"1.5","ok":true,"none":null,"list":[1,"a",{"k":2}],"obj":{"x":"y"}}`,
		`{"user":"u1","n":1.5,"ok":false,"none":null,"list":[1,"a",{"k":2}],"obj":{"x":"y"}}`,
		`{"user":"u1","n":1.5,"ok":true,"none":0,"list":[1,"a",{"k":2}],"obj":{"x":"y"}}`,
		`{"user":"u1","n":1.5,"ok":true,"none":null,"list":["a",1,{"k":2}],"obj":{"x":"y"}}`,
		`{"user":"u1","n":1.5,"ok":true,"none":null,"list":[1,"a",{"k":3}],"obj":{"x":"y"}}`,
		`{"user":"u1","n":1.5,"ok":true,"none":null,"list":[1,"a",{"k":2},null],"obj":{"x":"y"}}`,
		`{"user":"u1","n":1.5,"ok":true,"none":null,"list":[1,"a",{"k":2}],"obj":{"x":"y "}}`,
		`{"user":"u1","n":1.5,"ok":true,"none":null,"list":[1,"a",{"k":2}],"obj":{"x":["y"]}}`,
		`{"user":"u1","n":1.5,"ok":true,"none":null,"list":[1,"a",{"k":2}],"obj":{"x":"y"},"extra":1}`,
		`{"user":"u1","n":1.5,"ok":true,"none":null,"list":[1,"a",{"k":2}]}`,
		`{"user":"u1","n":15e-1,"ok":true,"none":null,"list":[1,"a",{"k":2}],"obj":{"x":"y","z":{}}}`,
	}
	orig := decodeMetadata(t, original)
	seen := map[[32]byte]string{orig.MetadataHash: original}
	for _, v := range variants {
		ev := decodeMetadata(t, v)
		if prev, dup := seen[ev.MetadataHash]; dup {
			t.Errorf("hash of\n  %s\nequals that of\n  %s", v, prev)
		}
		seen[ev.MetadataHash] = v
		if ref := referenceCanonical(t, []byte(v)); ev.MetadataHash != sha256.Sum256(ref) {
			t.Errorf("hash of %s is not sha256 of reference %s", v, ref)
		}
	}
}

// TestMetadataSummary checks counts, depth and the structure hash.
func TestMetadataSummary(t *testing.T) {
	tests := []struct {
		metadata string
		want     event.MetadataSummary // StructureHash not compared here
	}{
		{`{}`, event.MetadataSummary{ByteSize: 2}},
		{`{"a":1,"b":"x","c":true,"d":null,"e":false}`, event.MetadataSummary{
			FieldCount: 5, MaxDepth: 1, LeafCount: 5,
			Kinds:    event.KindCounts{Strings: 1, Numbers: 1, Bools: 2, Nulls: 1},
			ByteSize: len(`{"a":1,"b":"x","c":true,"d":null,"e":false}`)}},
		{`{"e":[],"a":{"b":[1,2,{"c":null}]}}`, event.MetadataSummary{
			FieldCount: 2, MaxDepth: 4, LeafCount: 3,
			Kinds:    event.KindCounts{Numbers: 2, Nulls: 1, Objects: 2, Arrays: 2},
			ByteSize: len(`{"a":{"b":[1,2,{"c":null}]},"e":[]}`)}},
		{`{"a":{}}`, event.MetadataSummary{FieldCount: 1, MaxDepth: 2, Kinds: event.KindCounts{Objects: 1}, ByteSize: 8}},
		{`{"a":[[]]}`, event.MetadataSummary{FieldCount: 1, MaxDepth: 3, Kinds: event.KindCounts{Arrays: 2}, ByteSize: 10}},
		{`{ "k" : 1.0 }`, event.MetadataSummary{FieldCount: 1, MaxDepth: 1, LeafCount: 1, Kinds: event.KindCounts{Numbers: 1}, ByteSize: len(`{"k":1}`)}},
	}
	for _, tt := range tests {
		t.Run(tt.metadata, func(t *testing.T) {
			got := decodeMetadata(t, tt.metadata).Summary
			got.StructureHash = 0
			if got != tt.want {
				t.Errorf("summary %+v\nwant    %+v", got, tt.want)
			}
		})
	}

	shape := func(m string) uint64 { return decodeMetadata(t, m).Summary.StructureHash }
	same := [][2]string{
		{`{"a":1,"b":{"c":"x"}}`, `{"b":{"c":true},"a":"str"}`},
		{`{"a":[1,2,3]}`, `{"a":["x"]}`},
		{`{"k":"v"}`, `{"\u006b":null}`},
	}
	for _, p := range same {
		if shape(p[0]) != shape(p[1]) {
			t.Errorf("structure of %s and %s differ", p[0], p[1])
		}
	}
	differ := [][2]string{
		{`{"a":1}`, `{"b":1}`},
		{`{"a":1}`, `{"a":{}}`},
		{`{"a":[]}`, `{"a":{}}`},
		{`{"a":{"b":1}}`, `{"a":1,"b":1}`},
		{`{"a":[{"x":1}]}`, `{"a":[{"y":1}]}`},
		{`{}`, `{"a":1}`},
		{`{"a:":1}`, `{"a":1}`},
	}
	for _, p := range differ {
		if shape(p[0]) == shape(p[1]) {
			t.Errorf("structure of %s and %s collide", p[0], p[1])
		}
	}
}

// TestCanonicalNumber checks the number layout on fixed cases.
func TestCanonicalNumber(t *testing.T) {
	tests := []struct{ in, want string }{
		{"0", "0"}, {"-0", "0"}, {"0.000", "0"}, {"-0e5", "0"}, {"0e99999999999999999999", "0"},
		{"1", "1"}, {"1.0", "1"}, {"1e0", "1"}, {"1E+0", "1"}, {"10e-1", "1"}, {"0.1e1", "1"},
		{"-42", "-42"}, {"100", "100"}, {"1e2", "100"}, {"1.5", "1.5"}, {"-1.50", "-1.5"},
		{"0.001", "0.001"}, {"1e-6", "0.000001"}, {"1e-7", "1e-7"}, {"1.5e-7", "1.5e-7"},
		{"123456789012345678901", "123456789012345678901"}, {"1e20", "100000000000000000000"},
		{"1e21", "1e+21"}, {"1234567890123456789012", "1.234567890123456789012e+21"},
		{"1000000000000000000000", "1e+21"}, {"1.5e300", "1.5e+300"}, {"-2.5E-300", "-2.5e-300"},
		{"12.34e1", "123.4"}, {"0.00012340", "0.0001234"}, {"1e0000000000000000001", "10"},
		{"1e1000000000000000", "1e1000000000000000"},
	}
	for _, tt := range tests {
		isInt := !strings.ContainsAny(tt.in, ".eE")
		got, _ := appendCanonicalNumber(nil, []byte(tt.in), isInt, nil)
		if string(got) != tt.want {
			t.Errorf("canonical(%s) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

// TestCanonicalNumberProperties: for random decimals spelled many ways,
// every spelling has the same canonical text, the text is itself a JSON
// number of exactly the same value, and canonicalisation is idempotent;
// distinct values get distinct texts.
func TestCanonicalNumberProperties(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	seen := map[string]string{} // canonical -> exact value
	for range 3000 {
		digits := fmt.Sprint(rng.Uint64N(1_000_000_000_000))
		if rng.IntN(4) == 0 {
			digits += strings.Repeat("0", rng.IntN(5))
		}
		exp := rng.IntN(80) - 40
		neg := rng.IntN(2) == 0
		value := new(big.Rat)
		value.SetString(digits + "e" + fmt.Sprint(exp))
		if neg {
			value.Neg(value)
		}
		var first string
		for _, sp := range spellings(digits, exp, neg, rng) {
			isInt := !strings.ContainsAny(sp, ".eE")
			got, _ := appendCanonicalNumber(nil, []byte(sp), isInt, nil)
			c := string(got)
			if first == "" {
				first = c
			} else if c != first {
				t.Fatalf("%s canonicalises to %s, another spelling to %s", sp, c, first)
			}
		}
		if n := scanNumberGrammar([]byte(first), 0); n != len(first) {
			t.Fatalf("canonical %q is not a JSON number", first)
		}
		back, ok := new(big.Rat).SetString(first)
		if !ok || back.Cmp(value) != 0 {
			t.Fatalf("canonical %s has value %v, want %v", first, back, value)
		}
		again, _ := appendCanonicalNumber(nil, []byte(first), !strings.ContainsAny(first, ".eE"), nil)
		if string(again) != first {
			t.Fatalf("canonical %s is not idempotent: %s", first, again)
		}
		if prev, ok := seen[first]; ok && prev != value.RatString() {
			t.Fatalf("values %s and %s share canonical %s", prev, value.RatString(), first)
		}
		seen[first] = value.RatString()
	}
}

// spellings returns JSON literals of the value digits×10^exp.
func spellings(digits string, exp int, neg bool, rng *rand.Rand) []string {
	sign := ""
	if neg {
		sign = "-"
	}
	trimmed := strings.TrimLeft(digits, "0")
	if trimmed == "" {
		trimmed = "0"
	}
	out := []string{sign + trimmed + "e" + fmt.Sprint(exp), sign + trimmed + "E" + fmt.Sprintf("%+d", exp)}
	// move the decimal point k places left: d.ddd e(exp+k)
	for range 3 {
		k := rng.IntN(len(trimmed) + 3)
		padded := trimmed
		for len(padded) <= k {
			padded = "0" + padded
		}
		intPart := strings.TrimLeft(padded[:len(padded)-k], "0")
		if intPart == "" {
			intPart = "0"
		}
		lit := sign + intPart
		if k > 0 {
			lit += "." + padded[len(padded)-k:] + strings.Repeat("0", rng.IntN(3))
		}
		if e := exp + k; e != 0 || rng.IntN(2) == 0 {
			lit += "e" + fmt.Sprint(e)
		}
		out = append(out, lit)
	}
	// plain decimal when the exponent is small
	if exp >= 0 && exp < 10 {
		out = append(out, sign+trimmed+strings.Repeat("0", exp))
	}
	return out
}

// TestDuplicateKeysInMetadataWithSortedInput checks that duplicates are
// found when the members already arrive in order (no sort needed).
func TestDuplicateKeysInMetadataWithSortedInput(t *testing.T) {
	_, err := decodeOne(t, Config{}, withBase(`"metadata":{"a":1,"a":1}`))
	if reasonOf(t, err) != event.ReasonInvalidField {
		t.Fatalf("got %v, want invalid_field", err)
	}
}
