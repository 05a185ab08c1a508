package intake

import (
	"bytes"
	"crypto/sha256"
	"slices"
	"strconv"
	"time"

	"github.com/eventproc/eventproc/event"
)

// Decoder turns record values into events. It owns scratch buffers that
// the events it fills alias, so it is reusable but not safe for concurrent
// use: give each goroutine its own.
type Decoder struct {
	cfg Config
	// skewSeconds is cfg.MaxClockSkew in seconds, precomputed.
	skewSeconds float64

	// frames is the depth stack: frames[d] is the open container at depth
	// d. It has MaxDepth+1 entries, so depth is bounded by data, not by
	// the goroutine stack.
	frames []canonFrame

	// Per-Decode state, reset by Decode.
	failure  scanFailure
	deferred *ValidationError // first content rejection, reported if the syntax is valid
	curKey   []byte           // top-level member being scanned, for messages
	summary  event.MetadataSummary

	// Scratch buffers, reused across Decode calls; events alias some of them.
	canon      []byte   // canonical metadata
	members    []member // member stack of the objects open in metadata
	keys       []byte   // decoded metadata keys that had escapes
	tmp        []byte   // reorder space for sortMembers
	shape      []byte   // metadata shape, for StructureHash
	str        []byte   // a decoded metadata string value
	digits     []byte   // number canonicalisation
	payload    []byte   // Event.Payload
	topKeys    []byte   // decoded top-level keys that had escapes
	otherKeys  [][]byte // decoded payload keys, for duplicate detection
	fieldBuf   []byte   // decoded priority/timestamp/load strings
	eventID    []byte   // Event.EventID when it needs decoding
	sourceID   []byte   // Event.SourceID when it needs decoding
	emptyMeta  [2]byte  // "{}" for absent metadata; Event.Metadata aliases it
	emptyHash  [32]byte // hash of "{}"
	emptyShape uint64   // structure hash of "{}"
}

// NewDecoder returns a decoder for cfg, used as given (see
// Config.WithDefaults for filling in defaults).
func NewDecoder(cfg Config) (*Decoder, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	d := &Decoder{
		cfg:         cfg,
		skewSeconds: cfg.MaxClockSkew.Seconds(),
		frames:      make([]canonFrame, cfg.MaxDepth+1),
		canon:       make([]byte, 0, 512),
		members:     make([]member, 0, 32),
		tmp:         make([]byte, 0, 512),
		payload:     make([]byte, 0, 512),
		otherKeys:   make([][]byte, 0, 16),
		emptyMeta:   [2]byte{'{', '}'},
	}
	d.emptyHash = sha256.Sum256(d.emptyMeta[:])
	d.emptyShape = d.structureHash(d.emptyMeta[:])
	return d, nil
}

// Config returns the decoder's effective configuration (defaults applied).
func (d *Decoder) Config() Config { return d.cfg }

// The top-level members eventproc interprets.
const (
	fieldEventID       = "event_id"
	fieldSourceID      = "source_id"
	fieldTimestamp     = "timestamp"
	fieldPriority      = "priority"
	fieldLoadIndicator = "load_indicator"
	fieldMetadata      = "metadata"
)

// knownField is a bit per interpreted member, for the seen-set.
type knownField uint8

const (
	knownEventID knownField = 1 << iota
	knownSourceID
	knownTimestamp
	knownPriority
	knownLoad
	knownMetadata
)

func lookupField(key []byte) (knownField, string) {
	switch string(key) {
	case fieldEventID:
		return knownEventID, fieldEventID
	case fieldSourceID:
		return knownSourceID, fieldSourceID
	case fieldTimestamp:
		return knownTimestamp, fieldTimestamp
	case fieldPriority:
		return knownPriority, fieldPriority
	case fieldLoadIndicator:
		return knownLoad, fieldLoadIndicator
	case fieldMetadata:
		return knownMetadata, fieldMetadata
	}
	return 0, ""
}

// epoch2000 is 2000-01-01T00:00:00Z: earlier timestamps are unreliable.
const epoch2000 = 946684800

// fields collects the interpreted values of one Decode before they are
// committed to the event (an event is only written when it is accepted).
type fields struct {
	present   knownField // members present, for duplicate detection
	seen      knownField // members present and not null
	eventID   []byte
	sourceID  []byte
	timestamp float64
	priority  event.Priority
	load      float64
	metadata  []byte
}

