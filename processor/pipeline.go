package processor

import (
	"bytes"
	"runtime"
	"sync"
	"time"

	"github.com/eventproc/eventproc/classify"
	"github.com/eventproc/eventproc/enrich"
	"github.com/eventproc/eventproc/event"
	"github.com/eventproc/eventproc/intake"
	"github.com/eventproc/eventproc/kafkaio"
	"github.com/eventproc/eventproc/ordering"
	"github.com/eventproc/eventproc/rules"
)

// topics names where a window's records go.
type topics struct {
	Input, Output, DLQ, Changelog string
}

// pipeline is the pure data path of one window: intake → classify →
// enrich → order → encode. It touches no network: Run feeds it polled
// records and produces what it hands to emit. One pipeline is reused for every
// window of a member, so steady-state processing allocates (almost)
// nothing per event.
type pipeline struct {
	topics     topics
	inputTopic []byte
	enrich     enrich.Config
	classifier *classify.Classifier
	// rulesVersion goes into every output, rulesHash into every
	// partition checkpoint.
	rulesVersion string
	rulesHash    [8]byte
	redact       bool
	clock        func() time.Time
	// decoders and encoders are the window's shards, one per CPU
	// (GOMAXPROCS): a large window is decoded, and its outputs encoded, in
	// contiguous runs, one per shard, at once (see parallelMin).
	decoders []decodeShard
	encoders []encodeShard
	parallel bool

	items  []item
	order  []int32
	merger *ordering.Merger
	prio   []event.Priority
	srcs   [][]byte
	dead   []deadLetter
	parts  map[int32]*windowPartition

	out  []kafkaio.OutRecord
	emit func(kafkaio.OutRecord)

	// global is global ordering: the whole window is one output stream on
	// output partition 0, numbered by one counter that continues from
	// globalLast (set by the runner before each window: the highest
	// counter among the partitions' checkpoints).
	global     bool
	globalLast ordering.PublishCounter
	// globalAfter is the stream's last sequence after this pipeline's
	// window: the next window's globalLast while this one is uncommitted.
	globalAfter ordering.PublishCounter

	// under is the pipeline whose window was published before this one's
	// and is not committed yet (set by the runner before each window, nil
	// when the previous window committed): its changes lie between the
	// committed state and this window's.
	under *pipeline

	// dlqLimit is the DLQ's max.message.bytes, which truncated dead
	// letters fill; truncated counts them in the current window.
	dlqLimit  int
	truncated int
	// keyMismatch counts, per input partition, accepted records whose key
	// is not their source_id; mismatchSample is one such source per
	// partition.
	keyMismatch    map[int32]int
	mismatchSample map[int32]string
}

// add appends a record of the window's transaction and hands it on.
func (p *pipeline) add(o kafkaio.OutRecord) {
	p.out = append(p.out, o)
	if p.emit != nil {
		p.emit(o)
	}
}

// item is one accepted event moving through the stages.
type item struct {
	rec   int32 // index of its input record in the window
	start time.Time
	ev    event.Event
	cls   classify.Result
	d     event.Derived
}

type deadLetter struct {
	rec int32
	err *intake.ValidationError
	// truncate > 0 publishes it as a truncated dead letter of that level
	// (see truncatedPrefix): the broker refused it whole before.
	truncate int
}

// windowPartition is a window's uncommitted view of one partition's state:
// the committed state, then what the previous, still uncommitted window
// changed (under), then what this window changed. It is folded into the
// committed state only when the window's transaction commits, so an
// aborted window leaves no trace; the window after an aborted one is
// discarded with it.
type windowPartition struct {
	base       *partitionState
	under      *windowPartition
	changed    map[string]*enrich.SourceState
	publish    ordering.PublishCounter
	nextOffset int64
}

// source returns the window's copy of a source's state, creating it from
// the uncommitted or else the committed state on first use. Only that
// first use allocates.
func (wp *windowPartition) source(id []byte) *enrich.SourceState {
	if st, ok := wp.changed[string(id)]; ok {
		return st
	}
	st := new(enrich.SourceState)
	if u, ok := wp.under.lookup(id); ok {
		*st = *u
	} else {
		*st = wp.base.sources[string(id)]
	}
	wp.changed[string(id)] = st
	return st
}

// lookup returns the window's state of a source, if the window changed
// it. A nil windowPartition changed nothing.
func (wp *windowPartition) lookup(id []byte) (*enrich.SourceState, bool) {
	if wp == nil {
		return nil, false
	}
	st, ok := wp.changed[string(id)]
	return st, ok
}

// windowResult is what processing a window produced.
type windowResult struct {
	records  []kafkaio.OutRecord // outputs in merge order, dead letters, changelog updates
	accepted int
	rejected [event.NumReasons]int
	// truncated counts the truncated dead letters among the rejected.
	truncated int
	// stage durations for the whole window
	intake, classify, enrich, order, encode time.Duration
}

