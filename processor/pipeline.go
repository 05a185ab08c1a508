package processor

import (
	"errors"
	"strconv"
	"time"

	"github.com/eventproc/eventproc/classify"
	"github.com/eventproc/eventproc/enrich"
	"github.com/eventproc/eventproc/event"
	"github.com/eventproc/eventproc/intake"
	"github.com/eventproc/eventproc/kafkaio"
	"github.com/eventproc/eventproc/ordering"
)

// topics names where a window's records go.
type topics struct {
	Input, Output, DLQ, Changelog string
}

// pipeline is the pure data path of one window: intake → classify →
// enrich → order → encode. It touches no network; Run feeds it polled
// records and produces what it returns. One pipeline is reused for every
// window of a member, so steady-state processing allocates (almost)
// nothing per event.
type pipeline struct {
	topics     topics
	inputTopic []byte
	enrich     enrich.Config
	redact     bool
	clock      func() time.Time
	dec        *intake.Decoder

	items  []item
	order  []int32
	merger *ordering.Merger
	prio   []event.Priority
	srcs   [][]byte
	dead   []deadLetter
	parts  map[int32]*windowPartition

	evbuf  []byte // copies of accepted events' byte fields
	valbuf []byte // encoded output values, changelog values, header values
	hdrs   []kafkaio.Header
	out    []kafkaio.OutRecord
	emit   func(kafkaio.OutRecord)
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
}

// windowPartition is a window's uncommitted view of one partition's state:
// the committed state plus what this window changed. It is folded into the
// committed state only when the window's transaction commits, so an
// aborted window leaves no trace.
type windowPartition struct {
	base       *partitionState
	changed    map[string]*enrich.SourceState
	publish    ordering.PublishCounter
	nextOffset int64
}

// source returns the window's copy of a source's state, creating it from
// the committed state on first use. Only that first use allocates.
func (wp *windowPartition) source(id []byte) *enrich.SourceState {
	if st, ok := wp.changed[string(id)]; ok {
		return st
	}
	st := new(enrich.SourceState)
	*st = wp.base.sources[string(id)]
	wp.changed[string(id)] = st
	return st
}

// windowResult is what processing a window produced.
type windowResult struct {
	records  []kafkaio.OutRecord // outputs in merge order, dead letters, changelog updates
	accepted int
	rejected [event.NumReasons]int
	// stage durations for the whole window
	intake, classify, enrich, order, encode time.Duration
}

func newPipeline(t topics, ic intake.Config, ec enrich.Config, redact bool, clock func() time.Time) (*pipeline, error) {
	dec, err := intake.NewDecoder(ic)
	if err != nil {
		return nil, err
	}
	if clock == nil {
		clock = time.Now
	}
	return &pipeline{
		topics:     t,
		inputTopic: []byte(t.Input),
		enrich:     ec.WithDefaults(),
		redact:     redact,
		clock:      clock,
		dec:        dec,
		parts:      make(map[int32]*windowPartition),
		merger:     ordering.NewMerger(),
	}, nil
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
	for i := range p.items {
		it := &p.items[i]
		it.cls = classify.Classify(classify.FeaturesOf(&it.ev))
	}
	t2 := p.clock()
	p.enrichAll(recs, state)
	t3 := p.clock()
	p.mergeOrder(recs)
	t4 := p.clock()
	p.encodeOutputs(recs, windowID)
	p.encodeDeadLetters(recs)
	p.encodeChangelog()
	t5 := p.clock()

	res.accepted = len(p.items)
	res.records = p.out
	res.intake, res.classify, res.enrich, res.order, res.encode = t1.Sub(t0), t2.Sub(t1), t3.Sub(t2), t4.Sub(t3), t5.Sub(t4)
	return res
}

func (p *pipeline) reset() {
	p.items = p.items[:0]
	p.order = p.order[:0]
	p.dead = p.dead[:0]
	p.evbuf = p.evbuf[:0]
	p.valbuf = p.valbuf[:0]
	p.hdrs = p.hdrs[:0]
	p.out = p.out[:0]
	for k, wp := range p.parts {
		clear(wp.changed)
		delete(p.parts, k)
	}
}

// decodeAll validates every record; accepted events are copied out of the
// decoder's scratch so that they survive the next Decode.
func (p *pipeline) decodeAll(recs []kafkaio.InRecord, res *windowResult) {
	for i := range recs {
		r := &recs[i]
		p.items = append(p.items, item{rec: int32(i), start: p.clock()})
		it := &p.items[len(p.items)-1]
		if err := p.dec.Decode(r.Value, r.Timestamp, &it.ev); err != nil {
			p.items = p.items[:len(p.items)-1]
			var ve *intake.ValidationError
			if !errors.As(err, &ve) {
				ve = &intake.ValidationError{Reason: event.ReasonInvalidJSON, Msg: err.Error()}
			}
			p.dead = append(p.dead, deadLetter{rec: int32(i), err: ve})
			res.rejected[ve.Reason]++
			continue
		}
		it.ev.EventID = p.keep(it.ev.EventID)
		it.ev.SourceID = p.keep(it.ev.SourceID)
		it.ev.Metadata = p.keep(it.ev.Metadata)
		it.ev.Payload = p.keep(it.ev.Payload)
	}
}

// keep copies b into the window's event buffer. Growing the buffer moves
// later copies only: slices taken earlier keep pointing at the old array,
// whose bytes never change.
func (p *pipeline) keep(b []byte) []byte {
	if b == nil {
		return nil
	}
	start := len(p.evbuf)
	p.evbuf = append(p.evbuf, b...)
	return p.evbuf[start:len(p.evbuf):len(p.evbuf)]
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
		wp := p.parts[recs[it.rec].Partition]
		st := wp.source(it.ev.SourceID)
		*st, it.d = enrich.Apply(p.enrich, *st, &it.ev, it.cls)
	}
}

