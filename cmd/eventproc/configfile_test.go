package main

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/urfave/cli/v2"
	"github.com/urfave/cli/v2/altsrc"
	"gopkg.in/yaml.v3"

	"github.com/eventproc/eventproc/enrich"
	"github.com/eventproc/eventproc/intake"
	"github.com/eventproc/eventproc/kafkaio"
	"github.com/eventproc/eventproc/processor"
)

// runConfigOf runs `eventproc run args...` in-process with the real flags,
// environment and config file handling, but with an action that only
// builds and checks the configuration (runConfigFrom, as run does before
// connecting). It returns the configuration, the log level in effect and
// the error the command line would have reported.
func runConfigOf(t *testing.T, args ...string) (cfg processor.Config, logLevel string, err error) {
	t.Helper()
	app := newApp(io.Discard, io.Discard)
	found := false
	for _, cmd := range app.Commands {
		if cmd.Name == "run" {
			found = true
			cmd.Action = func(c *cli.Context) error {
				if _, err := newLogger(c, io.Discard); err != nil {
					return err
				}
				logLevel = c.String(flagLogLevel)
				cfg, err = runConfigFrom(c)
				return err
			}
		}
	}
	if !found {
		t.Fatal("no run command")
	}
	err = app.RunContext(context.Background(), append([]string{"eventproc", "run"}, args...))
	return cfg, logLevel, err
}

// clearRunEnv makes sure no EVENTPROC_* variable of the test runner's
// environment leaks into a test about precedence.
func clearRunEnv(t *testing.T) {
	t.Helper()
	for _, kv := range os.Environ() {
		if name, _, _ := strings.Cut(kv, "="); strings.HasPrefix(name, "EVENTPROC_") {
			t.Setenv(name, "")
			os.Unsetenv(name) // t.Setenv restores it after the test
		}
	}
}

func goodConfig() processor.Config {
	return processor.Config{
		Client: kafkaio.ClientConfig{
			Brokers:  []string{"kafka-0.kafka:9092", "kafka-1.kafka:9092"},
			ClientID: "eventproc-run",
			SASL: kafkaio.SASLConfig{Mechanism: "SCRAM-SHA-512", User: "eventproc",
				PasswordFile: "testdata/config/sasl-password.txt"},
		},
		InputTopic: "orders.in", OutputTopic: "orders.out", DLQTopic: "orders.dlq",
		Group: "orders", InstanceID: "worker-1", CreateTopics: false, ReplicationFactor: -1, MinInSyncReplicas: -1,
		WindowMaxEvents: 5000, WindowMaxWait: 20 * time.Millisecond, WindowMaxBytes: 16 << 20,
		TransactionTimeout: 15 * time.Second, SessionTimeout: processor.DefaultSessionTimeout, ShutdownTimeout: 20 * time.Second,
		RetryBackoff: 200 * time.Millisecond, RetryBackoffMax: 5 * time.Second, MaxRetries: 5,
		FetchMaxBytes: processor.DefaultFetchMaxBytes, RestoreTimeout: processor.DefaultRestoreTimeout,
		Intake:         intake.Config{MaxEventBytes: 512 << 10, MaxDepth: 16, MaxClockSkew: time.Minute},
		Enrich:         enrich.Config{Alpha: 0.2, WarmUp: 50, ZThreshold: 4},
		RedactMetadata: true,
	}
}

