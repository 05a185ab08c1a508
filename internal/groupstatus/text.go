package groupstatus

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
)

// WriteText writes the report for a person: the group, its members, one
// line per partition, open transactions, the changelog and the verdict.
func (rep Report) WriteText(w io.Writer) {
	fmt.Fprintf(w, "group %s: %s, %d member(s), coordinator %s, total lag %d\n", rep.Group, rep.State, len(rep.Members), rep.Coordinator, rep.TotalLag)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	if len(rep.Members) > 0 {
		fmt.Fprintln(tw, "\nMEMBER\tINSTANCE\tHOST\tPARTITIONS\tLAST COMMITTED WINDOW")
		for _, m := range rep.Members {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", m.MemberID, dash(m.InstanceID), m.Host, joinInt32(m.Partitions), dash(m.LastWindow))
		}
	}
	fmt.Fprintln(tw, "\nPARTITION\tOWNER\tCOMMITTED\tEND\tLAG\tLAG AGE\tLAST COMMITTED WINDOW")
	for _, p := range rep.Partitions {
		committed := fmt.Sprint(p.Committed)
		if p.Committed < 0 {
			committed = "none"
		}
		age := "-"
		if p.LagAgeMs > 0 {
			age = (time.Duration(p.LagAgeMs) * time.Millisecond).Round(time.Second).String()
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%d\t%d\t%s\t%s\n", p.Partition, dash(p.Owner), committed, p.End, p.Lag, age, dash(p.LastWindow))
	}
	_ = tw.Flush()
	fmt.Fprintln(w)
	switch {
	case rep.TransactionsNote != "":
		fmt.Fprintf(w, "open transactions: unknown (%s)\n", rep.TransactionsNote)
	case len(rep.Transactions) == 0:
		fmt.Fprintln(w, "open transactions: none")
	default:
		fmt.Fprintln(w, "open transactions:")
		for _, t := range rep.Transactions {
			fmt.Fprintf(w, "  %s %s for %s on %d partition(s)\n", t.TransactionalID, t.State,
				(time.Duration(t.AgeMs) * time.Millisecond).Round(time.Millisecond), t.Partitions)
		}
	}
	if rep.Changelog.Missing {
		fmt.Fprintf(w, "state changelog %s: missing\n", rep.Changelog.Topic)
	} else {
		fmt.Fprintf(w, "state changelog %s: %d offsets\n", rep.Changelog.Topic, rep.Changelog.Offsets)
	}
	if rep.Stuck {
		fmt.Fprintf(w, "STUCK: %s\n", rep.StuckReason)
	} else {
		fmt.Fprintf(w, "not stuck (no unprocessed record older than %s)\n", rep.StuckAfter)
	}
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func joinInt32(ps []int32) string {
	if len(ps) == 0 {
		return "-"
	}
	parts := make([]string, len(ps))
	for i, p := range ps {
		parts[i] = fmt.Sprint(p)
	}
	return strings.Join(parts, ",")
}

// WriteJSON writes the report as one indented JSON object.
func (rep Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(rep)
}
