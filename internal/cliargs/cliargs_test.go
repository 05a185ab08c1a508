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
