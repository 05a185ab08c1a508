// Package intake owns the hot-path decoding of one input record value into a
// normalised event.Event, or into a typed rejection (*ValidationError) that
// carries one of the contract's reason codes (CONTRACT.md sections 2 and 3).
//
// It owns JSON validation (syntax, UTF-8, size and depth limits), field
// normalisation (identifiers, timestamp correction, priority, load clamp),
// the canonical form of metadata with its hash and shape summary, and the
// payload of unknown members. It also owns AppendInputJSON, which encodes an
// event back into input JSON (the round-trip and fuzz tests decode it again).
//
// It must not touch Kafka (no kgo, no *kgo.Record: it sees a value and a
// broker timestamp), Prometheus (callers count rejections by reason) or any
// other stage package. Decoding is a pure function of the value, the
// received-at time and the Config: no clock, no global state.
package intake