// Decode parses value, a record value whose broker timestamp is
// receivedAt, into *ev. On rejection it returns a *ValidationError and
// leaves *ev zeroed. Slices in ev alias value or the decoder's scratch
// until the next Decode.
//
// Order of checks: too_large by length first; then one left-to-right scan
// in which the first syntax failure (invalid_json) or depth overflow
// (too_deep) ends decoding. Only a value that is entirely valid JSON
// within the limits gets a content reason: not_an_object; else the first
// member (in input order) that is null/"" where required (missing_field)
// or unconvertible or duplicated (invalid_field); else a duplicated
// payload key (invalid_field); else an absent required member
// (missing_field), checked in the order event_id, source_id, timestamp.
func (d *Decoder) Decode(value []byte, receivedAt time.Time, ev *event.Event) error {
	*ev = event.Event{}
	if len(value) > d.cfg.MaxEventBytes {
		return reject(event.ReasonTooLarge, "", "value is "+strconv.Itoa(len(value))+
			" bytes, more than --max-event-bytes "+strconv.Itoa(d.cfg.MaxEventBytes))
	}
	d.failure = scanFailure{}
	d.deferred = nil
	d.curKey = nil
	d.summary = event.MetadataSummary{}
	d.members = d.members[:0]
	d.keys = d.keys[:0]
	d.topKeys = d.topKeys[:0]
	d.otherKeys = d.otherKeys[:0]
	d.canon = d.canon[:0]

	v := value
	i := skipSpace(v, 0)
	if i >= len(v) {
		d.fail(problemEmpty, i)
		return d.failureError(v)
	}
	if v[i] != '{' {
		return d.decodeNonObject(v, i)
	}

	f := fields{priority: event.PriorityMedium}
	payload := d.payload[:0]
	i = skipSpace(v, i+1)
	if i < len(v) && v[i] == '}' {
		i++
	} else {
		for {
			if i >= len(v) {
				d.fail(problemEOF, i)
				return d.failureError(v)
			}
			if v[i] != '"' {
				d.fail(problemWantKey, i)
				return d.failureError(v)
			}
			d.curKey = nil // a broken key belongs to no member
			keyStart := i
			keyEnd, escaped := d.scanString(v, i)
			if keyEnd < 0 {
				return d.failureError(v)
			}
			key := v[keyStart+1 : keyEnd-1]
			if escaped {
				kb := len(d.topKeys)
				d.topKeys = appendUnescaped(d.topKeys, key)
				key = d.topKeys[kb:len(d.topKeys):len(d.topKeys)]
			}
			d.curKey = key
			if i = d.expectColon(v, keyEnd); i < 0 {
				return d.failureError(v)
			}
			i = skipSpace(v, i)

			known, name := lookupField(key)
			switch {
			case known == 0:
				s, ok := d.scanValue(v, i, 1)
				if !ok {
					return d.failureError(v)
				}
				if len(payload) == 0 {
					payload = append(payload, '{')
				} else {
					payload = append(payload, ',')
				}
				payload = append(payload, v[keyStart:keyEnd]...)
				payload = append(payload, ':')
				payload = append(payload, v[s.start:s.end]...)
				d.otherKeys = append(d.otherKeys, key)
				i = s.end
			case f.present&known != 0:
				s, ok := d.scanValue(v, i, 1)
				if !ok {
					return d.failureError(v)
				}
				d.deferReject(event.ReasonInvalidField, name, name+": duplicate key (ambiguous; each member may appear once)")
				i = s.end
			case known == knownMetadata && i < len(v) && v[i] == '{':
				f.present |= known
				start := i
				if i = d.canonMetadata(v, i); i < 0 {
					return d.failureError(v)
				}
				f.metadata = v[start:i]
				f.seen |= known
			default:
				f.present |= known
				s, ok := d.scanValue(v, i, 1)
				if !ok {
					return d.failureError(v)
				}
				if s.kind != kindNull {
					f.seen |= known
					d.convertField(v, s, known, name, &f)
				} else if known&(knownEventID|knownSourceID|knownTimestamp) != 0 {
					d.deferReject(event.ReasonMissingField, name, name+": is null; "+requiredForm(known))
				}
				i = s.end
			}
			i = skipSpace(v, i)
			if i >= len(v) {
				d.fail(problemEOF, i)
				return d.failureError(v)
			}
			if v[i] == ',' {
				i = skipSpace(v, i+1)
				continue
			}
			if v[i] == '}' {
				i++
				break
			}
			d.fail(problemUnexpected, i)
			return d.failureError(v)
		}
	}
	d.curKey = nil
	if i = skipSpace(v, i); i < len(v) {
		d.fail(problemTrailing, i)
		return d.failureError(v)
	}
	if len(payload) > 0 {
		payload = append(payload, '}')
	}
	d.payload = payload

	if d.deferred != nil {
		return d.deferred
	}
	if err := d.checkOtherKeys(); err != nil {
		return err
	}
	for _, req := range [...]knownField{knownEventID, knownSourceID, knownTimestamp} {
		if f.seen&req == 0 {
			name := requiredName(req)
			return reject(event.ReasonMissingField, name, name+": missing; "+requiredForm(req))
		}
	}
	d.commit(&f, payload, receivedAt, ev)
	return nil
}

