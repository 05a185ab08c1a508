package audit

// HoldPartitions audits partitions 0 to parts-1 one at a time, each held
// whole in memory (check per partition): the reference the streamed audit
// is tested against.
func HoldPartitions(opt Options, parts int32, in, out, dlq []Record) Report {
	x := newCrossPartition(opt.withOrdering().Ordering)
	var r Report
	for p := int32(0); p < parts; p++ {
		pr := check(onlyPartition(in, p), onlyPartition(out, p), onlyPartition(dlq, p), opt, x, &p)
		r.Inputs += pr.Inputs
		r.Outputs += pr.Outputs
		r.DeadLetters += pr.DeadLetters
		r.Violations = append(r.Violations, pr.Violations...)
		r.Diagnoses = append(r.Diagnoses, pr.Diagnoses...)
		r.Unchecked = append(r.Unchecked, pr.Unchecked...)
	}
	x.finish(&r)
	sortViolations(&r)
	return r
}
