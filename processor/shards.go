package processor

import (
	"errors"
	"strconv"
	"time"

	"github.com/eventproc/eventproc/event"
	"github.com/eventproc/eventproc/intake"
	"github.com/eventproc/eventproc/kafkaio"
)

// decodeShard decodes a contiguous run of a window's records with its own
// decoder and buffers, so that two shards can run at once.
type decodeShard struct {
	dec   *intake.Decoder
	items []item
	dead  []deadLetter
	evbuf []byte // copies of accepted events' byte fields
}

func (d *decodeShard) reset() {
	d.items, d.dead, d.evbuf = d.items[:0], d.dead[:0], d.evbuf[:0]
}

// decode validates recs, whose first record is the window's record base.
// Accepted events are copied out of the decoder's scratch so that they
// survive the next Decode.
func (d *decodeShard) decode(recs []kafkaio.InRecord, base int32, clock func() time.Time) {
	for i := range recs {
		r := &recs[i]
		d.items = append(d.items, item{rec: base + int32(i), start: clock()})
		it := &d.items[len(d.items)-1]
		if err := d.dec.Decode(r.Value, r.Timestamp, &it.ev); err != nil {
			d.items = d.items[:len(d.items)-1]
			var ve *intake.ValidationError
			if !errors.As(err, &ve) {
				ve = &intake.ValidationError{Reason: event.ReasonInvalidJSON, Msg: err.Error()}
			}
			d.dead = append(d.dead, deadLetter{rec: base + int32(i), err: ve})
			continue
		}
		it.ev.EventID = d.keep(it.ev.EventID)
		it.ev.SourceID = d.keep(it.ev.SourceID)
		it.ev.Metadata = d.keep(it.ev.Metadata)
		it.ev.Payload = d.keep(it.ev.Payload)
	}
}

// keep copies b into the shard's event buffer. Growing the buffer moves
// later copies only: slices taken earlier keep pointing at the old array,
// whose bytes never change until the next window.
func (d *decodeShard) keep(b []byte) []byte {
	if b == nil {
		return nil
	}
	start := len(d.evbuf)
	d.evbuf = append(d.evbuf, b...)
	return d.evbuf[start:len(d.evbuf):len(d.evbuf)]
}

// encodeShard encodes records of a window's transaction into its own
// buffers, so that two shards can run at once. Slices handed out stay
// valid until reset, even when a buffer grows (see keep).
type encodeShard struct {
	inputTopic []byte
	valbuf     []byte // output values, changelog keys and values, header values
	hdrs       []kafkaio.Header
	// out holds the encoded outputs of a shard that does not add them to
	// the transaction directly.
	out []kafkaio.OutRecord
}

func (e *encodeShard) reset() {
	e.valbuf, e.hdrs, e.out = e.valbuf[:0], e.hdrs[:0], e.out[:0]
}

// encodeOutputs encodes the items listed in order (indices into p.items),
// stamping each one's total processing time. With direct, each record is
// added to the transaction (p.add) as soon as it is encoded; otherwise it
// is kept in e.out for the caller to add in order.
func (e *encodeShard) encodeOutputs(p *pipeline, recs []kafkaio.InRecord, order []int32, opt event.OutputOptions, direct bool) {
	for _, i := range order {
		it := &p.items[i]
		r := &recs[it.rec]
		it.d.TotalProcessingTimeMs = float64(p.clock().Sub(it.start).Microseconds()) / 1000
		start := len(e.valbuf)
		e.valbuf = event.AppendOutput(e.valbuf, &it.ev, &it.d, opt)
		value := e.valbuf[start:len(e.valbuf):len(e.valbuf)]
		hdrs := e.lineageHeaders(r, event.HeaderSourceTopic, event.HeaderSourcePartition, event.HeaderSourceOffset)
		o := kafkaio.OutRecord{Topic: p.topics.Output, Partition: r.Partition, Key: it.ev.SourceID, Value: value, Headers: hdrs}
		if direct {
			p.add(o)
			continue
		}
		e.out = append(e.out, o)
	}
}

// encodeDeadLetters adds a dead letter for every rejected record: the
// input's key and value byte for byte, its headers, and the error headers.
func (e *encodeShard) encodeDeadLetters(p *pipeline, recs []kafkaio.InRecord) {
	for _, dl := range p.dead {
		r := &recs[dl.rec]
		hdrs := e.lineageHeaders(r, event.HeaderErrorTopic, event.HeaderErrorPartition, event.HeaderErrorOffset,
			kafkaio.Header{Key: event.HeaderErrorReason, Value: e.keepValue([]byte(dl.err.Reason.String()))},
			kafkaio.Header{Key: event.HeaderErrorMessage, Value: e.keepValue([]byte(dl.err.Error()))},
		)
		p.add(kafkaio.OutRecord{Topic: p.topics.DLQ, Partition: r.Partition, Key: r.Key, Value: r.Value, Headers: hdrs})
	}
}

// encodeChangelog adds the state of every source the window touched and
// each partition's checkpoint (publish counter, next input offset), to the
// changelog partition with the partition's number.
func (e *encodeShard) encodeChangelog(p *pipeline) {
	for part, wp := range p.parts {
		for id, st := range wp.changed {
			kstart := len(e.valbuf)
			e.valbuf = append(e.valbuf, id...)
			vstart := len(e.valbuf)
			e.valbuf = st.AppendBinary(e.valbuf)
			end := len(e.valbuf)
			p.add(kafkaio.OutRecord{Topic: p.topics.Changelog, Partition: part, Key: e.valbuf[kstart:vstart:vstart], Value: e.valbuf[vstart:end:end]})
		}
		kstart := len(e.valbuf)
		e.valbuf = append(e.valbuf, checkpointKeyPrefix...)
		e.valbuf = strconv.AppendInt(e.valbuf, int64(part), 10)
		vstart := len(e.valbuf)
		e.valbuf = appendCheckpoint(e.valbuf, wp.publish, wp.nextOffset, p.rulesHash)
		end := len(e.valbuf)
		p.add(kafkaio.OutRecord{Topic: p.topics.Changelog, Partition: part, Key: e.valbuf[kstart:vstart:vstart], Value: e.valbuf[vstart:end:end]})
	}
}

// lineageHeaders returns the record's own headers followed by topic,
// partition and offset headers under the given names, then extra.
func (e *encodeShard) lineageHeaders(r *kafkaio.InRecord, topicKey, partKey, offKey string, extra ...kafkaio.Header) []kafkaio.Header {
	start := len(e.hdrs)
	e.hdrs = append(e.hdrs, r.Headers...)
	pstart := len(e.valbuf)
	e.valbuf = strconv.AppendInt(e.valbuf, int64(r.Partition), 10)
	ostart := len(e.valbuf)
	e.valbuf = strconv.AppendInt(e.valbuf, r.Offset, 10)
	e.hdrs = append(e.hdrs,
		kafkaio.Header{Key: topicKey, Value: e.inputTopic},
		kafkaio.Header{Key: partKey, Value: e.valbuf[pstart:ostart:ostart]},
		kafkaio.Header{Key: offKey, Value: e.valbuf[ostart:len(e.valbuf):len(e.valbuf)]},
	)
	e.hdrs = append(e.hdrs, extra...)
	return e.hdrs[start:len(e.hdrs):len(e.hdrs)]
}

func (e *encodeShard) keepValue(b []byte) []byte {
	start := len(e.valbuf)
	e.valbuf = append(e.valbuf, b...)
	return e.valbuf[start:len(e.valbuf):len(e.valbuf)]
}
