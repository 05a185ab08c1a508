package audit

// Stream audits the topics one partition at a time, so that memory is
// bounded by the largest partition (and the number of sources), not by
// the topics: the processor writes the outputs and dead letters of input
// partition p to partition p of the output and DLQ topics, so every check
// except "one source, one partition" and "one group" can be made per
// partition, and those two keep a summary across partitions.
type Stream struct {
	opt    Options
	x      *crossPartition
	report Report
}

// NewStream starts an audit. opt.InputTopic must be set.
func NewStream(opt Options) *Stream {
	return &Stream{opt: opt, x: newCrossPartition()}
}

// Partition audits input partition p and output and DLQ partitions p. The
// slices hold exactly the records to audit, read committed; records
// tracing to another partition are partition violations. The slices are
// not kept.
func (s *Stream) Partition(p int32, in, out, dlq []Record) {
	r := check(in, out, dlq, s.opt, s.x, &p)
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
