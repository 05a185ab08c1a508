// Package preflight checks, before a command starts its work, that the
// seed brokers answer as Kafka brokers, and turns the ways they do not into
// messages that name the address and what to check. Without it a client
// keeps retrying: a load generator that never produces a record, or a
// processor that waits out a request timeout and reports only "context
// deadline exceeded".
package preflight

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/eventproc/eventproc/kafkaio"
)

// DefaultTimeout bounds the whole check: a reachable broker answers in
// milliseconds, so a few seconds separate "down" from "slow" well enough.
const DefaultTimeout = 5 * time.Second

// Reason is why the check failed, a closed set.
type Reason string

const (
	// Unreachable: no seed broker accepted a TCP connection.
	Unreachable Reason = "unreachable"
	// NotKafka: a seed accepted the connection but gave no Kafka answer
	// in time (another service on the port, or TLS/SASL expected).
	NotKafka Reason = "not_kafka"
	// Refused: a broker answered with an error (authentication, ...).
	Refused Reason = "refused"
)

// Error is a failed check.
type Error struct {
	Reason  Reason
	Brokers []string
	Hint    string
	Err     error
}

func (e *Error) Error() string {
	var what string
	switch e.Reason {
	case Unreachable:
		what = "cannot reach any Kafka broker at " + strings.Join(e.Brokers, ",")
	case NotKafka:
		what = strings.Join(e.Brokers, ",") + " accepted a connection but did not answer as a Kafka broker"
	default:
		what = "Kafka at " + strings.Join(e.Brokers, ",") + " refused the connection"
	}
	msg := what
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	if e.Hint != "" {
		msg += " (" + e.Hint + ")"
	}
	return msg
}

func (e *Error) Unwrap() error { return e.Err }

// Dialer opens a TCP connection; net.Dialer.DialContext in production.
type Dialer func(ctx context.Context, network, addr string) (net.Conn, error)

// Check dials every seed broker and, if at least one accepts, asks the
// cluster for its metadata through cl. It returns nil or an *Error, within
// timeout (DefaultTimeout if zero). tlsOrSASL says whether the client uses
// TLS or SASL, for the hint of a broker that does not answer.
func Check(ctx context.Context, cl *kgo.Client, seeds []string, tlsOrSASL bool, timeout time.Duration) error {
	var d net.Dialer
	return check(ctx, d.DialContext, cl.Ping, seeds, tlsOrSASL, timeout)
}

// CheckClient is Check for a client configuration: cl is the command's
// client, or nil for a short-lived one made from cfg.
func CheckClient(ctx context.Context, cfg kafkaio.ClientConfig, cl *kgo.Client) error {
	if cl == nil {
		tmp, err := kafkaio.NewClient(cfg)
		if err != nil {
			return err
		}
		defer tmp.Close()
		cl = tmp
	}
	tlsOrSASL := cfg.TLS.Enabled || cfg.TLS.CAFile != "" || cfg.TLS.CertFile != "" || cfg.SASL.Mechanism != ""
	return Check(ctx, cl, cfg.Brokers, tlsOrSASL, DefaultTimeout)
}

func check(ctx context.Context, dial Dialer, ping func(context.Context) error, seeds []string, tlsOrSASL bool, timeout time.Duration) error {
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	var (
		reachable []string
		dialErrs  []error
	)
	dialCtx, cancelDial := context.WithTimeout(ctx, timeout/2)
	for _, addr := range seeds {
		conn, err := dial(dialCtx, "tcp", addr)
		if err != nil {
			if len(seeds) > 1 {
				err = fmt.Errorf("%s: %w", addr, unwrapDial(err))
			} else {
				err = unwrapDial(err)
			}
			dialErrs = append(dialErrs, err)
			continue
		}
		_ = conn.Close()
		reachable = append(reachable, addr)
	}
	cancelDial()
	if len(reachable) == 0 {
		if err := ctx.Err(); err != nil && !errors.Is(err, context.DeadlineExceeded) {
			return err // interrupted
		}
		return &Error{Reason: Unreachable, Brokers: seeds, Err: errors.Join(dialErrs...),
			Hint: "check --brokers, that Kafka is running and listens on that address, and that no firewall is in the way"}
	}
	err := ping(ctx)
	if err == nil {
		return nil
	}
	if parent := context.Cause(ctx); parent != nil && !errors.Is(parent, context.DeadlineExceeded) {
		return parent // interrupted
	}
	var kafkaErr *kerr.Error
	if !errors.As(err, &kafkaErr) {
		hint := "check that --brokers names Kafka's listener port, not another service"
		if tlsOrSASL {
			hint += ", and that the listener's TLS and SASL settings match --tls-* and --sasl-*"
		} else {
			hint += "; if the listener expects TLS, add --tls-enabled"
		}
		if errors.Is(err, context.DeadlineExceeded) || ctx.Err() != nil {
			err = fmt.Errorf("no Kafka response within %s", timeout)
		}
		return &Error{Reason: NotKafka, Brokers: reachable, Hint: hint, Err: err}
	}
	return &Error{Reason: Refused, Brokers: reachable, Err: err}
}

// unwrapDial drops net.OpError's "dial tcp" prefix, keeping the cause
// (connection refused, no such host, i/o timeout).
func unwrapDial(err error) error {
	var op *net.OpError
	if errors.As(err, &op) && op.Err != nil {
		return op.Err
	}
	return err
}

// ExplainAuthError adds check, what to look at, to an error that says the
// brokers refused the client's SASL credentials. Kafka answers a failed
// SASL handshake with SASL_AUTHENTICATION_FAILED; some brokers (and the
// embedded one) just close the connection, which franz-go reports as EOF,
// so an EOF gets the same hint, and tlsHint (the TLS flag to try). Other
// errors come back unchanged. Call it only for a client that uses SASL.
func ExplainAuthError(err error, check, tlsHint string) error {
	switch {
	case errors.Is(err, kerr.SaslAuthenticationFailed):
		return fmt.Errorf("%w: SASL authentication failed: %s", err, check)
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNRESET):
		return fmt.Errorf("%w: the broker closed the connection, as it does when SASL authentication fails: %s (and %s if the listener expects TLS)",
			err, check, tlsHint)
	}
	return err
}
