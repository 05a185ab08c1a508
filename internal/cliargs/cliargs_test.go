package cliargs

import (
	"errors"
	"strings"
	"testing"

	"github.com/urfave/cli/v2"
)

var errWrapped = errors.New("usage")

func TestRejectArguments(t *testing.T) {
	for _, tt := range []struct {
		args    []string
		wantErr []string // substrings; none: the action runs
	}{
		{args: []string{"--on", "--name", "x"}},
		{args: []string{"--on", "false", "--name", "x"},
			wantErr: []string{`takes no arguments, got "false"`, "(the flags after it, --name, were not read)", "--on=false"}},
		{args: []string{"stray"},
			wantErr: []string{`got "stray"`, "write a flag's value as --flag=value"}},
	} {
		ran, beforeRan := false, false
		cmd := &cli.Command{
			Name:   "cmd",
			Flags:  []cli.Flag{&cli.BoolFlag{Name: "on"}, &cli.StringFlag{Name: "name"}},
			Before: func(*cli.Context) error { beforeRan = true; return nil },
			Action: func(*cli.Context) error { ran = true; return nil },
		}
		RejectArguments(cmd, func(err error) error { return errors.Join(errWrapped, err) })
		app := &cli.App{Name: "app", Commands: []*cli.Command{cmd}, ExitErrHandler: func(*cli.Context, error) {}}
		err := app.Run(append([]string{"app", "cmd"}, tt.args...))
		if len(tt.wantErr) == 0 {
			if err != nil || !ran || !beforeRan {
				t.Errorf("%v: err %v, action ran %v, before ran %v", tt.args, err, ran, beforeRan)
			}
			continue
		}
		if err == nil || !errors.Is(err, errWrapped) || ran || beforeRan {
			t.Errorf("%v: err %v (want one wrapped), action ran %v, before ran %v", tt.args, err, ran, beforeRan)
			continue
		}
		for _, want := range tt.wantErr {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("%v: %q lacks %q", tt.args, err, want)
			}
		}
	}
}

func TestUsageErrors(t *testing.T) {
	if AsUsageError(nil) != nil {
		t.Error("AsUsageError(nil) is not nil")
	}
	base := errors.New("bad value")
	ue := AsUsageError(base)
	var got *UsageError
	if !errors.As(ue, &got) || !errors.Is(ue, base) || ue.Error() != "bad value" {
		t.Errorf("AsUsageError(%v) = %#v", base, ue)
	}
	if again := AsUsageError(ue); again != ue {
		t.Errorf("AsUsageError wrapped a usage error twice: %#v", again)
	}
	if err := UsageErrorf("--x %d: %w", 3, base); !errors.As(err, &got) || !errors.Is(err, base) || err.Error() != "--x 3: bad value" {
		t.Errorf("UsageErrorf = %#v", err)
	}
	cmd := &cli.Command{Name: "cmd", Subcommands: []*cli.Command{{Name: "sub"}}, Action: func(*cli.Context) error { return nil }}
	SetUsageErrorHandler(cmd)
	app := &cli.App{Name: "app", Commands: []*cli.Command{cmd}, ExitErrHandler: func(*cli.Context, error) {}}
	if err := app.Run([]string{"app", "cmd", "--no-such-flag"}); !errors.As(err, &got) {
		t.Errorf("unknown flag: err %#v, want a *UsageError", err)
	}
	if cmd.Subcommands[0].OnUsageError == nil {
		t.Error("subcommand has no usage error handler")
	}
}
