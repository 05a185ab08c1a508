package audit

import (
	"encoding/json"
	"io"
)

// jsonReport is the wire form of a Report: stable snake_case names, every
// violation (machines filter; WriteText is the one that abbreviates), and
// a count per kind so that a consumer need not tally.
type jsonReport struct {
	OK          bool            `json:"ok"`
	Inputs      int             `json:"inputs"`
	Outputs     int             `json:"outputs"`
	DeadLetters int             `json:"dead_letters"`
	Counts      map[string]int  `json:"violation_counts"`
	Violations  []jsonViolation `json:"violations"`
	Diagnoses   []string        `json:"diagnoses"`
	Unchecked   []jsonUnchecked `json:"unchecked_history"`
}

type jsonUnchecked struct {
	Partition   int32    `json:"partition"`
	FirstOffset int64    `json:"first_offset"`
	Sources     []string `json:"sources"`
}

type jsonViolation struct {
	Kind    string    `json:"kind"`
	Message string    `json:"message"`
	Refs    []jsonRef `json:"refs"`
	Field   string    `json:"field,omitempty"`
	Want    string    `json:"want,omitempty"`
	Got     string    `json:"got,omitempty"`
}

type jsonRef struct {
	Topic     string `json:"topic"`
	Partition int32  `json:"partition"`
	Offset    int64  `json:"offset"`
}

// WriteJSON writes the report as one JSON object followed by a newline:
//
//	{"ok":false,"inputs":3,"outputs":2,"dead_letters":0,
//	 "violation_counts":{"loss":1},
//	 "violations":[{"kind":"loss","message":"…","refs":[{"topic":"in","partition":0,"offset":2}]}]}
//
// violation_counts holds only kinds that occurred; violations are in the
// report's order (kind order of Kinds, then discovery order) and always an
// array, empty when OK.
func (r Report) WriteJSON(w io.Writer) error {
	out := jsonReport{
		OK:          r.OK(),
		Inputs:      r.Inputs,
		Outputs:     r.Outputs,
		DeadLetters: r.DeadLetters,
		Counts:      map[string]int{},
		Violations:  make([]jsonViolation, 0, len(r.Violations)),
		Diagnoses:   append([]string{}, r.Diagnoses...),
		Unchecked:   make([]jsonUnchecked, 0, len(r.Unchecked)),
	}
	for _, u := range r.Unchecked {
		out.Unchecked = append(out.Unchecked, jsonUnchecked{Partition: u.Partition, FirstOffset: u.FirstOffset, Sources: u.Sources})
	}
	for _, v := range r.Violations {
		out.Counts[string(v.Kind)]++
		refs := make([]jsonRef, len(v.Refs))
		for i, ref := range v.Refs {
			refs[i] = jsonRef{Topic: ref.Topic, Partition: ref.Partition, Offset: ref.Offset}
		}
		out.Violations = append(out.Violations, jsonViolation{Kind: string(v.Kind), Message: v.Message, Refs: refs, Field: v.Field, Want: v.Want, Got: v.Got})
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc.Encode(out)
}
