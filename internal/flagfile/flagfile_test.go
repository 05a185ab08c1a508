package flagfile

import (
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
