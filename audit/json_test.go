package audit

import (
	"bytes"
	"encoding/json"
	"testing"
)

func TestWriteJSON(t *testing.T) {
	tests := []struct {
		name   string
		report Report
		want   string
	}{
		{
			name:   "ok has an empty violations array",
			report: Report{Inputs: 3, Outputs: 2, DeadLetters: 1},
			want:   `{"ok":true,"inputs":3,"outputs":2,"dead_letters":1,"violation_counts":{},"violations":[],"diagnoses":[],"unchecked_history":[]}` + "\n",
		},
		{
			name: "violations keep their order and refs, counts per kind",
			report: Report{Inputs: 3, Outputs: 3, Violations: []Violation{
				{Kind: KindLoss, Message: "lost <&>", Refs: []Ref{{Topic: "in", Partition: 1, Offset: 7}}},
				{Kind: KindDuplicate, Message: "twice", Refs: []Ref{{"in", 0, 2}, {"out", 0, 4}, {"out", 0, 9}}},
				{Kind: KindDuplicate, Message: "again", Refs: []Ref{{"in", 0, 3}, {"out", 0, 5}, {"out", 0, 6}}},
			}},
			want: `{"ok":false,"inputs":3,"outputs":3,"dead_letters":0,"violation_counts":{"duplicate":2,"loss":1},"violations":[` +
				`{"kind":"loss","message":"lost <&>","refs":[{"topic":"in","partition":1,"offset":7}]},` +
				`{"kind":"duplicate","message":"twice","refs":[{"topic":"in","partition":0,"offset":2},{"topic":"out","partition":0,"offset":4},{"topic":"out","partition":0,"offset":9}]},` +
				`{"kind":"duplicate","message":"again","refs":[{"topic":"in","partition":0,"offset":3},{"topic":"out","partition":0,"offset":5},{"topic":"out","partition":0,"offset":6}]}],"diagnoses":[],"unchecked_history":[]}` + "\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := tt.report.WriteJSON(&b); err != nil {
				t.Fatal(err)
			}
			if b.String() != tt.want {
				t.Fatalf("got\n%s\nwant\n%s", b.String(), tt.want)
			}
			if !json.Valid(b.Bytes()) {
				t.Fatal("not valid JSON")
			}
		})
	}
}
