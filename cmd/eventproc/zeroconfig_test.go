package main

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/eventproc/eventproc/internal/config"
)

// checkConfigOf runs `run --check-config` with args and returns the
// printed settings.
func checkConfigOf(t *testing.T, args ...string) map[string]any {
	t.Helper()
	out, errOut, code := runCLI(t, t.Context(), append(append([]string{"run"}, args...), "--check-config")...)
	if code != exitOK {
		t.Fatalf("run %v --check-config: exit %d: %s", args, code, errOut)
	}
	var printed map[string]any
	if err := yaml.Unmarshal([]byte(out), &printed); err != nil {
		t.Fatalf("output is not YAML: %v\n%s", err, out)
	}
	return printed
}

// TestZeroMaxRetriesMeansNoRetries: --max-retries 0 reaches the processor
// as 0 (give up at the first failed window), not as the default of 10,
// and --check-config prints the 0 that Run uses.
func TestZeroMaxRetriesMeansNoRetries(t *testing.T) {
	clearRunEnv(t)
	cfg, _, err := runConfigOf(t, "--max-retries", "0")
	if err != nil {
		t.Fatalf("--max-retries 0 rejected: %v", err)
	}
	if cfg.MaxRetries != 0 {
		t.Fatalf("--max-retries 0: processor gets %d", cfg.MaxRetries)
	}
	if got := checkConfigOf(t, "--max-retries", "0")[flagMaxRetries]; got != 0 {
		t.Errorf("--check-config prints max-retries %v, want 0", got)
	}
}

// TestZeroMaxClockSkewMeansNone: --max-clock-skew 0 reaches the decoder as
// 0 (no future timestamps tolerated), not as the 5-minute default.
func TestZeroMaxClockSkewMeansNone(t *testing.T) {
	clearRunEnv(t)
	cfg, _, err := runConfigOf(t, "--max-clock-skew", "0s")
	if err != nil {
		t.Fatalf("--max-clock-skew 0s rejected: %v", err)
	}
	if cfg.Intake.MaxClockSkew != 0 {
		t.Fatalf("--max-clock-skew 0s: processor gets %s", cfg.Intake.MaxClockSkew)
	}
	if got := checkConfigOf(t, "--max-clock-skew", "0s")[flagMaxClockSkew]; got != "0s" {
		t.Errorf("--check-config prints max-clock-skew %v, want 0s", got)
	}
}

// TestMeaninglessZeroRejected: where zero means nothing, the command line
// rejects it naming the flag instead of silently running with the default.
func TestMeaninglessZeroRejected(t *testing.T) {
	clearRunEnv(t)
	for _, tt := range []struct{ flag, zero string }{
		{flagWindowMaxEvents, "0"},
		{flagWindowMaxWait, "0s"},
		{flagWindowMaxBytes, "0"},
		{flagTransactionTimeout, "0s"},
		{flagSessionTimeout, "0s"},
		{flagShutdownTimeout, "0s"},
		{flagRetryBackoff, "0s"},
		{flagMaxEventBytes, "0"},
		{flagMaxDepth, "0"},
		{flagAnomalyAlpha, "0"},
		{flagAnomalyWarmUp, "0"},
		{flagAnomalyZ, "0"},
	} {
		_, _, err := runConfigOf(t, "--"+tt.flag, tt.zero)
		var fe *config.FieldError
		if !errors.As(err, &fe) {
			t.Errorf("--%s %s: error %v, want a *config.FieldError", tt.flag, tt.zero, err)
			continue
		}
		if !strings.Contains(err.Error(), "--"+tt.flag+" (") {
			t.Errorf("--%s %s: error %q does not name the flag and its value", tt.flag, tt.zero, err)
		}
	}
}

// TestCheckConfigPrintsWhatRunUses: every printed setting is the value in
// the configuration handed to the processor (defaults included).
func TestCheckConfigPrintsWhatRunUses(t *testing.T) {
	clearRunEnv(t)
	printed := checkConfigOf(t)
	cfg, _, err := runConfigOf(t)
	if err != nil {
		t.Fatal(err)
	}
	for flag, want := range map[string]any{
		flagWindowMaxEvents:    cfg.WindowMaxEvents,
		flagWindowMaxWait:      cfg.WindowMaxWait.String(),
		flagWindowMaxBytes:     cfg.WindowMaxBytes,
		flagTransactionTimeout: cfg.TransactionTimeout.String(),
		flagSessionTimeout:     cfg.SessionTimeout.String(),
		flagShutdownTimeout:    cfg.ShutdownTimeout.String(),
		flagRetryBackoff:       cfg.RetryBackoff.String(),
		flagRetryBackoffMax:    cfg.RetryBackoffMax.String(),
		flagMaxRetries:         cfg.MaxRetries,
		flagMaxEventBytes:      cfg.Intake.MaxEventBytes,
		flagMaxDepth:           cfg.Intake.MaxDepth,
		flagMaxClockSkew:       cfg.Intake.MaxClockSkew.String(),
		flagAnomalyAlpha:       cfg.Enrich.Alpha,
		flagAnomalyWarmUp:      int(cfg.Enrich.WarmUp),
		flagAnomalyZ:           cfg.Enrich.ZThreshold,
	} {
		if fmt.Sprint(printed[flag]) != fmt.Sprint(want) {
			t.Errorf("--check-config prints %s: %v (%T), the processor gets %v (%T)", flag, printed[flag], printed[flag], want, want)
		}
	}
	if !reflect.DeepEqual(cfg.WithDefaults(), cfg) {
		t.Errorf("the command line left a setting zero for the processor to default")
	}
}
