package kafkaio

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/twmb/franz-go/pkg/kgo"
)

// kgoLine is one franz-go log line as eventproc logs it.
type kgoLine struct {
	level slog.Level
	msg   string
	attrs []any
}

// translateKgoLog turns a franz-go log line into what an operator should
// know, at the level it deserves, keeping the client's own text as the
// client_msg detail:
//
//   - a broker that cannot be dialled is "unreachable, retrying" (warn);
//   - a connection closed right after a request, which franz-go explains as
//     missing SASL, is most often a broker that stopped or restarted: said
//     so (warn), with the SASL hint only in the detail;
//   - "group manage loop errored" is the client rejoining after the group
//     coordinator moved or was unreachable (warn, not error: it retries).
//
// The group key is dropped: the session's logger carries it already, and a
// key twice on one line is rejected by some log pipelines.
func translateKgoLog(level kgo.LogLevel, msg string, kv []any) kgoLine {
	line := kgoLine{level: kgoLevel(level), msg: msg}
	var addr string
	var err error
	attrs := make([]any, 0, len(kv)+4)
	attrs = append(attrs, "component", "kgo")
	for i := 0; i+1 < len(kv); i += 2 {
		k, _ := kv[i].(string)
		switch k {
		case "group":
			continue
		case "addr":
			addr = fmt.Sprint(kv[i+1])
		case "err":
			err, _ = kv[i+1].(error)
		}
		attrs = append(attrs, k, kv[i+1])
	}
	var firstRead *kgo.ErrFirstReadEOF
	closedEarly := err != nil && errors.As(err, &firstRead)
	rewrite := func(l slog.Level, m string) {
		line.level, line.msg = l, m
		attrs = append(attrs, "client_msg", msg)
	}
	switch {
	case strings.HasPrefix(msg, "unable to open connection to broker"):
		rewrite(slog.LevelWarn, "broker "+addr+" unreachable, retrying")
	case strings.HasPrefix(msg, "read from broker errored, killing connection after 0 successful responses"), closedEarly && level >= kgo.LogLevelWarn:
		rewrite(slog.LevelWarn, "broker "+addr+" closed the connection (stopped or restarting?), retrying; if it persists with a running broker, check the TLS and SASL settings")
	case msg == "group manage loop errored":
		rewrite(slog.LevelWarn, "lost the group coordinator (broker down or the coordinator moved), rejoining the group")
	}
	line.attrs = attrs
	return line
}

func kgoLevel(level kgo.LogLevel) slog.Level {
	switch level {
	case kgo.LogLevelError:
		return slog.LevelError
	case kgo.LogLevelWarn:
		return slog.LevelWarn
	case kgo.LogLevelInfo:
		return slog.LevelDebug
	default:
		return slog.LevelDebug - 4
	}
}
