package config

import (
	"errors"
	"fmt"
	"strings"
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

func TestCheckListenAddr(t *testing.T) {
	for _, tt := range []struct {
		addr    string
		wantErr string
	}{
		{":9464", ""},
		{"127.0.0.1:0", ""},
		{"[::1]:65535", ""},
		{"localhost", "want host:port or :port"},
		{":65536", `port "65536" is not a number from 0 to 65535`},
		{":-1", `port "-1" is not a number`},
		{":http", `port "http" is not a number`},
	} {
		err := CheckListenAddr(tt.addr)
		switch {
		case tt.wantErr == "" && err != nil:
			t.Errorf("CheckListenAddr(%q) = %v, want nil", tt.addr, err)
		case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
			t.Errorf("CheckListenAddr(%q) = %v, want an error containing %q", tt.addr, err, tt.wantErr)
		}
	}
}

func TestSplitList(t *testing.T) {
	for in, want := range map[string][]string{
		"":                 nil,
		" , ,":             nil,
		"a":                {"a"},
		" a:1 , b:2,,c:3 ": {"a:1", "b:2", "c:3"},
	} {
		if got := SplitList(in); fmt.Sprint(got) != fmt.Sprint(want) || len(got) != len(want) {
			t.Errorf("SplitList(%q) = %q, want %q", in, got, want)
		}
	}
}