// processing is the time the window spent in the processing stages.
func (res *windowResult) processing() time.Duration {
	return res.intake + res.classify + res.enrich + res.order + res.encode
}

// parallelMin is the smallest window split over two goroutines: below it
// the goroutine hand-off costs more than it saves. Each further shard
// needs another parallelMin/2 records.
const parallelMin = 512

// shardsFor is how many shards a run of n records is split over: one per
// parallelMin/2 records, at most one per shard the pipeline has.
func (p *pipeline) shardsFor(n int) int {
	if !p.parallel {
		return 1
	}
	return max(1, min(len(p.decoders), n/(parallelMin/2)))
}

// shardBounds are the bounds of shard i's contiguous run when n records
// are split over k shards: [n·i/k, n·(i+1)/k).
func shardBounds(n, k, i int) (lo, hi int) { return n * i / k, n * (i + 1) / k }

func newPipeline(t topics, ic intake.Config, ec enrich.Config, redact bool, clock func() time.Time) (*pipeline, error) {
	if clock == nil {
		clock = time.Now
	}
	p := &pipeline{
		topics:     t,
		inputTopic: []byte(t.Input),
		enrich:     ec.WithDefaults(),
		classifier: classify.Default(),
		redact:     redact,
		clock:      clock,
		parallel:   true,
		parts:      make(map[int32]*windowPartition),
		merger:     ordering.NewMerger(),

		keyMismatch:    make(map[int32]int),
		mismatchSample: make(map[int32]string),
	}
	p.rulesHash = rules.Default().Hash()
	p.rulesVersion = rules.Default().Version()
	if err := p.setShards(runtime.GOMAXPROCS(0), ic); err != nil {
		return nil, err
	}
	return p, nil
}

// setShards gives the pipeline n decode and encode shards.
func (p *pipeline) setShards(n int, ic intake.Config) error {
	p.decoders, p.encoders = make([]decodeShard, n), make([]encodeShard, n)
	for i := range p.decoders {
		dec, err := intake.NewDecoder(ic)
		if err != nil {
			return err
		}
		p.decoders[i].dec = dec
		p.encoders[i].inputTopic = p.inputTopic
	}
	return nil
}

// setGroup names the consumer group in every output's lineage headers.
func (p *pipeline) setGroup(group string) {
	g := []byte(group)
	for i := range p.encoders {
		p.encoders[i].group = g
	}
}

// process turns a window of input records into the records of its
// transaction. state returns the committed state of a partition; it must
// be restored already. windowID names the window in every output. emit,
// when not nil, receives each record as soon as it is encoded, in
// transaction order, so that sending overlaps encoding; the records are
// also returned.
func (p *pipeline) process(recs []kafkaio.InRecord, state func(int32) *partitionState, windowID string, emit func(kafkaio.OutRecord)) windowResult {
	p.reset()
	p.emit = emit
	var res windowResult

	t0 := p.clock()
	p.decodeAll(recs, &res)
	t1 := p.clock()
	p.classifyAll()
	t2 := p.clock()
	p.enrichAll(recs, state)
	t3 := p.clock()
	p.mergeOrder(recs)
	t4 := p.clock()
	p.encodeOutputs(recs, windowID)
	p.encoders[0].encodeDeadLetters(p, recs)
	p.encoders[0].encodeChangelog(p)
	t5 := p.clock()

	res.accepted = len(p.items)
	res.truncated = p.truncated
	res.records = p.out
	res.intake, res.classify, res.enrich, res.order, res.encode = t1.Sub(t0), t2.Sub(t1), t3.Sub(t2), t4.Sub(t3), t5.Sub(t4)
	return res
}

// useRules makes the pipeline classify and enrich under st.
func (p *pipeline) useRules(st rules.Stages) {
	p.classifier = st.Classifier
	p.enrich = st.Enrich
	p.rulesHash, p.rulesVersion = st.Hash, st.Version
}

func (p *pipeline) reset() {
	p.items = p.items[:0]
	p.order = p.order[:0]
	p.dead = p.dead[:0]
	p.truncated = 0
	clear(p.keyMismatch)
	clear(p.mismatchSample)
	for i := range p.decoders {
		p.decoders[i].reset()
		p.encoders[i].reset()
	}
	p.out = p.out[:0]
	for k, wp := range p.parts {
		clear(wp.changed)
		delete(p.parts, k)
	}
}

// decodeAll validates every record, over several goroutines for a large
// window (each shard decodes a contiguous run), and gathers the accepted
// events and the dead letters in input order.
func (p *pipeline) decodeAll(recs []kafkaio.InRecord, res *windowResult) {
	k := p.shardsFor(len(recs))
	var wg sync.WaitGroup
	for i := 1; i < k; i++ {
		lo, hi := shardBounds(len(recs), k, i)
		wg.Go(func() { p.decoders[i].decode(recs[lo:hi], int32(lo), p.clock) }) // exits when its run is decoded
	}
	_, hi := shardBounds(len(recs), k, 0)
	p.decoders[0].decode(recs[:hi], 0, p.clock)
	wg.Wait()
	for i := range k {
		d := &p.decoders[i]
		p.items = append(p.items, d.items...)
		p.dead = append(p.dead, d.dead...)
		for _, dl := range d.dead {
			res.rejected[dl.err.Reason]++
		}
	}
}

