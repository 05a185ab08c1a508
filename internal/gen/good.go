package gen

import (
	"strconv"
	"time"
)

// sourceKind is the family a source belongs to; it shapes the metadata.
type sourceKind uint8

const (
	kindPayment sourceKind = iota
	kindUser
	kindMonitor
	kindAlert
	kindScheduler
	kindOrder
	numSourceKinds
)

func (k sourceKind) prefix() string {
	switch k {
	case kindPayment:
		return "payment-gateway"
	case kindUser:
		return "user-service"
	case kindMonitor:
		return "monitor-agent"
	case kindAlert:
		return "alert-manager"
	case kindScheduler:
		return "system-scheduler"
	case kindOrder:
		return "order-api"
	case numSourceKinds:
	}
	return "unknown-source"
}

// Good-event size targets: the value is padded with a "message" field to a
// random length in [minTarget, minTarget+targetSpread).
const (
	minTarget    = 225
	targetSpread = 50
)

var (
	regions   = []string{"eu-west-1", "eu-central-1", "us-east-1", "us-west-2", "ap-southeast-1"}
	actions   = []string{"login", "logout", "update_profile", "reset_password", "view_page"}
	osNames   = []string{"android", "ios", "web", "windows", "macos"}
	hosts     = []string{"node-3", "node-7", "node-12", "node-17", "node-21"}
	jobs      = []string{"nightly-compaction", "report-export", "cache-warmup", "invoice-run"}
	teams     = []string{"payments", "identity", "platform", "checkout"}
	currency  = []string{"EUR", "USD", "GBP"}
	loremText = "the quick brown fox jumps over the lazy dog while the service keeps " +
		"processing requests from many regions and the operators watch dashboards " +
		"for latency spikes error bursts and other signs of trouble in production"
)

// appendGood appends a valid event of about 250 bytes for src.
func (g *Generator) appendGood(b []byte, src *source) []byte {
	n := src.next
	src.next++
	target := minTarget + g.rng.IntN(targetSpread)

	b = append(b, '{')
	b = appendKey(b, "event_id", true)
	b = appendEventID(b, src.id, n)
	b = appendKey(b, "source_id", false)
	b = strconv.AppendQuote(b, src.id)
	b = appendKey(b, "timestamp", false)
	b = g.appendTimestamp(b, g.cfg.Clock())
	if !g.chance(0.03) { // priority is optional: absent means MEDIUM
		b = appendKey(b, "priority", false)
		b = g.appendPriority(b)
	}
	if !g.chance(0.03) { // load_indicator is optional: absent means 0
		b = appendKey(b, "load_indicator", false)
		b = g.appendLoad(b)
	}
	if !g.chance(0.05) { // metadata is optional: absent means {}
		b = appendKey(b, "metadata", false)
		b = g.appendMetadata(b, src.kind)
	}
	b = g.appendExtras(b, target)
	// Pad with a free-text message so sizes cluster around 250 bytes, like
	// real log-shaped events. 14 = len(`,"message":""`) + '}'.
	if pad := target - len(b) - 14; pad > 0 {
		b = appendKey(b, "message", false)
		off := g.rng.IntN(len(loremText) - pad)
		b = strconv.AppendQuote(b, loremText[off:off+pad])
	}
	return append(b, '}')
}

func appendKey(b []byte, key string, first bool) []byte {
	if !first {
		b = append(b, ',')
	}
	b = strconv.AppendQuote(b, key)
	return append(b, ':')
}

func appendEventID(b []byte, sourceID string, n uint64) []byte {
	b = append(b, '"')
	b = append(b, sourceID...)
	b = append(b, '-')
	b = strconv.AppendUint(b, n, 10)
	return append(b, '"')
}

// appendTimestamp writes now in one of the three accepted forms: mostly epoch
// seconds with a millisecond fraction, sometimes RFC 3339, sometimes a
// numeric string.
func (g *Generator) appendTimestamp(b []byte, now time.Time) []byte {
	secs := float64(now.UnixMilli()) / 1000
	switch r := g.rng.IntN(100); {
	case r < 85:
		return strconv.AppendFloat(b, secs, 'f', 3, 64)
	case r < 95:
		b = append(b, '"')
		b = now.UTC().AppendFormat(b, "2006-01-02T15:04:05.000Z07:00")
		return append(b, '"')
	default:
		b = append(b, '"')
		b = strconv.AppendFloat(b, secs, 'f', 3, 64)
		return append(b, '"')
	}
}

// appendPriority draws LOW 30 %, MEDIUM 40 %, HIGH 20 %, CRITICAL 10 %, and
// writes one in ten in lower case or padded with spaces (both accepted).
func (g *Generator) appendPriority(b []byte) []byte {
	var p string
	switch r := g.rng.IntN(100); {
	case r < 30:
		p = "LOW"
	case r < 70:
		p = "MEDIUM"
	case r < 90:
		p = "HIGH"
	default:
		p = "CRITICAL"
	}
	switch r := g.rng.IntN(20); {
	case r == 0:
		p = lower(p)
	case r == 1:
		p = " " + p + " "
	}
	return strconv.AppendQuote(b, p)
}

