package flagfile

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/urfave/cli/v2"
)

func TestParse(t *testing.T) {
	flags := Configurable([]cli.Flag{
		&cli.StringFlag{Name: "brokers"},
		&cli.IntFlag{Name: "window-max-events"},
		&cli.DurationFlag{Name: "window-max-wait"},
	})
	rules := Rules{
		Secrets:         map[string]string{"password": "use the environment"},
		CommandLineOnly: map[string]string{"config": "APP_CONFIG"},
		ListKeys:        []string{"brokers"},
		Command:         "app run",
	}
	values, err := Parse([]byte("brokers: [a:1, b:2]\nwindow-max-events: 5\nwindow-max-wait: 50ms\n"), flags, rules)
	if err != nil {
		t.Fatal(err)
	}
	if values["brokers"] != "a:1,b:2" || values["window-max-events"] != 5 || values["window-max-wait"] != "50ms" {
		t.Errorf("values %v", values)
	}
	tests := []struct{ name, file, want string }{
		{"secret", "password: x\n", "line 1: password: secrets are never read from the config file: use the environment"},
		{"command line only", "config: x\n", "config can only be given on the command line or as $APP_CONFIG"},
		{"typo", "window-max-event: 5\n", `unknown key "window-max-event": keys are the flag names of app run (see app run --help); did you mean "window-max-events"?`},
		{"wrong type", "window-max-events: five\n", `window-max-events: want an integer, got "five"`},
		{"twice", "window-max-events: 1\nwindow-max-events: 2\n", "line 2: window-max-events is already set on line 1"},
		{"null", "window-max-wait:\n", "no value"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.file), flags, rules)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Parse(%q) = %v, want an error containing %q", tt.file, err, tt.want)
			}
		})
	}
	if got := Names(flags, []string{"brokers"}); strings.Join(got, ",") != "window-max-events,window-max-wait" {
		t.Errorf("Names = %v", got)
	}
}

func TestBefore(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := write("good.yaml", "window-max-events: 7\nbrokers: [a:1, b:2]\nonly-known: x\n")
	bad := write("bad.yaml", "window-max-evnets: 7\n")
	for _, tt := range []struct {
		args       []string
		wantEvents int
		wantErr    string
	}{
		{args: []string{"--config", good}, wantEvents: 7},
		{args: []string{"--config", good, "--window-max-events", "9"}, wantEvents: 9}, // the command line wins
		{args: nil, wantEvents: 1},
		{args: []string{"--config", bad}, wantErr: "--config " + bad + ": "},
		{args: []string{"--config", filepath.Join(dir, "missing.yaml")}, wantErr: "--config: "},
	} {
		// known holds a flag the command itself lacks: the file may set it,
		// and it is not applied.
		known := Configurable([]cli.Flag{&cli.IntFlag{Name: "window-max-events"}, &cli.StringFlag{Name: "brokers"}, &cli.StringFlag{Name: "only-known"}})
		apply := Configurable([]cli.Flag{&cli.IntFlag{Name: "window-max-events", Value: 1}, &cli.StringFlag{Name: "brokers"}})
		var events int
		var brokers string
		cmd := &cli.Command{Name: "cmd", Flags: append(apply, &cli.StringFlag{Name: "config"}),
			Before: Before("config", known, apply, Rules{ListKeys: []string{"brokers"}, Command: "app cmd"}),
			Action: func(c *cli.Context) error {
				events, brokers = c.Int("window-max-events"), c.String("brokers")
				return nil
			}}
		app := &cli.App{Name: "app", Commands: []*cli.Command{cmd}, ExitErrHandler: func(*cli.Context, error) {}}
		err := app.Run(append([]string{"app", "cmd"}, tt.args...))
		switch {
		case tt.wantErr != "":
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("%v: err %v, want one containing %q", tt.args, err, tt.wantErr)
			}
		case err != nil:
			t.Errorf("%v: %v", tt.args, err)
		case events != tt.wantEvents:
			t.Errorf("%v: window-max-events %d, want %d", tt.args, events, tt.wantEvents)
		case len(tt.args) > 0 && brokers != "a:1,b:2":
			t.Errorf("%v: brokers %q, want a:1,b:2", tt.args, brokers)
		}
	}
}
