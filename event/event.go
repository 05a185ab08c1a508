package event

// Event is one accepted, normalised input event (docs/contract.md).
//
// Byte-slice fields alias the decoder's buffers (the input record value or
// the decoder's scratch space): they stay valid until the decoder that
// produced the event decodes again. Callers that keep an event longer copy
// it with Clone.
type Event struct {
	// EventID and SourceID are the normalised identifiers (unescaped; a
	// number converted to its decimal string).
	EventID  []byte
	SourceID []byte

	// Timestamp is the event time in epoch seconds, after correction.
	Timestamp float64
	// ReceivedAt is the input record's broker timestamp, epoch seconds.
	ReceivedAt float64
	// TimestampCorrected is true when the input timestamp was unreliable
	// and Timestamp was replaced by ReceivedAt.
	TimestampCorrected bool

	Priority Priority
	// Load is load_indicator clamped to [0, 1].
	Load float64

	// Metadata is the raw JSON object as it appeared in the input ("{}"
	// when absent). Only output encoding reads it: classification sees
	// Summary, never this.
	Metadata []byte
	// MetadataHash is the SHA-256 of Metadata's canonical form.
	MetadataHash [32]byte
	// Summary describes Metadata's shape without its content.
	Summary MetadataSummary

	// Payload is a JSON object holding every input member that is not one
	// of the known fields, in input order, or nil when there is none.
	Payload []byte
}

// Clone returns a deep copy whose slices no longer alias decoder buffers.
func (e *Event) Clone() *Event {
	c := *e
	c.EventID = append([]byte(nil), e.EventID...)
	c.SourceID = append([]byte(nil), e.SourceID...)
	c.Metadata = append([]byte(nil), e.Metadata...)
	if e.Payload != nil {
		c.Payload = append([]byte(nil), e.Payload...)
	}
	return &c
}

// MetadataSummary is everything classification may know about an event's
// metadata: counts and shape, no keys and no values. Keeping it a separate
// type makes "classification never reads raw metadata" a compile-time fact.
type MetadataSummary struct {
	// FieldCount is the number of members of the top-level metadata object.
	FieldCount int
	// MaxDepth is the deepest nesting inside metadata: 0 for {}, 1 for a
	// flat object, 2 when it holds an object or array, and so on.
	MaxDepth int
	// LeafCount is the number of scalar values (string, number, bool,
	// null) anywhere inside metadata.
	LeafCount int
	// Kinds counts values by JSON kind anywhere inside metadata.
	Kinds KindCounts
	// ByteSize is the length of metadata's canonical form.
	ByteSize int
	// StructureHash hashes the key structure (keys and nesting, not
	// values): two metadata objects with the same shape share it.
	StructureHash uint64
}

// KindCounts counts JSON values by kind.
type KindCounts struct {
	Strings, Numbers, Bools, Nulls, Objects, Arrays int
}

// Derived holds the values enrichment and publishing compute for an event
// (docs/contract.md, derived_fields, plus category and sequence number).
type Derived struct {
	Category           Category
	CategoryConfidence float64

	// SequenceNumber is the per-source sequence, 1-based, gap-free.
	SequenceNumber uint64

	// IntakeLatencyMs is received_at − timestamp in milliseconds, floored
	// at 0: how long the event took to reach the broker. Deterministic.
	IntakeLatencyMs float64
	// TotalProcessingTimeMs is wall-clock time from decode to encode: the
	// only derived value that may differ when an event is reprocessed.
	TotalProcessingTimeMs float64

	RiskScore      float64
	IsAnomaly      bool
	AnomalyReasons AnomalyReasons

	// Signature is the processing signature, a deterministic digest of
	// the event's content and derived values; hex encoded on the wire.
	Signature [6]byte

	// GlobalPublishSequence is the per-output-partition publish sequence,
	// 1-based, gap-free, assigned after the window's merge order.
	GlobalPublishSequence uint64
}