// decodeNonObject validates a top-level value that does not start with
// '{': invalid JSON stays invalid_json (or too_deep), valid JSON is
// not_an_object.
func (d *Decoder) decodeNonObject(v []byte, i int) error {
	s, ok := d.scanValue(v, i, 0)
	if !ok {
		return d.failureError(v)
	}
	if j := skipSpace(v, s.end); j < len(v) {
		d.fail(problemTrailing, j)
		return d.failureError(v)
	}
	return reject(event.ReasonNotAnObject, "", "value is a JSON "+s.kind.String()+", want an object")
}

// deferReject records a content rejection; only the first one counts, and
// only if the rest of the value turns out to be valid JSON.
func (d *Decoder) deferReject(r event.Reason, field, msg string) {
	if d.deferred == nil {
		d.deferred = reject(r, field, msg)
	}
}

// checkOtherKeys rejects a payload member that appears twice (compared by
// decoded key): the payload would be ambiguous.
func (d *Decoder) checkOtherKeys() error {
	ks := d.otherKeys
	if len(ks) < 2 {
		return nil
	}
	if len(ks) <= insertionSortMax {
		for k := 1; k < len(ks); k++ {
			for j := k; j > 0 && bytes.Compare(ks[j-1], ks[j]) > 0; j-- {
				ks[j-1], ks[j] = ks[j], ks[j-1]
			}
		}
	} else {
		slices.SortFunc(ks, bytes.Compare)
	}
	for k := 1; k < len(ks); k++ {
		if bytes.Equal(ks[k-1], ks[k]) {
			name := string(ks[k])
			return reject(event.ReasonInvalidField, name,
				quoteString(ks[k])+": duplicate key (ambiguous; each member may appear once)")
		}
	}
	return nil
}

func requiredName(k knownField) string {
	switch k {
	case knownEventID:
		return fieldEventID
	case knownSourceID:
		return fieldSourceID
	case knownTimestamp:
		return fieldTimestamp
	}
	return ""
}

func requiredForm(k knownField) string {
	if k == knownTimestamp {
		return "required: epoch seconds as a number or numeric string, or an RFC 3339 time"
	}
	return "required: a non-empty string or a number"
}

// commit writes an accepted event.
func (d *Decoder) commit(f *fields, payload []byte, receivedAt time.Time, ev *event.Event) {
	ev.EventID = f.eventID
	ev.SourceID = f.sourceID
	ev.ReceivedAt = epochSeconds(receivedAt)
	ev.Timestamp = f.timestamp
	if !(f.timestamp >= epoch2000 && f.timestamp <= ev.ReceivedAt+d.skewSeconds) {
		ev.Timestamp = ev.ReceivedAt
		ev.TimestampCorrected = true
	}
	ev.Priority = f.priority
	ev.Load = f.load
	if f.metadata == nil {
		ev.Metadata = d.emptyMeta[:]
		ev.MetadataHash = d.emptyHash
		ev.Summary = event.MetadataSummary{ByteSize: 2, StructureHash: d.emptyShape}
	} else {
		ev.Metadata = f.metadata
		ev.MetadataHash = sha256.Sum256(d.canon)
		ev.Summary = d.summary
		ev.Summary.ByteSize = len(d.canon)
		ev.Summary.StructureHash = d.structureHash(d.canon)
	}
	if len(payload) > 0 {
		ev.Payload = payload
	}
}

// epochSeconds converts t to fractional epoch seconds without going
// through UnixNano (which overflows outside 1678..2262).
func epochSeconds(t time.Time) float64 {
	return float64(t.Unix()) + float64(t.Nanosecond())/1e9
}
