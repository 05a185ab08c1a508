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
		var o event.Output // decoded leniently: the Streams job writes a subset of the fields
		if err := json.Unmarshal(sc.Bytes(), &o); err != nil {
			panic(err)
		}
		n++
		in, _ := json.Marshal(map[string]any{"event_id": o.EventID, "source_id": o.SourceID, "timestamp": o.Timestamp,
			"priority": o.Priority, "load_indicator": o.LoadIndicator, "metadata": o.Metadata})
		var ev event.Event
		if err := d.Decode(in, time.Unix(0, int64(o.ReceivedAt*1e9)), &ev); err != nil {
			panic(err)
		}
		if hex.EncodeToString(ev.MetadataHash[:]) != o.MetadataHash {
			badHash++
		}
		r := classify.Classify(classify.FeaturesOf(&ev))
		if r.Category.String() != o.Category {
			badCat++
		}
		if math.Abs(r.Confidence-o.Derived.CategoryConfidence) > 1e-9 {
			badConf++
		}
		if seqs[o.SourceID] == nil {
			seqs[o.SourceID] = map[uint64]bool{}
		}
		if seqs[o.SourceID][o.SequenceNumber] {
			dups++
		}
		seqs[o.SourceID][o.SequenceNumber] = true
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
