package audit

import (
	"bufio"
	"fmt"
	"io"
	"strings"
)

// ViolationKind names which invariant a violation breaks. The set is
// closed; a report lists kinds in the order of Kinds.
type ViolationKind string

// The violation kinds.
const (
	// KindLoss: an input record is in neither the output nor the DLQ.
	KindLoss ViolationKind = "loss"
	// KindDuplicate: an input record is traced by more than one output or
	// DLQ record.
	KindDuplicate ViolationKind = "duplicate"
	// KindDLQAltered: a DLQ record's key or value differs from its input
	// record's, byte for byte (null and empty count as different).
	KindDLQAltered ViolationKind = "dlq_altered"
	// KindDLQHeaders: a DLQ record lacks one of the five error headers, has
	// an unknown reason code, an empty message, a wrong topic, or lost an
	// input header; with the content audit also a reason that is not the
	// one its input gives (or any reason for a valid event the broker did
	// not refuse).
	KindDLQHeaders ViolationKind = "dlq_headers"
	// KindLineage: an output record's lineage headers are missing, malformed
	// or name another topic or an input record not audited, or an input
	// header was not carried over.
	KindLineage ViolationKind = "lineage"
	// KindPartition: an output or DLQ record is not in its input record's
	// partition, or one source's outputs are in several partitions; under
	// OrderingGlobal, an output is not in partition 0 or a DLQ record not
	// in its input record's partition.
	KindPartition ViolationKind = "partition"
	// KindSequenceGap: a source's sequence numbers do not run 1, 2, 3, …
	// (a number is missing or repeated).
	KindSequenceGap ViolationKind = "sequence_gap"
	// KindSequenceOrder: a source's sequence numbers do not follow its
	// input order.
	KindSequenceOrder ViolationKind = "sequence_order"
	// KindPublishSequence: an output partition's global_publish_sequence
	// (under OrderingGlobal, partition 0's as a whole) does not run 1, 2,
	// 3, … in offset order.
	KindPublishSequence ViolationKind = "publish_sequence"
	// KindMergeOrder: inside a window, two adjacent records of a partition
	// are not in merge order (under OrderingGlobal, of partition 0, across
	// all sources).
	KindMergeOrder ViolationKind = "merge_order"
	// KindWindowOrder: a window's records are not contiguous in a
	// partition, or a source's event of a later window precedes one of an
	// earlier window.
	KindWindowOrder ViolationKind = "window_order"
	// KindDecode: an output value is not a valid output event.
	KindDecode ViolationKind = "decode"
	// KindContent: an output field differs from what its input record (and
	// the source's history) gives, or an output exists for an input that
	// intake rejects.
	KindContent ViolationKind = "content"
)

// Kinds lists every violation kind in report order.
func Kinds() []ViolationKind {
	return []ViolationKind{
		KindLoss, KindDuplicate, KindDLQAltered, KindDLQHeaders, KindLineage, KindPartition,
		KindSequenceGap, KindSequenceOrder, KindPublishSequence, KindMergeOrder, KindWindowOrder,
		KindDecode, KindContent,
	}
}

// rank is k's position in Kinds.
func (k ViolationKind) rank() int {
	for i, kk := range Kinds() {
		if kk == k {
			return i
		}
	}
	return len(Kinds())
}

// Violation is one broken invariant. Refs[0] is the offending record; the
// other refs are the records it conflicts with.
type Violation struct {
	Kind    ViolationKind
	Message string
	Refs    []Ref
	// Field, Want and Got are set by the content checks: the output member
	// (or "reason", "(outcome)"), its re-derived value and the recorded one.
	Field, Want, Got string
}

// UncheckedHistory is an input partition whose history the audit does not
// see from its start: the fields of its sources' outputs that depend on
// earlier events (sequence numbers, anomaly verdicts, the signature) could
// not be re-derived, only the others.
type UncheckedHistory struct {
	Partition   int32
	FirstOffset int64
	Sources     []string
}

// Report is the result of Check.
type Report struct {
	Inputs, Outputs, DeadLetters int
	// Violations are grouped by kind, in the order of Kinds, and within a
	// kind in a deterministic order (input, offset or source order).
	Violations []Violation
	// Diagnoses name recognisable causes of violations, one line each.
	Diagnoses []string
	// Unchecked lists the partitions whose stateful fields were not
	// re-derived (content audit only).
	Unchecked []UncheckedHistory
}

// OK reports whether no invariant is broken.
func (r Report) OK() bool { return len(r.Violations) == 0 }

// Count returns the number of violations of kind k.
func (r Report) Count(k ViolationKind) int {
	n := 0
	for _, v := range r.Violations {
		if v.Kind == k {
			n++
		}
	}
	return n
}

// Summary is "loss 2, duplicate 1": the kinds found, in the order of
// Kinds, with their counts; empty when the report is OK.
func (r Report) Summary() string {
	var parts []string
	for _, k := range Kinds() {
		if n := r.Count(k); n > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", k, n))
		}
	}
	return strings.Join(parts, ", ")
}

// examplesPerKind caps the violations WriteText prints per kind: the first
// few locate a problem, thousands of lines would bury it.
const examplesPerKind = 5

// WriteText writes a human-readable report: the totals, then for each
// kind with violations its count and its first violations with the
// records to look at.
func (r Report) WriteText(w io.Writer) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "audit: %d input records, %d outputs, %d dead letters: ", r.Inputs, r.Outputs, r.DeadLetters)
	if r.OK() {
		fmt.Fprintln(bw, "OK")
	} else {
		fmt.Fprintf(bw, "%d violations\n", len(r.Violations))
	}
	for _, d := range r.Diagnoses {
		fmt.Fprintf(bw, "diagnosis: %s\n", d)
	}
	for _, u := range r.Unchecked {
		fmt.Fprintf(bw, "partition %d starts at offset %d: sequence numbers, anomaly verdicts and signatures of %d sources not re-derived (%s)\n",
			u.Partition, u.FirstOffset, len(u.Sources), abbreviateList(u.Sources, examplesPerKind))
	}
	if r.OK() {
		return bw.Flush()
	}
	for _, k := range Kinds() {
		n := r.Count(k)
		if n == 0 {
			continue
		}
		fmt.Fprintf(bw, "%s: %d\n", k, n)
		shown := 0
		for _, v := range r.Violations {
			if v.Kind != k {
				continue
			}
			if shown == examplesPerKind {
				fmt.Fprintf(bw, "  … and %d more\n", n-shown)
				break
			}
			shown++
			refs := make([]string, len(v.Refs))
			for i, ref := range v.Refs {
				refs[i] = ref.String()
			}
			fmt.Fprintf(bw, "  - %s [%s]\n", v.Message, strings.Join(refs, " "))
		}
	}
	return bw.Flush()
}

// abbreviateList quotes the first n names and counts the rest.
func abbreviateList(names []string, n int) string {
	q := make([]string, 0, n+1)
	for i, s := range names {
		if i == n {
			q = append(q, fmt.Sprintf("… and %d more", len(names)-n))
			break
		}
		q = append(q, fmt.Sprintf("%q", s))
	}
	return strings.Join(q, ", ")
}
