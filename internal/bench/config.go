package bench

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math"
	"time"

	"github.com/eventproc/eventproc/internal/gen"
	"github.com/eventproc/eventproc/kafkaio"
	"github.com/eventproc/eventproc/processor"
)

// Config is one benchmark run: eventproc (processor.Run) against the
// passthrough baseline (processor.Passthrough) on the same input.
type Config struct {
	// Client reaches the broker; with Embedded, an in-process broker
	// (kfake) is started instead.
	Client   kafkaio.ClientConfig
	Embedded bool
	// Events is the number of events per throughput phase.
	Events     int64
	Partitions int32
	// Rate 0 is peak mode (a pre-produced backlog); N offers N events/s
	// while each system runs.
	Rate float64
	// LatencyLoad is, in peak mode, the share of eventproc's peak offered
	// in the latency phase (0: no latency phase).
	LatencyLoad float64
	// WindowMaxEvents and WindowMaxWait are both systems' window settings.
	WindowMaxEvents int
	WindowMaxWait   time.Duration
	// SequentialWindows runs both systems with sequential windows.
	SequentialWindows bool
	Gen               gen.Config
	// SkipPassthrough measures eventproc only.
	SkipPassthrough bool
	Logger          *slog.Logger
	// Progress receives progress bars and notes (stderr).
	Progress io.Writer
}

// Validate checks cfg, naming the eventproc bench flag at fault. The
// client configuration is checked only without Embedded.
func (cfg Config) Validate() error {
	switch {
	case cfg.Events < 1:
		return fmt.Errorf("--events %d: need at least 1", cfg.Events)
	case cfg.Partitions < 1:
		return fmt.Errorf("--partitions %d: need at least 1", cfg.Partitions)
	case cfg.Gen.Sources < 1:
		return fmt.Errorf("--sources %d: need at least 1", cfg.Gen.Sources)
	case cfg.Rate < 0 || math.IsNaN(cfg.Rate) || math.IsInf(cfg.Rate, 0):
		return fmt.Errorf("--rate %v: must be 0 (peak) or a positive rate", cfg.Rate)
	case !(cfg.LatencyLoad >= 0 && cfg.LatencyLoad <= 1):
		return fmt.Errorf("--latency-load %v: must be in [0, 1]", cfg.LatencyLoad)
	case cfg.WindowMaxEvents < 1:
		return fmt.Errorf("--window-max-events %d: need at least 1", cfg.WindowMaxEvents)
	case cfg.WindowMaxWait <= 0 || cfg.WindowMaxWait >= processor.DefaultTransactionTimeout:
		return fmt.Errorf("--window-max-wait %s: must be positive and below the transaction timeout %s", cfg.WindowMaxWait, processor.DefaultTransactionTimeout)
	}
	if err := cfg.Gen.Validate(); err != nil {
		return fmt.Errorf("--malformed-ratio/--sources: %v", err)
	}
	if !cfg.Embedded {
		return cfg.Client.Validate()
	}
	return nil
}

const (
	// latencyPhaseMax caps the latency phase of peak mode: it offers
	// min(Events, rate·latencyPhaseMax) events, enough for a stable p99
	// without doubling the run on a shared machine.
	latencyPhaseMax = 10 * time.Second
	// stallTimeout fails a phase whose committed count stops moving.
	stallTimeout = 60 * time.Second
	// drainTimeout bounds waiting for the latency consumer to see the
	// last outputs after the last commit.
	drainTimeout = 15 * time.Second
	// completionPoll is how often a phase checks the committed count: the
	// end of a run is known to within this.
	completionPoll = 5 * time.Millisecond
	rssInterval    = 100 * time.Millisecond
	// tailFetchMaxWait bounds how long the latency consumer's fetch may
	// sit at the broker (see measure).
	tailFetchMaxWait = 20 * time.Millisecond
)

// Run measures both systems as cfg says and returns the report. ctx
// bounds the run; topics and groups it creates are deleted before it
// returns.
func Run(ctx context.Context, cfg Config) (Report, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Progress == nil {
		cfg.Progress = io.Discard
	}
	env, err := startBenchEnv(ctx, cfg, cfg.Logger, cfg.Progress)
	if err != nil {
		return Report{}, err
	}
	defer env.close()
	rep := Report{
		Mode: ModePeak, Broker: env.brokerName(), Events: cfg.Events, Partitions: int(cfg.Partitions),
		WindowMaxEvents: cfg.WindowMaxEvents, WindowMaxWaitMS: Millis(cfg.WindowMaxWait), SequentialWindows: cfg.SequentialWindows, MalformedRatio: cfg.Gen.MalformedRatio,
	}
	if cfg.Rate > 0 {
		rep.Mode = ModeRate
		err = env.runRateMode(ctx, &rep)
	} else {
		err = env.runPeakMode(ctx, &rep)
	}
	if err != nil {
		if ctx.Err() != nil {
			return rep, fmt.Errorf("interrupted: %w", err)
		}
		return rep, err
	}
	if mem, err := ReadMemory(); err == nil {
		rep.MaxRSSMB = MB(mem.PeakRSS)
	} else {
		cfg.Logger.Warn("no memory figures", "err", err)
	}
	return rep, nil
}
