// Package cliargs holds what a urfave/cli command line needs beyond its
// flags: the usage error that marks a mistake in the command line or
// configuration (so that the process can exit with its own status), and
// a guard against stray positional arguments, which the flag parser would
// otherwise take as the end of the flags, silently dropping every flag
// after them.
package cliargs

import (
	"errors"
	"fmt"
	"strings"

	"github.com/urfave/cli/v2"
)

// UsageError marks a mistake in the command line or configuration.
type UsageError struct{ err error }

func (e *UsageError) Error() string { return e.err.Error() }
func (e *UsageError) Unwrap() error { return e.err }

// UsageErrorf is fmt.Errorf marked as a usage error.
func UsageErrorf(format string, args ...any) error {
	return &UsageError{fmt.Errorf(format, args...)}
}

// AsUsageError wraps err, if not nil and not one already, as a usage error.
func AsUsageError(err error) error {
	if err == nil {
		return nil
	}
	var ue *UsageError
	if errors.As(err, &ue) {
		return err
	}
	return &UsageError{err}
}

// OnUsageError turns flag parsing failures (unknown flag, bad value, bad
// environment variable) into usage errors.
func OnUsageError(_ *cli.Context, err error, _ bool) error { return AsUsageError(err) }

// SetUsageErrorHandler sets OnUsageError on cmd and its subcommands that
// have no handler of their own.
func SetUsageErrorHandler(cmd *cli.Command) {
	if cmd.OnUsageError == nil {
		cmd.OnUsageError = OnUsageError
	}
	for _, sub := range cmd.Subcommands {
		SetUsageErrorHandler(sub)
	}
}

// RejectArguments makes cmd (and its subcommands) refuse positional
// arguments unless it declares some in ArgsUsage; wrap marks the error
// (as a usage mistake, say). The flag parser stops at the first word that
// is not a flag, so every flag after a stray word would otherwise be
// dropped without a sound: `--create-topics false --metrics-addr :1`
// would run with create-topics true and the default metrics address. The
// check runs before the command's own Before (which reads the --config
// file), so nothing acts on a half-parsed command line.
func RejectArguments(cmd *cli.Command, wrap func(error) error) {
	for _, sub := range cmd.Subcommands {
		RejectArguments(sub, wrap)
	}
	if cmd.ArgsUsage != "" {
		return
	}
	before := cmd.Before
	cmd.Before = func(c *cli.Context) error {
		if c.NArg() > 0 {
			return wrap(strayArgumentError(c, c.Args().Slice()))
		}
		if before != nil {
			return before(c)
		}
		return nil
	}
}

// strayArgumentError names the first stray word and the flags it hid, and
// says how to give a boolean flag a value.
func strayArgumentError(c *cli.Context, args []string) error {
	cmd := c.Command
	word := args[0]
	msg := fmt.Sprintf("eventproc %s takes no arguments, got %q", cmd.Name, word)
	var ignored []string
	for _, a := range args[1:] {
		if strings.HasPrefix(a, "-") {
			ignored = append(ignored, a)
		}
	}
	if len(ignored) > 0 {
		msg += fmt.Sprintf(" (the flags after it, %s, were not read)", strings.Join(ignored, " "))
	}
	if flag := setBoolFlag(c); flag != "" && isBoolWord(word) {
		msg += fmt.Sprintf(": a boolean flag takes its value after '=': --%s=%s", flag, strings.ToLower(word))
	} else {
		msg += ": write a flag's value as --flag=value or --flag value, and quote values that contain spaces"
	}
	return errors.New(msg)
}

func isBoolWord(s string) bool {
	switch strings.ToLower(s) {
	case "true", "false", "t", "f", "1", "0", "yes", "no", "on", "off":
		return true
	}
	return false
}

// setBoolFlag returns a boolean flag given on the command line, the likely
// owner of a stray true or false ("" if none).
func setBoolFlag(c *cli.Context) string {
	for _, f := range c.Command.Flags {
		name := f.Names()[0]
		if bf, ok := f.(interface{ TakesValue() bool }); ok && !bf.TakesValue() && name != "help" && c.IsSet(name) {
			return name
		}
	}
	return ""
}