func (p *pipeline) partition(part int32, state func(int32) *partitionState) *windowPartition {
	wp, ok := p.parts[part]
	if !ok {
		base := state(part)
		wp = &windowPartition{base: base, changed: make(map[string]*enrich.SourceState), publish: base.publish, nextOffset: base.nextOffset}
		p.parts[part] = wp
	}
	return wp
}

// mergeOrder sorts the window into the contract's global order and hands
// out each output partition's publish sequence in that order.
func (p *pipeline) mergeOrder(recs []kafkaio.InRecord) {
	// Items are in input order, so each source's items are in ascending
	// sequence order, as Merger requires.
	p.prio, p.srcs = p.prio[:0], p.srcs[:0]
	for i := range p.items {
		p.prio = append(p.prio, p.items[i].ev.Priority)
		p.srcs = append(p.srcs, p.items[i].ev.SourceID)
	}
	p.order = p.merger.Order(p.order[:0], p.prio, p.srcs)
	for _, i := range p.order {
		it := &p.items[i]
		it.d.GlobalPublishSequence = p.parts[recs[it.rec].Partition].publish.Next()
	}
}

func (p *pipeline) encodeOutputs(recs []kafkaio.InRecord, windowID string) {
	opt := event.OutputOptions{WindowID: windowID, RedactMetadata: p.redact}
	for _, i := range p.order {
		it := &p.items[i]
		r := &recs[it.rec]
		it.d.TotalProcessingTimeMs = float64(p.clock().Sub(it.start).Microseconds()) / 1000
		start := len(p.valbuf)
		p.valbuf = event.AppendOutput(p.valbuf, &it.ev, &it.d, opt)
		value := p.valbuf[start:len(p.valbuf):len(p.valbuf)]
		hdrs := p.lineageHeaders(r, event.HeaderSourceTopic, event.HeaderSourcePartition, event.HeaderSourceOffset)
		p.add(kafkaio.OutRecord{Topic: p.topics.Output, Partition: r.Partition, Key: it.ev.SourceID, Value: value, Headers: hdrs})
	}
}

func (p *pipeline) encodeDeadLetters(recs []kafkaio.InRecord) {
	for _, dl := range p.dead {
		r := &recs[dl.rec]
		hdrs := p.lineageHeaders(r, event.HeaderErrorTopic, event.HeaderErrorPartition, event.HeaderErrorOffset,
			kafkaio.Header{Key: event.HeaderErrorReason, Value: p.keepValue([]byte(dl.err.Reason.String()))},
			kafkaio.Header{Key: event.HeaderErrorMessage, Value: p.keepValue([]byte(dl.err.Error()))},
		)
		p.add(kafkaio.OutRecord{Topic: p.topics.DLQ, Partition: r.Partition, Key: r.Key, Value: r.Value, Headers: hdrs})
	}
}

// lineageHeaders returns the record's own headers followed by topic,
// partition and offset headers under the given names, then extra.
func (p *pipeline) lineageHeaders(r *kafkaio.InRecord, topicKey, partKey, offKey string, extra ...kafkaio.Header) []kafkaio.Header {
	start := len(p.hdrs)
	p.hdrs = append(p.hdrs, r.Headers...)
	pstart := len(p.valbuf)
	p.valbuf = strconv.AppendInt(p.valbuf, int64(r.Partition), 10)
	ostart := len(p.valbuf)
	p.valbuf = strconv.AppendInt(p.valbuf, r.Offset, 10)
	p.hdrs = append(p.hdrs,
		kafkaio.Header{Key: topicKey, Value: p.inputTopic},
		kafkaio.Header{Key: partKey, Value: p.valbuf[pstart:ostart:ostart]},
		kafkaio.Header{Key: offKey, Value: p.valbuf[ostart:len(p.valbuf):len(p.valbuf)]},
	)
	p.hdrs = append(p.hdrs, extra...)
	return p.hdrs[start:len(p.hdrs):len(p.hdrs)]
}

func (p *pipeline) keepValue(b []byte) []byte {
	start := len(p.valbuf)
	p.valbuf = append(p.valbuf, b...)
	return p.valbuf[start:len(p.valbuf):len(p.valbuf)]
}

// encodeChangelog writes the state of every source the window touched and
// each partition's checkpoint (publish counter, next input offset) to the
// changelog partition with the partition's number.
func (p *pipeline) encodeChangelog() {
	for part, wp := range p.parts {
		for id, st := range wp.changed {
			kstart := len(p.valbuf)
			p.valbuf = append(p.valbuf, id...)
			vstart := len(p.valbuf)
			p.valbuf = st.AppendBinary(p.valbuf)
			end := len(p.valbuf)
			p.add(kafkaio.OutRecord{Topic: p.topics.Changelog, Partition: part, Key: p.valbuf[kstart:vstart:vstart], Value: p.valbuf[vstart:end:end]})
		}
		kstart := len(p.valbuf)
		p.valbuf = append(p.valbuf, checkpointKeyPrefix...)
		p.valbuf = strconv.AppendInt(p.valbuf, int64(part), 10)
		vstart := len(p.valbuf)
		p.valbuf = appendCheckpoint(p.valbuf, wp.publish, wp.nextOffset)
		end := len(p.valbuf)
		p.add(kafkaio.OutRecord{Topic: p.topics.Changelog, Partition: part, Key: p.valbuf[kstart:vstart:vstart], Value: p.valbuf[vstart:end:end]})
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
	}
}