func TestConfigFileFixtures(t *testing.T) {
	host, _ := os.Hostname()
	defaults := processor.Config{
		Client:     kafkaio.ClientConfig{Brokers: []string{"127.0.0.1:9092"}, ClientID: "eventproc-run"},
		InputTopic: "events.in", OutputTopic: "events.out", DLQTopic: "events.dlq",
		Group: "eventproc", InstanceID: host, CreateTopics: true, ReplicationFactor: -1, MinInSyncReplicas: -1,
		WindowMaxEvents: processor.DefaultWindowMaxEvents, WindowMaxWait: processor.DefaultWindowMaxWait,
		WindowMaxBytes: processor.DefaultWindowMaxBytes, TransactionTimeout: processor.DefaultTransactionTimeout, SessionTimeout: processor.DefaultSessionTimeout,
		ShutdownTimeout: processor.DefaultShutdownTimeout, RetryBackoff: processor.DefaultRetryBackoff,
		RetryBackoffMax: processor.DefaultRetryBackoffMax, MaxRetries: processor.DefaultMaxRetries,
		FetchMaxBytes: processor.DefaultFetchMaxBytes, RestoreTimeout: processor.DefaultRestoreTimeout,
		Intake: intake.Config{MaxEventBytes: intake.DefaultMaxEventBytes, MaxDepth: intake.DefaultMaxDepth, MaxClockSkew: intake.DefaultMaxClockSkew},
		Enrich: enrich.Config{Alpha: enrich.DefaultAlpha, WarmUp: enrich.DefaultWarmUp, ZThreshold: enrich.DefaultZThreshold},
	}
	tests := []struct {
		file      string
		want      *processor.Config // nil: an error is expected
		wantLevel string
		// wantErr are substrings of the error: the file, the line and the
		// key or flag at fault.
		wantErr []string
		// notInErr must not appear in the error (secrets).
		notInErr string
	}{
		{file: "good.yaml", want: ptr(goodConfig()), wantLevel: "debug"},
		{file: "empty.yaml", want: &defaults, wantLevel: "info"},
		{file: "bad-type.yaml", wantErr: []string{"bad-type.yaml", "line 1", "window-max-events", "want an integer", "many"}},
		{file: "bad-duration.yaml", wantErr: []string{"line 2", "window-max-wait", "with a unit"}},
		{file: "bad-bool.yaml", wantErr: []string{"line 1", "create-topics", "want true or false"}},
		{file: "unknown-key.yaml", wantErr: []string{"line 2", `unknown key "window-max-event"`, `did you mean "window-max-events"`}},
		{file: "nested.yaml", wantErr: []string{"line 1", `unknown key "window"`}},
		{file: "secret.yaml", wantErr: []string{"line 3", "sasl-password", "never read from the config file", saslPasswordEnv}, notInErr: "hunter2"},
		{file: "not-a-mapping.yaml", wantErr: []string{"line 1", "must be a mapping"}},
		{file: "null-value.yaml", wantErr: []string{"line 1", "window-max-events", "no value"}},
		{file: "config-key.yaml", wantErr: []string{"line 1", "config can only be given on the command line"}},
		{file: "invalid-combination.yaml", wantErr: []string{"--window-max-wait (15s) must be shorter than --transaction-timeout (10s)"}},
		{file: "invalid-window-bytes.yaml", wantErr: []string{"--window-max-bytes (1024) must be at least --max-event-bytes (4096)"}},
		{file: "sasl-without-user.yaml", wantErr: []string{"--sasl-mechanism SCRAM-SHA-256 needs --sasl-user"}},
		{file: "duplicate-key.yaml", wantErr: []string{"duplicate-key.yaml", "line 3", "window-max-events is already set on line 1"}},
		{file: "does-not-exist.yaml", wantErr: []string{"--config", "does-not-exist.yaml", "no such file"}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			clearRunEnv(t)
			got, level, err := runConfigOf(t, "--config", filepath.Join("testdata", "config", tt.file))
			if tt.want == nil {
				if err == nil {
					t.Fatalf("no error; config %+v", got)
				}
				var ue *usageError
				if !errors.As(err, &ue) {
					t.Errorf("error %T is not a usage error (exit %d): %v", err, exitUsage, err)
				}
				for _, s := range tt.wantErr {
					if !strings.Contains(err.Error(), s) {
						t.Errorf("error does not mention %q:\n%v", s, err)
					}
				}
				if tt.notInErr != "" && strings.Contains(err.Error(), tt.notInErr) {
					t.Errorf("error reveals %q:\n%v", tt.notInErr, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, *tt.want) {
				t.Errorf("config\n got %+v\nwant %+v", got, *tt.want)
			}
			if level != tt.wantLevel {
				t.Errorf("log level %q, want %q", level, tt.wantLevel)
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }

// Precedence: command-line flag > EVENTPROC_* environment > config file >
// default. altsrc implements it by applying a file value only to flags
// neither set on the command line nor present in the environment.
func TestConfigPrecedence(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "eventproc.yaml")
	if err := os.WriteFile(file, []byte("window-max-events: 5000\ncreate-topics: false\ngroup: from-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name         string
		env          map[string]string
		args         []string
		wantEvents   int
		wantCreate   bool
		wantGroup    string
		wantGroupErr bool
	}{
		{name: "default only", wantEvents: processor.DefaultWindowMaxEvents, wantCreate: true, wantGroup: "eventproc"},
		{name: "file over default", args: []string{"--config", file}, wantEvents: 5000, wantCreate: false, wantGroup: "from-file"},
		{name: "file named by the environment", env: map[string]string{"EVENTPROC_CONFIG": file}, wantEvents: 5000, wantCreate: false, wantGroup: "from-file"},
		{name: "environment over file",
			env:  map[string]string{"EVENTPROC_WINDOW_MAX_EVENTS": "6000", "EVENTPROC_CREATE_TOPICS": "true"},
			args: []string{"--config", file}, wantEvents: 6000, wantCreate: true, wantGroup: "from-file"},
		{name: "flag over environment and file",
			env:        map[string]string{"EVENTPROC_WINDOW_MAX_EVENTS": "6000", "EVENTPROC_GROUP": "from-env"},
			args:       []string{"--config", file, "--window-max-events", "7000", "--create-topics=true", "--group", "from-flag"},
			wantEvents: 7000, wantCreate: true, wantGroup: "from-flag"},
		{name: "flag over file, environment unset",
			args:       []string{"--config", file, "--window-max-events", "7000"},
			wantEvents: 7000, wantCreate: false, wantGroup: "from-file"},
		// An environment variable that is present, even empty, hides the
		// file's value (altsrc checks presence, not content).
		{name: "empty environment variable hides the file",
			env:  map[string]string{"EVENTPROC_GROUP": ""},
			args: []string{"--config", file}, wantGroupErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clearRunEnv(t)
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			cfg, _, err := runConfigOf(t, tt.args...)
			if tt.wantGroupErr {
				if err == nil || !strings.Contains(err.Error(), "--group must not be empty") {
					t.Fatalf("error %v, want --group must not be empty", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if cfg.WindowMaxEvents != tt.wantEvents || cfg.CreateTopics != tt.wantCreate || cfg.Group != tt.wantGroup {
				t.Errorf("window-max-events %d, create-topics %v, group %q; want %d, %v, %q",
					cfg.WindowMaxEvents, cfg.CreateTopics, cfg.Group, tt.wantEvents, tt.wantCreate, tt.wantGroup)
			}
		})
	}
}

// --check-config prints every file-configurable flag as YAML that --config
// reads back into the same configuration, never the SASL password.
func TestCheckConfigRoundTrip(t *testing.T) {
	clearRunEnv(t)
	const password = "pw-from-env-0xC0FFEE"
	t.Setenv(saslPasswordEnv, password)
	good := filepath.Join("testdata", "config", "good.yaml")
	out, errOut, code := runCLI(t, t.Context(), "run", "--config", good, "--check-config")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if strings.Contains(out+errOut, password) {
		t.Fatalf("--check-config printed the password:\n%s", out)
	}
	if !strings.Contains(out, saslPasswordEnv+": set (not shown)") {
		t.Errorf("output does not say whether the password is set:\n%s", out)
	}
	var printed map[string]any
	if err := yaml.Unmarshal([]byte(out), &printed); err != nil {
		t.Fatalf("output is not YAML: %v\n%s", err, out)
	}
	var keys []string
	for k := range printed {
		keys = append(keys, k)
	}
	if want := fileConfigurableNames(runCommandFlags()); !sameSet(keys, want) {
		t.Errorf("printed keys %v, want every file-configurable flag %v", keys, want)
	}

	file := filepath.Join(t.TempDir(), "effective.yaml")
	if err := os.WriteFile(file, []byte(out), 0o600); err != nil {
		t.Fatal(err)
	}
	again, level, err := runConfigOf(t, "--config", file)
	if err != nil {
		t.Fatalf("printed config does not load: %v\n%s", err, out)
	}
	want := goodConfig()
	want.Client.SASL.Password = password
	if !reflect.DeepEqual(again, want) {
		t.Errorf("round trip\n got %+v\nwant %+v", again, want)
	}
	if level != "debug" {
		t.Errorf("log level %q after round trip", level)
	}
}

func sameSet(a, b []string) bool {
	m := map[string]int{}
	for _, s := range a {
		m[s]++
	}
	for _, s := range b {
		m[s]--
	}
	for _, n := range m {
		if n != 0 {
			return false
		}
	}
	return true
}

// Every flag of run, including connection and logging flags added by
// other files later, must be settable from the config file.
func TestRunFlagsAreFileConfigurable(t *testing.T) {
	for _, f := range runCommandFlags() {
		name := f.Names()[0]
		if name == flagConfig || name == flagCheckConfig {
			continue
		}
		if _, ok := f.(altsrc.FlagInputSourceExtension); !ok {
			t.Errorf("--%s (%T) cannot be set from --config: add its type to fileConfigurable", name, f)
		}
	}
}

func TestCheckConfigExitCodes(t *testing.T) {
	clearRunEnv(t)
	for _, tt := range []struct {
		name string
		args []string
		want int
	}{
		{"good", []string{"--config", "testdata/config/good.yaml"}, exitOK},
		{"invalid combination", []string{"--config", "testdata/config/invalid-combination.yaml"}, exitUsage},
		{"flag fixes the file", []string{"--config", "testdata/config/invalid-combination.yaml", "--transaction-timeout", "20s"}, exitOK},
		{"bad metrics address", []string{"--metrics-addr", "9464"}, exitUsage},
		{"metrics port out of range", []string{"--metrics-addr", ":99999"}, exitUsage},
		{"metrics port not a number", []string{"--metrics-addr", "127.0.0.1:metrics"}, exitUsage},
		{"unreadable password file", []string{"--sasl-mechanism", "PLAIN", "--sasl-user", "u", "--sasl-password-file", "testdata/config/nope.txt"}, exitUsage},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, errOut, code := runCLI(t, t.Context(), append(append([]string{"run"}, tt.args...), "--check-config")...)
			if code != tt.want {
				t.Fatalf("exit %d, want %d: %s", code, tt.want, errOut)
			}
		})
	}
}

// FuzzParseConfigFile: any input either fails with an error or yields
// values only for keys that are run's file-configurable flags, each of the
// Go type altsrc expects for that flag; it never panics.
func FuzzParseConfigFile(f *testing.F) {
	entries, _ := os.ReadDir(filepath.Join("testdata", "config"))
	for _, e := range entries {
		if b, err := os.ReadFile(filepath.Join("testdata", "config", e.Name())); err == nil {
			f.Add(b)
		}
	}
	flags := runCommandFlags()
	byName := map[string]cli.Flag{}
	for _, fl := range flags {
		byName[fl.Names()[0]] = fl
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		values, err := parseConfigFile(data, flags)
		if err != nil {
			return
		}
		for k, v := range values {
			fl, ok := byName[k.(string)]
			if !ok || k == flagConfig || k == flagCheckConfig {
				t.Fatalf("accepted key %q", k)
			}
			var typeOK bool
			switch fl.(type) {
			case *altsrc.StringFlag, *altsrc.DurationFlag:
				_, typeOK = v.(string)
			case *altsrc.BoolFlag:
				_, typeOK = v.(bool)
			case *altsrc.IntFlag:
				_, typeOK = v.(int)
			case *altsrc.Int64Flag:
				_, typeOK = v.(int64)
			case *altsrc.Uint64Flag:
				_, typeOK = v.(uint64)
			case *altsrc.Float64Flag:
				_, typeOK = v.(float64)
			}
			if !typeOK {
				t.Fatalf("%s: value %#v of type %T for %T", k, v, v, fl)
			}
		}
	})
}
