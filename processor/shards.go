package processor

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strconv"
	"time"

	"github.com/eventproc/eventproc/event"
	"github.com/eventproc/eventproc/intake"
	"github.com/eventproc/eventproc/kafkaio"
)

// decodeShard decodes a contiguous run of a window's records with its own
// decoder and buffers, so that shards can run at once.
type decodeShard struct {
	// refused, when set, names input records the broker refused in an
	// earlier attempt of the window (see refusals.go).
	refused func(partition int32, offset int64) (refusedInput, bool)
	dec     *intake.Decoder
	items   []item
	dead    []deadLetter
	evbuf   []byte // copies of accepted events' byte fields
}

func (d *decodeShard) reset() {
	d.items, d.dead, d.evbuf = d.items[:0], d.dead[:0], d.evbuf[:0]
}

// decode validates recs, whose first record is the window's record base.
// Accepted events are copied out of the decoder's scratch so that they
// survive the next Decode.
func (d *decodeShard) decode(recs []kafkaio.InRecord, base int32, clock func() time.Time) {
	var now time.Time
	for i := range recs {
		if i%clockEvery == 0 {
			now = clock()
		}
		r := &recs[i]
		var ri refusedInput
		if d.refused != nil {
			ri, _ = d.refused(r.Partition, r.Offset)
		}
		if ri.force {
			// Treated exactly like an input intake rejected: no sequence
			// number, no change to the source's state.
			d.dead = append(d.dead, deadLetter{rec: base + int32(i), err: &intake.ValidationError{Reason: ri.reason, Msg: ri.msg}, truncate: ri.truncate})
			continue
		}
		d.items = append(d.items, item{rec: base + int32(i), start: now})
		it := &d.items[len(d.items)-1]
		if err := d.dec.Decode(r.Value, r.Timestamp, &it.ev); err != nil {
			d.items = d.items[:len(d.items)-1]
			var ve *intake.ValidationError
			if !errors.As(err, &ve) {
				ve = &intake.ValidationError{Reason: event.ReasonInvalidJSON, Msg: err.Error()}
			}
			d.dead = append(d.dead, deadLetter{rec: base + int32(i), err: ve, truncate: ri.truncate})
			continue
		}
		it.ev.EventID = d.keep(it.ev.EventID)
		it.ev.SourceID = d.keep(it.ev.SourceID)
		it.ev.Metadata = d.keep(it.ev.Metadata)
		it.ev.Payload = d.keep(it.ev.Payload)
	}
}

// clockEvery is how many records share one clock reading, both for the
// start of their decode and for the end of their encode: a reading costs
// about as much as decoding a small field, and per record it was two of
// them. A shared reading is taken before the first of its records, so
// total_processing_time_ms may count up to clockEvery records' decode and
// encode time (tens of microseconds) beyond the event's own.
const clockEvery = 32

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
// buffers, so that shards can run at once. Slices handed out stay
// valid until reset, even when a buffer grows (see keep).
type encodeShard struct {
	inputTopic []byte
	// group is the consumer group, written as event.HeaderGroup.
	group  []byte
	valbuf []byte // output values, changelog keys and values, header values
	hdrs   []kafkaio.Header
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
	var now time.Time
	for k, i := range order {
		if k%clockEvery == 0 {
			now = p.clock()
		}
		it := &p.items[i]
		r := &recs[it.rec]
		it.d.TotalProcessingTimeMs = float64(now.Sub(it.start).Microseconds()) / 1000
		start := len(e.valbuf)
		e.valbuf = event.AppendOutput(e.valbuf, &it.ev, &it.d, opt)
		value := e.valbuf[start:len(e.valbuf):len(e.valbuf)]
		hdrs := e.lineageHeaders(r, true, event.HeaderSourceTopic, event.HeaderSourcePartition, event.HeaderSourceOffset)
		o := kafkaio.OutRecord{Topic: p.topics.Output, Partition: p.outputPartition(r.Partition), Key: it.ev.SourceID, Value: value, Headers: hdrs, Input: it.rec}
		if direct {
			p.add(o)
			continue
		}
		e.out = append(e.out, o)
	}
}

