package kafkatool

import (
	"context"

	"github.com/eventproc/eventproc/audit"
	"github.com/eventproc/eventproc/kafkaio"
)

// AuditReader adapts r for the streaming audit, which reads through it.
func AuditReader(r *kafkaio.PartitionReader) audit.RecordReader { return auditReader{r} }

type auditReader struct{ r *kafkaio.PartitionReader }

var _ audit.RecordReader = auditReader{}

func (a auditReader) Next(ctx context.Context) (audit.Record, bool, error) {
	rec, ok, err := a.r.Next(ctx)
	if !ok || err != nil {
		return audit.Record{}, ok, err
	}
	return AuditRecord(rec), true, nil
}

// AuditRecord converts one consumed record for the exactly-once audit.
func AuditRecord(r kafkaio.InRecord) audit.Record {
	hs := make([]audit.Header, len(r.Headers))
	for j, h := range r.Headers {
		hs[j] = audit.Header(h)
	}
	return audit.Record{Topic: r.Topic, Partition: r.Partition, Offset: r.Offset, Key: r.Key, Value: r.Value, Headers: hs, Timestamp: r.Timestamp}
}
