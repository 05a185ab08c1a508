package kafkatool

import (
	"context"
	"fmt"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/eventproc/eventproc/kafkaio"
)

// WaitQuiet returns once the group has been quiet for d: it has committed
// every input record (no lag) and no transaction is open on the written
// topics (each partition's last stable offset is its end). It checks every
// poll and logs nothing; progress, when not nil, receives the reason the
// group is not quiet yet. ctx bounds the wait.
func WaitQuiet(ctx context.Context, cfg kafkaio.ClientConfig, group, input string, written []string, d, poll time.Duration, progress func(string)) error {
	opts, err := cfg.Options()
	if err != nil {
		return err
	}
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		return err
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)
	var since time.Time
	for {
		busy, err := notQuiet(ctx, adm, group, input, written)
		if err != nil {
			return err
		}
		now := time.Now()
		switch {
		case busy != "":
			since = time.Time{}
			if progress != nil {
				progress(busy)
			}
		case since.IsZero():
			since = now
		case now.Sub(since) >= d:
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("group %s not quiet for %s: %w", group, d, ctx.Err())
		case <-time.After(poll):
		}
	}
}

// notQuiet says why the group is not quiet, or "" when it is.
func notQuiet(ctx context.Context, adm *kadm.Client, group, input string, written []string) (string, error) {
	topics := append([]string{input}, written...)
	ends, err := adm.ListEndOffsets(ctx, topics...)
	if err == nil {
		err = ends.Error()
	}
	if err != nil {
		return "", fmt.Errorf("list end offsets of %v: %w", topics, err)
	}
	stable, err := adm.ListCommittedOffsets(ctx, written...)
	if err == nil {
		err = stable.Error()
	}
	if err != nil {
		return "", fmt.Errorf("list last stable offsets of %v: %w", written, err)
	}
	for _, t := range written {
		for p, o := range stable[t] {
			if e, ok := ends.Lookup(t, p); ok && o.Offset < e.Offset {
				return fmt.Sprintf("a transaction is open on %s[%d]", t, p), nil
			}
		}
	}
	committed, err := adm.FetchOffsets(ctx, group)
	if err != nil && kerr.IsRetriable(err) {
		// The coordinator is still loading (a new cluster creates its
		// offsets topic on the first group request): not quiet yet.
		return fmt.Sprintf("group %s: %v", group, err), nil
	}
	if err != nil {
		return "", fmt.Errorf("fetch offsets of group %s: %w", group, err)
	}
	var lag int64
	for p, e := range ends[input] {
		c, ok := committed.Lookup(input, p)
		switch {
		case !ok || c.At < 0:
			lag += e.Offset // nothing committed: everything from the start
		case c.At < e.Offset:
			lag += e.Offset - c.At
		}
	}
	if lag > 0 {
		return fmt.Sprintf("group %s lags %d records behind %s", group, lag, input), nil
	}
	return "", nil
}
