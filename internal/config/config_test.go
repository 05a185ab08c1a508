package config

import (
	"errors"
	"fmt"
	"testing"
	"time"
)

func TestFieldError(t *testing.T) {
	for _, tt := range []struct {
		err  *FieldError
		want string
	}{
		{Errorf("--max-retries", -1, "must not be negative"), "--max-retries (-1) must not be negative"},
		{Errorf("--window-max-wait", time.Duration(0), "must be positive"), "--window-max-wait (0s) must be positive"},
		{&FieldError{Flag: "--group", Msg: "must not be empty"}, "--group must not be empty"},
	} {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("Error() = %q, want %q", got, tt.want)
		}
		wrapped := fmt.Errorf("run: %w", errors.Join(errors.New("other"), tt.err))
		var fe *FieldError
		if !errors.Is(wrapped, ErrInvalid) || !errors.As(wrapped, &fe) || fe.Flag != tt.err.Flag {
			t.Errorf("%v: errors.Is(ErrInvalid) / errors.As(*FieldError) do not see through wrapping", wrapped)
		}
	}
}
