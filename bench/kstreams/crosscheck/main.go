// Command crosscheck reads the Kafka Streams job's output values, one JSON object a line
// (eventproc tail --raw), and checks them against eventproc's own packages: the
// metadata_hash (intake's canonical SHA-256 of the record's metadata), the category and
// category_confidence (classify's default rules), and that every source's sequence numbers
// are 1..n with no gap and no repeat. It prints one line of counts and exits 1 on any
// mismatch.
//
//	eventproc tail --topic OUT --from-beginning --stop-at-end --raw | go run ./bench/kstreams/crosscheck
package main

import (
	"bufio"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"time"

	"github.com/eventproc/eventproc/classify"
	"github.com/eventproc/eventproc/event"
	"github.com/eventproc/eventproc/intake"
)

type out struct {
	EventID    string          `json:"event_id"`
	SourceID   string          `json:"source_id"`
	Timestamp  float64         `json:"timestamp"`
	ReceivedAt float64         `json:"received_at"`
	Priority   string          `json:"priority"`
	Category   string          `json:"category"`
	Load       float64         `json:"load_indicator"`
	Metadata   json.RawMessage `json:"metadata"`
	Hash       string          `json:"metadata_hash"`
	Seq        uint64          `json:"sequence_number"`
	Derived    struct {
		Conf float64 `json:"category_confidence"`
	} `json:"derived_fields"`
}

func main() {
	d, err := intake.NewDecoder(intake.Config{}.WithDefaults())
	if err != nil {
		panic(err)
	}
	sc := bufio.NewScanner(os.Stdin)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	seqs := map[string]map[uint64]bool{}
	n, badHash, badCat, badConf, dups := 0, 0, 0, 0, 0
	for sc.Scan() {
		var o out
		if err := json.Unmarshal(sc.Bytes(), &o); err != nil {
			panic(err)
		}
		n++
		in, _ := json.Marshal(map[string]any{"event_id": o.EventID, "source_id": o.SourceID, "timestamp": o.Timestamp,
			"priority": o.Priority, "load_indicator": o.Load, "metadata": o.Metadata})
		var ev event.Event
		if err := d.Decode(in, time.Unix(0, int64(o.ReceivedAt*1e9)), &ev); err != nil {
			panic(err)
		}
		if hex.EncodeToString(ev.MetadataHash[:]) != o.Hash {
			badHash++
		}
		r := classify.Classify(classify.FeaturesOf(&ev))
		if r.Category.String() != o.Category {
			badCat++
		}
		if math.Abs(r.Confidence-o.Derived.Conf) > 1e-9 {
			badConf++
		}
		if seqs[o.SourceID] == nil {
			seqs[o.SourceID] = map[uint64]bool{}
		}
		if seqs[o.SourceID][o.Seq] {
			dups++
		}
		seqs[o.SourceID][o.Seq] = true
	}
	if err := sc.Err(); err != nil {
		panic(err)
	}
	gaps := 0
	for _, m := range seqs {
		for i := uint64(1); i <= uint64(len(m)); i++ {
			if !m[i] {
				gaps++
			}
		}
	}
	fmt.Printf("crosscheck: %d records, %d sources; mismatches: metadata_hash %d, category %d, category_confidence %d; sequence gaps %d, repeats %d\n",
		n, len(seqs), badHash, badCat, badConf, gaps, dups)
	if n == 0 || badHash+badCat+badConf+gaps+dups > 0 {
		os.Exit(1)
	}
}
