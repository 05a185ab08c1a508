// Package gen generates realistic input events (docs/contract.md) for load
// tests, demos and benchmarks: a deterministic, seeded stream of JSON values
// keyed by source_id, with a configurable share of deliberately malformed
// records covering every rejection reason of the contract (docs/contract.md).
//
// It owns nothing but the byte layout of generated records. It must not
// import Kafka: callers hand the records to whatever transport they use.
package gen

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/eventproc/eventproc/event"
)

// DefaultSources is the number of distinct source ids when Config.Sources is 0.
const DefaultSources = 50

// Config configures a Generator.
type Config struct {
	// Sources is the number of distinct source ids (default 50).
	Sources int
	// InTurn picks the sources one after another instead of with the
	// default Zipf skew, so that the first Sources records touch every
	// source once (for state-size measurements).
	InTurn bool
	// MalformedRatio is the share of records, in [0, 1], that are
	// deliberately malformed (default 0).
	MalformedRatio float64
	// Seed makes the stream reproducible: the same seed, configuration and
	// clock readings give the same records.
	Seed uint64
	// Clock stamps good events (default time.Now).
	Clock func() time.Time
}

func (c Config) withDefaults() Config {
	if c.Sources == 0 {
		c.Sources = DefaultSources
	}
	if c.Clock == nil {
		c.Clock = time.Now
	}
	return c
}

// Validate reports the first configuration mistake. The zero Config is valid.
func (c Config) Validate() error {
	if c.Sources < 0 {
		return fmt.Errorf("sources %d: must be positive", c.Sources)
	}
	if c.MalformedRatio < 0 || c.MalformedRatio > 1 || c.MalformedRatio != c.MalformedRatio {
		return fmt.Errorf("malformed ratio %v: must be in [0, 1]", c.MalformedRatio)
	}
	return nil
}

// Record is one generated input record.
type Record struct {
	// Key is the source id; nil for some malformed records (upstream
	// producers that forgot the key).
	Key []byte
	// Value is the record value: a JSON event of about 250 bytes, or a
	// deliberately broken one. Nil means a tombstone.
	Value []byte
	// Malformed is true when the value was built to be rejected.
	Malformed bool
	// Reason is the rejection reason eventproc must report for a malformed
	// record (with the default --max-depth and --max-event-bytes). It is
	// meaningless when Malformed is false.
	Reason event.Reason
}

// Generator produces records. It is not safe for concurrent use.
type Generator struct {
	cfg     Config
	rng     *rand.Rand
	pick    *rand.Zipf
	sources []source
	// malformedN counts malformed records so far: it selects the next
	// defect round-robin, so every defect appears early and evenly.
	malformedN int
	// turn is the next source index when InTurn.
	turn int
	buf  []byte
}

type source struct {
	id   string
	kind sourceKind
	// next is the next per-source event number, starting at 1.
	next uint64
}

// New returns a generator. It panics when cfg fails Validate: callers check
// user input with Validate first, so a bad configuration here is a bug.
func New(cfg Config) *Generator {
	cfg = cfg.withDefaults()
	if err := cfg.Validate(); err != nil {
		panic("gen.New: " + err.Error())
	}
	rng := rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x9e3779b97f4a7c15))
	g := &Generator{
		cfg: cfg,
		rng: rng,
		// A mild Zipf skew: a few busy sources, a long tail of quiet ones,
		// as in real fleets.
		pick:    rand.NewZipf(rng, 1.1, 4, uint64(cfg.Sources-1)),
		sources: make([]source, cfg.Sources),
		buf:     make([]byte, 0, 512),
	}
	for i := range g.sources {
		kind := sourceKind(i % int(numSourceKinds))
		g.sources[i] = source{
			id:   kind.prefix() + "-" + strconv.Itoa(i/int(numSourceKinds)+1),
			kind: kind,
			next: 1,
		}
	}
	return g
}

// Sources returns the source ids the generator draws from, in index order.
func (g *Generator) Sources() []string {
	ids := make([]string, len(g.sources))
	for i, s := range g.sources {
		ids[i] = s.id
	}
	return ids
}

// Next returns the next record. The returned slices are fresh: the caller
// may keep them.
func (g *Generator) Next() Record {
	var src *source
	if g.cfg.InTurn {
		src = &g.sources[g.turn]
		g.turn = (g.turn + 1) % len(g.sources)
	} else {
		src = &g.sources[g.pick.Uint64()]
	}
	if g.cfg.MalformedRatio > 0 && g.rng.Float64() < g.cfg.MalformedRatio {
		d := defects[g.malformedN%len(defects)]
		g.malformedN++
		return g.malformed(src, d)
	}
	g.buf = g.appendGood(g.buf[:0], src)
	return Record{Key: []byte(src.id), Value: append([]byte(nil), g.buf...)}
}

// chance reports true with probability p.
func (g *Generator) chance(p float64) bool { return g.rng.Float64() < p }
