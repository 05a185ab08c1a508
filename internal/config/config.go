// Package config holds what every configurable package shares: the error
// that names the command-line flag whose value is wrong, the check of a
// listen address and the splitting of a comma separated list.
//
// The convention of processor.Config, intake.Config and enrich.Config:
//
//   - WithDefaults returns the config with every zero field set to its
//     default. It is for callers that build a config in code and leave
//     fields out. A caller that has a value for every field (the command
//     line passes each flag's value, its default included) does not call
//     it, so that a zero it was given keeps its meaning.
//   - Validate checks the config exactly as given and reports every
//     mistake as a *FieldError. Where zero is meaningful (no retries, no
//     clock skew tolerated) it is accepted; where it is not it is rejected.
//   - The code that uses a config (processor.Run, intake.NewDecoder)
//     validates it and uses it unchanged: it never fills in defaults.
package config

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
)

// ErrInvalid is wrapped by every *FieldError.
var ErrInvalid = errors.New("invalid configuration")

// FieldError names the flag whose value is invalid, the value and why.
type FieldError struct {
	Flag  string // e.g. "--max-retries"
	Value any    // the rejected value
	Msg   string // what the value must be, e.g. "must not be negative"
}

// Error reads "--flag (value) msg", or "--flag msg" without a value.
func (e *FieldError) Error() string {
	if e.Value == nil {
		return e.Flag + " " + e.Msg
	}
	return fmt.Sprintf("%s (%v) %s", e.Flag, e.Value, e.Msg)
}

// Unwrap makes errors.Is(err, ErrInvalid) hold.
func (e *FieldError) Unwrap() error { return ErrInvalid }

// Errorf returns a *FieldError for flag and value with a formatted message.
func Errorf(flag string, value any, format string, args ...any) *FieldError {
	return &FieldError{Flag: flag, Value: value, Msg: fmt.Sprintf(format, args...)}
}

// CheckListenAddr checks a host:port (or :port) listen address without
// listening: the port must be a number from 0 to 65535 (0 picks a free one).
func CheckListenAddr(addr string) error {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("want host:port or :port: %w", err)
	}
	n, err := strconv.Atoi(port)
	if err != nil || n < 0 || n > 65535 {
		return fmt.Errorf("port %q is not a number from 0 to 65535", port)
	}
	return nil
}

// SplitList splits a comma separated list (of brokers, topics, partition
// numbers), trimming spaces and dropping blanks.
func SplitList(s string) []string {
	var out []string
	for _, part := range strings.Split(s, ",") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out
}
