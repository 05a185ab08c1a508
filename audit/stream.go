package audit

import (
	"cmp"
	"context"
	"slices"
)

// Stream audits the topics one partition at a time, reading each
// partition as a stream: the processor writes the outputs and dead letters
// of input partition p to partition p of the output and DLQ topics, so
// every check except "one source, one partition" and "one group" can be
// made per partition, and those two keep a summary per source and per
// group across partitions. Memory is bounded by the number of sources and
// a window's worth of records, plus 8 bytes per input offset of the
// partition being read: not by the records' sizes or the topics.
//
// Under OrderingGlobal every output is in output partition 0: ReadPartition
// takes partition 0 as the output of every input partition and joins the
// records that trace to its own, and ReadOutputPartition then reads each
// output partition once more for what spans input partitions (partition
// 0's publish sequence, merge order and windows; outputs elsewhere).
// Partition 0 is read once per input partition plus once.
type Stream struct {
	opt    Options
	x      *crossPartition
	report Report
	// audited lists the input partitions ReadPartition has read.
	audited map[int32]bool
}

// NewStream starts an audit. opt.InputTopic must be set.
func NewStream(opt Options) *Stream {
	opt = opt.withOrdering()
	return &Stream{opt: opt, x: newCrossPartition(opt.Ordering), audited: map[int32]bool{}}
}

// ReadPartition audits input partition p against output and DLQ
// partitions p, reading the three in offset order as the audit needs
// them: the outputs only ahead of the inputs as far as the window being
// matched. Records tracing to another partition are partition
// violations. Under OrderingGlobal out is output partition 0, of which
// only the records tracing to input partition p are read (see
// ReadOutputPartition for the others). ctx bounds the reads; a read
// error stops the audit of the partition, and nothing of it is added to
// the report.
func (s *Stream) ReadPartition(ctx context.Context, p int32, in, out, dlq RecordReader) error {
	r, err := newJoin(s, p, in, out, dlq).run(ctx)
	if err != nil {
		return err
	}
	s.audited[p] = true
	s.add(r)
	return nil
}

// Partition audits input partition p and output and DLQ partitions p
// (output partition 0 under OrderingGlobal) held in memory, in any order;
// it is ReadPartition over the slices. The slices are not kept.
func (s *Stream) Partition(p int32, in, out, dlq []Record) {
	// Reading from slices cannot fail.
	_ = s.ReadPartition(context.Background(), p, byOffset(in), byOffset(out), byOffset(dlq))
}

func (s *Stream) add(r Report) {
	s.report.Inputs += r.Inputs
	s.report.Outputs += r.Outputs
	s.report.DeadLetters += r.DeadLetters
	s.report.Violations = append(s.report.Violations, r.Violations...)
	s.report.Diagnoses = append(s.report.Diagnoses, r.Diagnoses...)
	s.report.Unchecked = append(s.report.Unchecked, r.Unchecked...)
}

// Report returns the report of every partition audited so far, with the
// diagnoses that span partitions.
func (s *Stream) Report() Report {
	r := s.report
	r.Violations = append([]Violation(nil), r.Violations...)
	r.Diagnoses = append([]string(nil), r.Diagnoses...)
	s.x.finish(&r)
	sortViolations(&r)
	return r
}

// sliceReader reads records held in memory.
type sliceReader struct{ rs []Record }

var _ RecordReader = (*sliceReader)(nil)

func byOffset(rs []Record) *sliceReader {
	sorted := slices.Clone(rs)
	slices.SortStableFunc(sorted, func(x, y Record) int { return cmp.Compare(x.Offset, y.Offset) })
	return &sliceReader{rs: sorted}
}

func (r *sliceReader) Next(context.Context) (Record, bool, error) {
	if len(r.rs) == 0 {
		return Record{}, false, nil
	}
	rec := r.rs[0]
	r.rs = r.rs[1:]
	return rec, true, nil
}
