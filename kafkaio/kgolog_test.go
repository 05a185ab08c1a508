package kafkaio

import (
	"bytes"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// franz-go's lines as eventproc logs them: the operator's message at the
// right level, the client's text kept as client_msg, one key per line.
func TestKgoLogLines(t *testing.T) {
	sasl := &kgo.ErrFirstReadEOF{}
	tests := []struct {
		name      string
		level     kgo.LogLevel
		msg       string
		kv        []any
		wantLevel string
		wantMsg   string
	}{
		{"dial failure", kgo.LogLevelWarn, "unable to open connection to broker",
			[]any{"addr", "10.0.0.1:9092", "broker", "1", "err", errors.New("dial tcp: connection refused")},
			"WARN", "broker 10.0.0.1:9092 unreachable, retrying"},
		{"closed after a request (broker killed)", kgo.LogLevelWarn, "read from broker errored, killing connection after 0 successful responses (is SASL missing?)",
			[]any{"req", "Metadata", "addr", "10.0.0.1:9092", "broker", "1", "err", sasl},
			"WARN", "broker 10.0.0.1:9092 closed the connection (stopped or restarting?), retrying"},
		{"group loop", kgo.LogLevelError, "group manage loop errored",
			[]any{"group", "g", "err", sasl, "consecutive_errors", 1, "backoff", 250 * time.Millisecond},
			"WARN", "lost the group coordinator"},
		{"other lines pass through", kgo.LogLevelError, "something else", []any{"group", "g"}, "ERROR", "something else"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			log := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug})).With("group", "g")
			slogAdapter{log}.Log(tt.level, tt.msg, tt.kv...)
			line := buf.String()
			if n := strings.Count(line, `"group":`); n != 1 {
				t.Errorf("key group %d times: %s", n, line)
			}
			var rec map[string]any
			if err := json.Unmarshal([]byte(line), &rec); err != nil {
				t.Fatal(err)
			}
			if rec["level"] != tt.wantLevel || !strings.HasPrefix(rec["msg"].(string), tt.wantMsg) {
				t.Errorf("level %v msg %q, want %s %q", rec["level"], rec["msg"], tt.wantLevel, tt.wantMsg)
			}
			if rec["msg"] != tt.msg && rec["client_msg"] != tt.msg {
				t.Errorf("client's text lost: %s", line)
			}
			if strings.Contains(rec["msg"].(string), "SASL is required") {
				t.Errorf("misleading message kept: %s", line)
			}
		})
	}
}
