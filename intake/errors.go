package intake

import (
	"errors"
	"strconv"
	"unicode/utf8"

	"github.com/eventproc/eventproc/event"
)

// One sentinel per rejection reason, so callers can use errors.Is without
// knowing about ValidationError. Their text is the contract's reason code.
var (
	ErrInvalidJSON  = errors.New("invalid_json")
	ErrNotAnObject  = errors.New("not_an_object")
	ErrMissingField = errors.New("missing_field")
	ErrInvalidField = errors.New("invalid_field")
	ErrTooLarge     = errors.New("too_large")
	ErrTooDeep      = errors.New("too_deep")
	// ErrUnpublishable is never returned by the decoder: the publisher
	// uses it for an accepted event that the broker refused.
	ErrUnpublishable = errors.New("unpublishable")
)

// SentinelFor returns the sentinel error of reason r, or nil for a value
// outside the closed set.
func SentinelFor(r event.Reason) error {
	switch r {
	case event.ReasonInvalidJSON:
		return ErrInvalidJSON
	case event.ReasonNotAnObject:
		return ErrNotAnObject
	case event.ReasonMissingField:
		return ErrMissingField
	case event.ReasonInvalidField:
		return ErrInvalidField
	case event.ReasonTooLarge:
		return ErrTooLarge
	case event.ReasonTooDeep:
		return ErrTooDeep
	case event.ReasonUnpublishable:
		return ErrUnpublishable
	}
	return nil
}

// ValidationError is a rejected record: the reason code (a metric label and
// the DLQ reason header), the top-level field it concerns ("" when the
// value as a whole is at fault) and a human-readable message that names
// the field and what is accepted (the DLQ message header).
type ValidationError struct {
	Reason event.Reason
	Field  string
	Msg    string
}

// Error returns "<reason>: <message>".
func (e *ValidationError) Error() string { return e.Reason.String() + ": " + e.Msg }

// Unwrap returns the reason's sentinel, so errors.Is(err, ErrTooDeep) works.
func (e *ValidationError) Unwrap() error { return SentinelFor(e.Reason) }

func reject(r event.Reason, field, msg string) *ValidationError {
	return &ValidationError{Reason: r, Field: field, Msg: msg}
}

// maxQuoted bounds how much of an offending value a message repeats: DLQ
// headers should stay small, and the full value is in the DLQ record anyway.
const maxQuoted = 64

// quoteValue renders raw input bytes for a message, truncated to maxQuoted
// bytes on a rune boundary.
func quoteValue(b []byte) string {
	if len(b) <= maxQuoted {
		return string(b)
	}
	n := maxQuoted
	for n > 0 && !utf8.RuneStart(b[n]) {
		n--
	}
	return string(b[:n]) + "…"
}

// quoteString renders a decoded string for a message, Go-quoted and
// truncated to maxQuoted bytes.
func quoteString(b []byte) string {
	if len(b) <= maxQuoted {
		return strconv.Quote(string(b))
	}
	n := maxQuoted
	for n > 0 && !utf8.RuneStart(b[n]) {
		n--
	}
	return strconv.Quote(string(b[:n])) + "…"
}
