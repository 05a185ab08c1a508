package chaos

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// restoreBenchEnv must be "1" (with EVENTPROC_CHAOS=1; `make
// bench-restore` sets both) for TestRestoreAfterKill: it builds a state of
// a million sources, which takes minutes.
const restoreBenchEnv = "EVENTPROC_RESTORE_BENCH"

// Settings of the restore measurement.
const (
	// restoreSources is the number of distinct sources, each touched once:
	// the state changelog holds one record per source.
	restoreSources = 1_000_000
	// restoreSessionTimeout is the members' --session-timeout: how long the
	// group waits before it moves a killed member's partitions.
	restoreSessionTimeout = 10 * time.Second
)

var restoreMetricsAddr = map[string]string{"a": "127.0.0.1:19294", "b": "127.0.0.1:19295"}

// TestRestoreAfterKill measures what a SIGKILL costs the member that takes
// the dead member's partitions over, once without warm copies and once
// with --standby-replicas 1. Two members share six partitions and the
// state of restoreSources sources; member a is killed, and b (a's
// standby in the second run) restores a's partitions. It logs the time
// from the kill until b owns every partition and is ready, the restore
// time b logs and the changelog records it read; it asserts only that
// verify passes (speed belongs in BENCHMARKS.md, not in assertions).
func TestRestoreAfterKill(t *testing.T) {
	if os.Getenv(restoreBenchEnv) != "1" {
		t.Skipf("restore measurement: set %s=1 and EVENTPROC_CHAOS=1 (make bench-restore)", restoreBenchEnv)
	}
	for _, replicas := range []int{0, 1} {
		t.Run(fmt.Sprintf("standby-replicas=%d", replicas), func(t *testing.T) {
			measureRestore(t, replicas)
		})
	}
}

func measureRestore(t *testing.T, replicas int) {
	e := newEnv(t)
	e.metricsFor = restoreMetricsAddr
	e.extraFlags = []string{"--standby-replicas", strconv.Itoa(replicas), "--session-timeout", restoreSessionTimeout.String()}
	load := startProc(t, e.logDir, "produce", "produce", "--brokers", e.brokers, "--topic", e.input,
		"--count", strconv.Itoa(restoreSources), "--sources", strconv.Itoa(restoreSources), "--sources-in-turn",
		"--seed", "7", "--progress-interval", "10s")
	if x := load.wait(t, 5*time.Minute); x.code != 0 {
		t.Fatalf("produce: %s\n%s", x, tail(load.stderr, 10))
	}
	start := time.Now()
	e.startMember("a")
	e.startMember("b")
	e.drain()
	t.Logf("two members processed %d events of %d sources in %s", restoreSources, restoreSources, time.Since(start).Round(time.Second))
	b := e.member("b")
	if replicas > 0 {
		warmStart := time.Now()
		awaitSteady(t, restoreMetricsAddr["b"], "eventproc_standby_records_total", 3*time.Minute)
		t.Logf("b's warm copies caught up %s after the drain: %.0f changelog records read, %.0f partitions warm",
			time.Since(warmStart).Round(time.Second), metric(t, restoreMetricsAddr["b"], "eventproc_standby_records_total"),
			metric(t, restoreMetricsAddr["b"], "eventproc_standby_partitions"))
	}
	restoredBefore := metric(t, restoreMetricsAddr["b"], "eventproc_state_restore_records_total")
	logFrom := fileSize(t, b.stderr)

	killed := time.Now()
	e.kill("a")
	deadline := killed.Add(restoreSessionTimeout + 3*time.Minute)
	// b owns every partition, has logged the restore of a's three and is
	// ready: b is still ready from before the kill until the group moves
	// a's partitions, so readiness alone does not mark the takeover's end.
	var took time.Duration
	var warm, parts int
	for {
		took, warm, parts = restoreLog(t, b.stderr, logFrom)
		if parts >= partitions/2 && metric(t, restoreMetricsAddr["b"], "eventproc_partitions_owned") == partitions && ready(restoreMetricsAddr["b"]) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("b did not take a's partitions over within %s (restored %d)", time.Since(killed).Round(time.Second), parts)
		}
		time.Sleep(20 * time.Millisecond)
	}
	takeover := time.Since(killed)
	read := metric(t, restoreMetricsAddr["b"], "eventproc_state_restore_records_total") - restoredBefore
	t.Logf("restore result: standby_replicas=%d broker=%s sources=%d session_timeout=%s kill_to_ready=%s restore_took=%s partitions_restored=%d warm=%d changelog_records_read=%.0f",
		replicas, e.kind, restoreSources, restoreSessionTimeout, takeover.Round(10*time.Millisecond), took.Round(time.Millisecond), parts, warm, read)
	e.finish(fmt.Sprintf("SIGKILL with --standby-replicas %d", replicas), restoreSources)
}

// metric sums the series of a metric family a member serves at addr; 0
// when the member does not answer.
func metric(t *testing.T, addr, name string) float64 {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		return 0
	}
	defer resp.Body.Close()
	var sum float64
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := sc.Text()
		rest, ok := strings.CutPrefix(line, name)
		if !ok || (rest[0] != ' ' && rest[0] != '{') {
			continue
		}
		v, err := strconv.ParseFloat(rest[strings.LastIndexByte(rest, ' ')+1:], 64)
		if err != nil {
			t.Fatalf("metric line %q: %v", line, err)
		}
		sum += v
	}
	return sum
}

// ready reports whether the member at addr answers /readyz with 200.
func ready(addr string) bool {
	resp, err := http.Get("http://" + addr + "/readyz")
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// awaitSteady waits until a counter stops growing: the same value three
// times, a second apart.
func awaitSteady(t *testing.T, addr, name string, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	last, same := -1.0, 0
	for same < 3 {
		if time.Now().After(deadline) {
			t.Fatalf("%s at %s still growing after %s (%v)", name, addr, timeout, last)
		}
		time.Sleep(time.Second)
		v := metric(t, addr, name)
		if v == last && v > 0 {
			same++
		} else {
			last, same = v, 0
		}
	}
}

func fileSize(t *testing.T, path string) int64 {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}

// restoreLog reads the member's JSON log from offset on and returns the
// longest "state restored" time, how many of those restores started from
// a warm copy, and how many partitions were restored.
func restoreLog(t *testing.T, path string, offset int64) (took time.Duration, warm, parts int) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.Seek(offset, 0); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var line struct {
			Msg  string          `json:"msg"`
			Took json.RawMessage `json:"took"`
			Warm bool            `json:"warm"`
		}
		if json.Unmarshal(sc.Bytes(), &line) != nil || line.Msg != "state restored" {
			continue
		}
		parts++
		if line.Warm {
			warm++
		}
		took = max(took, parseTook(t, line.Took))
	}
	return took, warm, parts
}

// parseTook reads a logged duration: nanoseconds as a number, or a Go
// duration string.
func parseTook(t *testing.T, raw json.RawMessage) time.Duration {
	t.Helper()
	var ns int64
	if json.Unmarshal(raw, &ns) == nil {
		return time.Duration(ns)
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		t.Fatalf("took %s: %v", raw, err)
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		t.Fatalf("took %q: %v", s, err)
	}
	return d
}