// encodeDeadLetters adds a dead letter for every rejected record: the
// input's key and value byte for byte, its headers, and the error headers.
// A dead letter the broker refused whole before is truncated instead (see
// truncatedPrefix): the value's longest prefix that fits, with headers
// naming the original size and digest.
func (e *encodeShard) encodeDeadLetters(p *pipeline, recs []kafkaio.InRecord) {
	for _, dl := range p.dead {
		r := &recs[dl.rec]
		reason := kafkaio.Header{Key: event.HeaderErrorReason, Value: e.keepValue([]byte(dl.err.Reason.String()))}
		msg := kafkaio.Header{Key: event.HeaderErrorMessage, Value: e.keepValue([]byte(dl.err.Error()))}
		if dl.truncate == 0 {
			hdrs := e.lineageHeaders(r, true, event.HeaderErrorTopic, event.HeaderErrorPartition, event.HeaderErrorOffset, reason, msg)
			p.add(kafkaio.OutRecord{Topic: p.topics.DLQ, Partition: r.Partition, Key: r.Key, Value: r.Value, Headers: hdrs, Input: dl.rec})
			continue
		}
		n, keepHeaders := truncatedPrefix(r, p.dlqLimit, dl.truncate)
		sum := sha256.Sum256(r.Value)
		start := len(e.valbuf)
		e.valbuf = strconv.AppendInt(e.valbuf, int64(len(r.Value)), 10)
		size := e.valbuf[start:len(e.valbuf):len(e.valbuf)]
		hdrs := e.lineageHeaders(r, keepHeaders, event.HeaderErrorTopic, event.HeaderErrorPartition, event.HeaderErrorOffset, reason, msg,
			kafkaio.Header{Key: event.HeaderErrorTruncated, Value: []byte("true")},
			kafkaio.Header{Key: event.HeaderErrorOriginalSize, Value: size},
			kafkaio.Header{Key: event.HeaderErrorOriginalSHA256, Value: e.keepValue(hex.AppendEncode(nil, sum[:]))},
		)
		p.truncated++
		p.add(kafkaio.OutRecord{Topic: p.topics.DLQ, Partition: r.Partition, Key: r.Key, Value: r.Value[:n:n], Headers: hdrs, Input: dl.rec})
	}
}

// truncationMargin is room kept in a truncated dead letter for record and
// batch framing beyond key, value and headers.
const truncationMargin = 4 << 10

// truncatedPrefix is how many bytes of the input value a truncated dead
// letter at the given level keeps, and whether it keeps the input's own
// headers. Level 1 fills the DLQ's limit, with the input's headers when
// they leave room for any value; each further level (the broker refused
// the previous one) drops the input's headers and halves the prefix.
func truncatedPrefix(r *kafkaio.InRecord, dlqLimit, level int) (n int, keepHeaders bool) {
	hdrs := 0
	for _, h := range r.Headers {
		hdrs += len(h.Key) + len(h.Value)
	}
	budget := dlqLimit - len(r.Key) - truncationMargin - 1024 // eventproc's own headers
	keepHeaders = level == 1 && budget-hdrs > 0
	if keepHeaders {
		budget -= hdrs
	}
	budget >>= max(level-1, 0)
	return max(0, min(budget, len(r.Value))), keepHeaders
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
			p.add(kafkaio.OutRecord{Topic: p.topics.Changelog, Partition: part, Key: e.valbuf[kstart:vstart:vstart], Value: e.valbuf[vstart:end:end], Input: -1})
		}
		kstart := len(e.valbuf)
		e.valbuf = append(e.valbuf, checkpointKeyPrefix...)
		e.valbuf = strconv.AppendInt(e.valbuf, int64(part), 10)
		vstart := len(e.valbuf)
		e.valbuf = appendCheckpoint(e.valbuf, wp.publish, wp.nextOffset, p.rulesHash)
		end := len(e.valbuf)
		p.add(kafkaio.OutRecord{Topic: p.topics.Changelog, Partition: part, Key: e.valbuf[kstart:vstart:vstart], Value: e.valbuf[vstart:end:end], Input: -1})
	}
}

// lineageHeaders returns the record's own headers (with own) followed by
// topic, partition and offset headers under the given names, the group
// header, then extra.
func (e *encodeShard) lineageHeaders(r *kafkaio.InRecord, own bool, topicKey, partKey, offKey string, extra ...kafkaio.Header) []kafkaio.Header {
	start := len(e.hdrs)
	if own {
		e.hdrs = append(e.hdrs, r.Headers...)
	}
	pstart := len(e.valbuf)
	e.valbuf = strconv.AppendInt(e.valbuf, int64(r.Partition), 10)
	ostart := len(e.valbuf)
	e.valbuf = strconv.AppendInt(e.valbuf, r.Offset, 10)
	e.hdrs = append(e.hdrs,
		kafkaio.Header{Key: topicKey, Value: e.inputTopic},
		kafkaio.Header{Key: partKey, Value: e.valbuf[pstart:ostart:ostart]},
		kafkaio.Header{Key: offKey, Value: e.valbuf[ostart:len(e.valbuf):len(e.valbuf)]},
	)
	if e.group != nil {
		e.hdrs = append(e.hdrs, kafkaio.Header{Key: event.HeaderGroup, Value: e.group})
	}
	e.hdrs = append(e.hdrs, extra...)
	return e.hdrs[start:len(e.hdrs):len(e.hdrs)]
}

func (e *encodeShard) keepValue(b []byte) []byte {
	start := len(e.valbuf)
	e.valbuf = append(e.valbuf, b...)
	return e.valbuf[start:len(e.valbuf):len(e.valbuf)]
}
