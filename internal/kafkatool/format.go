package kafkatool

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/twmb/franz-go/pkg/kgo"
)

// PrintTail writes the records Tail reads to w, each as WriteRaw or
// WritePretty writes it and flushed at once (a person, or a pipe, is
// waiting for it), and stops after limit records (0: no limit). It
// returns how many records it wrote and Tail's error.
func PrintTail(ctx context.Context, cl *kgo.Client, cfg TailConfig, w io.Writer, raw bool, limit int64) (int64, error) {
	out := bufio.NewWriter(w)
	defer out.Flush()
	var n int64
	err := Tail(ctx, cl, cfg, func(r TailRecord) bool {
		if raw {
			WriteRaw(out, r)
		} else {
			WritePretty(out, r)
		}
		_ = out.Flush()
		n++
		return limit == 0 || n < limit
	})
	return n, err
}

// WriteRaw writes the value byte for byte and a newline. A value holding
// newlines spans lines: use pretty mode or kcat for framing.
func WriteRaw(w io.Writer, r TailRecord) {
	_, _ = w.Write(r.Value)
	_, _ = io.WriteString(w, "\n")
}

// WritePretty writes a header line, the headers and the value, indented
// JSON when it is JSON and quoted otherwise (dead letters may be any bytes).
func WritePretty(w io.Writer, r TailRecord) {
	fmt.Fprintf(w, "--- %s [%d] @%d  key %s  %s\n", r.Topic, r.Partition, r.Offset,
		printable(r.Key), r.Timestamp.UTC().Format(time.RFC3339Nano))
	for _, h := range r.Headers {
		fmt.Fprintf(w, "  %s: %s\n", h.Key, printable(h.Value))
	}
	var indented bytes.Buffer
	switch {
	case r.Value == nil:
		io.WriteString(w, "(null value)\n")
	case len(r.Value) == 0:
		io.WriteString(w, "(empty value)\n")
	case utf8.Valid(r.Value) && json.Indent(&indented, r.Value, "", "  ") == nil:
		indented.WriteByte('\n')
		_, _ = indented.WriteTo(w)
	default:
		fmt.Fprintf(w, "(not JSON, %d bytes) %s\n", len(r.Value), strconv.Quote(string(r.Value)))
	}
}

// printable returns b as is when it is printable UTF-8, quoted otherwise.
func printable(b []byte) string {
	if b == nil {
		return "(null)"
	}
	s := string(b)
	if s == "" || !utf8.ValidString(s) {
		return strconv.Quote(s)
	}
	for _, r := range s {
		if !unicode.IsPrint(r) {
			return strconv.Quote(s)
		}
	}
	return s
}
