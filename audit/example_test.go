package audit_test

import (
	"os"

	"github.com/eventproc/eventproc/audit"
	"github.com/eventproc/eventproc/event"
)

// Three input records: one was published, one dead-lettered without its
// message header, and one never came out.
func ExampleReport_WriteText() {
	lineage := func(offset string) []audit.Header {
		return []audit.Header{
			{Key: event.HeaderSourceTopic, Value: []byte("events.in")},
			{Key: event.HeaderSourcePartition, Value: []byte("0")},
			{Key: event.HeaderSourceOffset, Value: []byte(offset)},
		}
	}
	in := []audit.Record{
		{Topic: "events.in", Partition: 0, Offset: 0, Key: []byte("svc"), Value: []byte(`{"event_id":"e1","source_id":"svc","timestamp":1670000000}`)},
		{Topic: "events.in", Partition: 0, Offset: 1, Key: []byte("svc"), Value: []byte(`not json`)},
		{Topic: "events.in", Partition: 0, Offset: 2, Key: []byte("svc"), Value: []byte(`{"event_id":"e3","source_id":"svc","timestamp":1670000001}`)},
	}
	ev := &event.Event{EventID: []byte("e1"), SourceID: []byte("svc"), Timestamp: 1670000000, ReceivedAt: 1670000000}
	d := &event.Derived{SequenceNumber: 1, GlobalPublishSequence: 1}
	out := []audit.Record{{
		Topic: "events.out", Partition: 0, Offset: 0, Key: []byte("svc"),
		Value:   event.AppendOutput(nil, ev, d, event.OutputOptions{WindowID: "g1-a-000000000001"}),
		Headers: lineage("0"),
	}}
	dlq := []audit.Record{{
		Topic: "events.dlq", Partition: 0, Offset: 0, Key: []byte("svc"), Value: []byte(`not json`),
		Headers: []audit.Header{
			{Key: event.HeaderErrorReason, Value: []byte("invalid_json")},
			{Key: event.HeaderErrorTopic, Value: []byte("events.in")},
			{Key: event.HeaderErrorPartition, Value: []byte("0")},
			{Key: event.HeaderErrorOffset, Value: []byte("1")},
		},
	}}

	report := audit.Check(in, out, dlq, audit.Options{InputTopic: "events.in"})
	_ = report.WriteText(os.Stdout)
	// Output:
	// audit: 3 input records, 1 outputs, 1 dead letters: 2 violations
	// loss: 1
	//   - input record is in neither the output nor the dead-letter topic [events.in/0@2]
	// dlq_headers: 1
	//   - dead letter headers: header __eventproc.errors.message is missing [events.dlq/0@0]
}