func lower(s string) string {
	out := []byte(s)
	for i, c := range out {
		if 'A' <= c && c <= 'Z' {
			out[i] = c + 'a' - 'A'
		}
	}
	return string(out)
}

// appendLoad writes a load in [0, 1], one in ten as a numeric string.
func (g *Generator) appendLoad(b []byte) []byte {
	load := g.rng.Float64()
	if g.chance(0.1) {
		b = append(b, '"')
		b = strconv.AppendFloat(b, load, 'f', 2, 64)
		return append(b, '"')
	}
	return strconv.AppendFloat(b, load, 'f', 3, 64)
}

// appendMetadata writes a metadata object whose shape depends on the source
// family: flat ids, nested objects and arrays, sometimes empty.
func (g *Generator) appendMetadata(b []byte, kind sourceKind) []byte {
	if g.chance(0.04) {
		return append(b, "{}"...)
	}
	b = append(b, '{')
	switch kind {
	case kindPayment, kindOrder:
		b = appendKey(b, "user_id", true)
		b = g.appendID(b, "user-", 10000)
		b = appendKey(b, "region", false)
		b = strconv.AppendQuote(b, pickFrom(g, regions))
		b = appendKey(b, "cart", false)
		b = append(b, `{"items":`...)
		b = strconv.AppendInt(b, int64(1+g.rng.IntN(9)), 10)
		b = append(b, `,"total":`...)
		b = strconv.AppendFloat(b, float64(g.rng.IntN(50000))/100, 'f', 2, 64)
		b = append(b, '}')
		b = appendKey(b, "currency", false)
		b = strconv.AppendQuote(b, pickFrom(g, currency))
	case kindUser:
		b = appendKey(b, "user_id", true)
		b = g.appendID(b, "user-", 10000)
		b = appendKey(b, "session_id", false)
		b = g.appendID(b, "sess-", 1<<30)
		b = appendKey(b, "action", false)
		b = strconv.AppendQuote(b, pickFrom(g, actions))
		b = appendKey(b, "client", false)
		b = append(b, `{"os":`...)
		b = strconv.AppendQuote(b, pickFrom(g, osNames))
		b = append(b, `,"version":"5.`...)
		b = strconv.AppendInt(b, int64(g.rng.IntN(10)), 10)
		b = append(b, `"}`...)
	case kindMonitor:
		b = appendKey(b, "host", true)
		b = strconv.AppendQuote(b, pickFrom(g, hosts))
		b = appendKey(b, "region", false)
		b = strconv.AppendQuote(b, pickFrom(g, regions))
		b = appendKey(b, "cpu", false)
		b = strconv.AppendFloat(b, g.rng.Float64(), 'f', 2, 64)
		b = appendKey(b, "disks", false)
		b = append(b, `["sda","sdb"`...)
		if g.chance(0.5) {
			b = append(b, `,"nvme0n1"`...)
		}
		b = append(b, ']')
	case kindAlert:
		b = appendKey(b, "alert_id", true)
		b = g.appendID(b, "ALR-", 100000)
		b = appendKey(b, "severity", false)
		b = strconv.AppendQuote(b, []string{"page", "ticket", "info"}[g.rng.IntN(3)])
		b = appendKey(b, "labels", false)
		b = append(b, `{"team":`...)
		b = strconv.AppendQuote(b, pickFrom(g, teams))
		b = append(b, `,"env":"prod"}`...)
	case kindScheduler:
		b = appendKey(b, "job", true)
		b = strconv.AppendQuote(b, pickFrom(g, jobs))
		b = appendKey(b, "run_id", false)
		b = g.appendID(b, "run-", 1000000)
		b = appendKey(b, "attempt", false)
		b = strconv.AppendInt(b, int64(1+g.rng.IntN(3)), 10)
	case numSourceKinds:
	}
	return append(b, '}')
}

// appendExtras adds fields outside the schema, which eventproc keeps under
// payload: none for most events, one to three for some, as long as they fit
// the size target.
func (g *Generator) appendExtras(b []byte, target int) []byte {
	if g.chance(0.6) || len(b)+len(`,"custom_field_1":"cf-999"`) > target {
		return b
	}
	b = appendKey(b, "custom_field_1", false)
	b = g.appendID(b, "cf-", 1000)
	if g.chance(0.5) && len(b)+len(`,"custom_field_2":999`) <= target {
		b = appendKey(b, "custom_field_2", false)
		b = strconv.AppendInt(b, int64(g.rng.IntN(1000)), 10)
	}
	if g.chance(0.3) && len(b)+len(`,"trace_id":"0123456789abcdef"`) <= target {
		b = appendKey(b, "trace_id", false)
		b = append(b, '"')
		b = strconv.AppendUint(b, g.rng.Uint64(), 16)
		b = append(b, '"')
	}
	return b
}

// appendID writes a quoted prefix followed by a random number below n.
func (g *Generator) appendID(b []byte, prefix string, n int) []byte {
	b = append(b, '"')
	b = append(b, prefix...)
	b = strconv.AppendInt(b, int64(g.rng.IntN(n)), 10)
	return append(b, '"')
}

func pickFrom(g *Generator, xs []string) string { return xs[g.rng.IntN(len(xs))] }