// classifyAll classifies every accepted event (pure and cheap: in line).
func (p *pipeline) classifyAll() {
	for i := range p.items {
		it := &p.items[i]
		it.cls = p.classifier.Classify(classify.FeaturesOf(&it.ev))
	}
}

// enrichAll applies each source's transition in input order; records of a
// partition arrive in offset order, so each source's events do too.
func (p *pipeline) enrichAll(recs []kafkaio.InRecord, state func(int32) *partitionState) {
	for i := range recs {
		part := recs[i].Partition
		wp := p.partition(part, state)
		if next := recs[i].Offset + 1; next > wp.nextOffset {
			wp.nextOffset = next
		}
	}
	for i := range p.items {
		it := &p.items[i]
		r := &recs[it.rec]
		if !bytes.Equal(r.Key, it.ev.SourceID) {
			if p.keyMismatch[r.Partition] == 0 {
				p.mismatchSample[r.Partition] = string(it.ev.SourceID)
			}
			p.keyMismatch[r.Partition]++
		}
		wp := p.parts[r.Partition]
		st := wp.source(it.ev.SourceID)
		*st, it.d = enrich.Apply(p.enrich, *st, &it.ev, it.cls)
	}
}

func (p *pipeline) partition(part int32, state func(int32) *partitionState) *windowPartition {
	wp, ok := p.parts[part]
	if !ok {
		base := state(part)
		wp = &windowPartition{base: base, changed: make(map[string]*enrich.SourceState), publish: base.publish, nextOffset: base.nextOffset}
		if p.under != nil {
			if u := p.under.parts[part]; u != nil {
				wp.under, wp.publish, wp.nextOffset = u, u.publish, u.nextOffset
			}
		}
		p.parts[part] = wp
	}
	return wp
}

// mergeOrder sorts the window into the contract's merge order and hands
// out each output partition's publish sequence in that order (with global
// ordering, the one stream's).
func (p *pipeline) mergeOrder(recs []kafkaio.InRecord) {
	// Items are in input order, so each source's items are in ascending
	// sequence order, as Merger requires.
	p.prio, p.srcs = p.prio[:0], p.srcs[:0]
	for i := range p.items {
		p.prio = append(p.prio, p.items[i].ev.Priority)
		p.srcs = append(p.srcs, p.items[i].ev.SourceID)
	}
	p.order = p.merger.Order(p.order[:0], p.prio, p.srcs)
	if p.global {
		// One counter over the whole stream. Every partition of the window
		// checkpoints its value after the window, so the highest
		// checkpoint of all partitions is always the stream's last
		// sequence (a window always has a partition).
		c := p.globalLast
		for _, i := range p.order {
			p.items[i].d.GlobalPublishSequence = c.Next()
		}
		for _, wp := range p.parts {
			wp.publish = c
		}
		p.globalAfter = c
		return
	}
	for _, i := range p.order {
		it := &p.items[i]
		it.d.GlobalPublishSequence = p.parts[recs[it.rec].Partition].publish.Next()
	}
}

// encodeOutputs encodes the accepted events in merge order. For a large
// window the order is split into contiguous runs, one per shard, encoded
// at once; the first run is handed to emit while it is encoded, the others
// after, in order, so that emit always sees the transaction order.
func (p *pipeline) encodeOutputs(recs []kafkaio.InRecord, windowID string) {
	opt := event.OutputOptions{WindowID: windowID, RedactMetadata: p.redact, RulesVersion: p.rulesVersion}
	k := p.shardsFor(len(p.order))
	var wg sync.WaitGroup
	for i := 1; i < k; i++ {
		lo, hi := shardBounds(len(p.order), k, i)
		wg.Go(func() { p.encoders[i].encodeOutputs(p, recs, p.order[lo:hi], opt, false) }) // exits when its run is encoded
	}
	_, hi := shardBounds(len(p.order), k, 0)
	p.encoders[0].encodeOutputs(p, recs, p.order[:hi], opt, true)
	wg.Wait()
	for i := 1; i < k; i++ {
		for _, o := range p.encoders[i].out {
			p.add(o)
		}
	}
}

// commit folds the window's changes into the committed state, after its
// transaction committed.
func (p *pipeline) commit() {
	for _, wp := range p.parts {
		for id, st := range wp.changed {
			wp.base.sources[id] = *st
		}
		wp.base.publish = wp.publish
		wp.base.nextOffset = wp.nextOffset
		wp.base.rules, wp.base.rulesKnown = p.rulesHash, true
	}
}

// outputPartition is where the outputs of input partition in go: the same
// number, or partition 0 for the one stream of global ordering.
func (p *pipeline) outputPartition(in int32) int32 {
	if p.global {
		return 0
	}
	return in
}
