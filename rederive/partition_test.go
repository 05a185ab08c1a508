package rederive

import (
	"testing"
	"time"

	"github.com/eventproc/eventproc/event"
	"github.com/eventproc/eventproc/intake"
)

const good = `{"event_id":"e","source_id":"s","timestamp":1670000000,"priority":"LOW","metadata":{"a":1}}`

var at = time.Unix(1670000001, 0)

func TestDeriveChangesStateOnlyOnCommit(t *testing.T) {
	p, err := NewPartition(Config{})
	if err != nil {
		t.Fatal(err)
	}
	o := p.Derive([]byte(good), at)
	if !o.Accepted || o.Derived.SequenceNumber != 1 || o.SourceSeen {
		t.Fatalf("first event: %+v", o)
	}
	// Not committed (a broker-refused record): the next one is still 1.
	if o = p.Derive([]byte(good), at); o.Derived.SequenceNumber != 1 {
		t.Fatalf("uncommitted outcome moved the state: sequence %d", o.Derived.SequenceNumber)
	}
	p.Commit(&o)
	if o = p.Derive([]byte(good), at); o.Derived.SequenceNumber != 2 || !o.SourceSeen {
		t.Fatalf("after commit: %+v", o)
	}
	rej := p.Derive([]byte(`[1]`), at)
	p.Commit(&rej) // does nothing
	if rej.Accepted || rej.Reason != event.ReasonNotAnObject || rej.Message == "" || p.Sources() != 1 {
		t.Fatalf("rejected: %+v, %d sources", rej, p.Sources())
	}
}

func TestCompareValue(t *testing.T) {
	p, err := NewPartition(Config{RedactMetadata: true})
	if err != nil {
		t.Fatal(err)
	}
	o := p.Derive([]byte(good), at)
	v := p.AppendOutput(nil, &o, "w-1", 7, 1.5)
	if ds, err := p.CompareValue(&o, v, true); err != nil || len(ds) != 0 {
		t.Fatalf("own encoding: %v %v", ds, err)
	}
	d := o.Derived
	d.GlobalPublishSequence = 7
	unredacted := event.AppendOutput(nil, o.Event, &d, event.OutputOptions{WindowID: "w-1"})
	ds, err := p.CompareValue(&o, unredacted, true)
	if err != nil || len(ds) != 1 || ds[0].Field != "metadata" || ds[0].Want != "absent" {
		t.Fatalf("metadata under redaction: %+v %v", ds, err)
	}
	d.SequenceNumber = 9
	renumbered := event.AppendOutput(nil, o.Event, &d, event.OutputOptions{WindowID: "w-1", RedactMetadata: true})
	if ds, _ := p.CompareValue(&o, renumbered, false); len(ds) != 0 {
		t.Fatalf("stateful fields compared without history: %+v", ds)
	}
	if ds, _ := p.CompareValue(&o, renumbered, true); len(ds) == 0 || ds[0].Field != "sequence_number" {
		t.Fatalf("sequence not compared: %+v", ds)
	}
}

func TestBrokerRefused(t *testing.T) {
	cfg := Config{Intake: intake.Config{MaxEventBytes: 100}}
	for _, c := range []struct {
		reason string
		size   int
		want   bool
	}{
		{"unpublishable", 5000, true},
		{"too_large", 100, true},
		{"too_large", 101, false},
		{"invalid_json", 10, false},
	} {
		if got := cfg.BrokerRefused(c.reason, c.size); got != c.want {
			t.Errorf("BrokerRefused(%s, %d) = %v, want %v", c.reason, c.size, got, c.want)
		}
	}
}
