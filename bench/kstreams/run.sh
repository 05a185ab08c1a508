#!/usr/bin/env bash
# run.sh — Kafka Streams (exactly_once_v2) against eventproc and the passthrough
# baseline, on the same broker, in one run. See bench/kstreams/README.md.
#
#   bench/kstreams/run.sh [--build] [--brokers HOST:PORT] [--events N] [--threads T] [--store memory|rocksdb]
#                         [--check] [--keep-topics]
#
# 1. builds the jar with `mvn -q -B package` when --build is given or the jar is missing;
# 2. creates three fresh 6-partition topics (input, output, DLQ) and pre-produces N events
#    into the input with `eventproc produce --seed 1 --malformed-ratio 0.02`;
# 3. starts a read_committed counter on output+DLQ (the jar's `count`), then the Streams
#    app, which catches up from offset 0; the counter stops at the N-th committed record;
# 4. reads the app JVM's CPU time (utime+stime, /proc/<pid>/stat) at that moment;
# 5. runs `eventproc bench --brokers B --events N --latency-load 0` (eventproc and the
#    passthrough, same generator, same broker);
# 6. prints one summary table. Raw outputs stay in the work folder it names;
# 7. with --check (after all timing): reads the Streams output back and checks it against
#    eventproc's own packages (go run ./bench/kstreams/crosscheck) and the DLQ count against
#    the generator's malformed count;
# 8. deletes its topics (input, output, DLQ, the store's changelog) unless --keep-topics.
#
# Environment: KAFKA_PORT (default broker 127.0.0.1:$KAFKA_PORT, else 19092), JAVA_OPTS
# (extra JVM flags for the Streams app), GO (go).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
jar="$here/target/kstreams-bench.jar"
brokers="127.0.0.1:${KAFKA_PORT:-19092}"
events=300000
threads=1
store=memory
build=0
check=0
keep_topics=0
partitions=6
GO="${GO:-go}"

while (($#)); do
	case "$1" in
	--build) build=1 ;;
	--check) check=1 ;;
	--keep-topics) keep_topics=1 ;;
	--brokers) brokers="$2"; shift ;;
	--events) events="$2"; shift ;;
	--threads) threads="$2"; shift ;;
	--store) store="$2"; shift ;;
	-h | --help) sed -n '2,25p' "$0"; exit 0 ;;
	*) echo "run.sh: unknown argument $1" >&2; exit 2 ;;
	esac
	shift
done

say() { echo "run.sh: $*" >&2; }
now_ms() { date +%s%3N; }
# cpu_ms PID: user+system CPU time of the process so far, in ms (fields 14 and 15 of
# /proc/PID/stat, in clock ticks; the command name in field 2 may hold spaces).
cpu_ms() {
	local stat ticks
	stat="$(cat "/proc/$1/stat")"
	stat="${stat##*) }" # drop "pid (comm) ": field 3 is now the first
	ticks="$(getconf CLK_TCK)"
	awk -v t="$ticks" '{ printf "%d\n", ($12 + $13) * 1000 / t }' <<<"$stat"
}
load_avg() { cut -d' ' -f1-3 /proc/loadavg; }

if ((build)) || [[ ! -f "$jar" ]]; then
	say "building $jar (mvn -q -B package)"
	(cd "$here" && mvn -q -B package)
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/kstreams-bench.XXXXXX")"
say "work folder $work"
app_pid=""
counter_pid=""
cleanup() {
	[[ -n "$counter_pid" ]] && kill "$counter_pid" 2>/dev/null || true
	if [[ -n "$app_pid" ]] && kill -0 "$app_pid" 2>/dev/null; then
		kill -TERM "$app_pid" 2>/dev/null || true
		wait "$app_pid" 2>/dev/null || true
	fi
}
trap cleanup EXIT

say "building eventproc (the same code go run ./cmd/eventproc runs)"
(cd "$repo" && "$GO" build -o "$work/eventproc" ./cmd/eventproc)

id="$(date +%s)-$$"
in="kstreams-in-$id" out="kstreams-out-$id" dlq="kstreams-dlq-$id" app="kstreams-bench-$id"

load_start="$(load_avg)"
java -jar "$jar" create-topics --brokers "$brokers" --partitions "$partitions" "$in" "$out" "$dlq"
say "producing $events events into $in"
"$work/eventproc" produce --brokers "$brokers" --topic "$in" --count "$events" --seed 1 --malformed-ratio 0.02 \
	>"$work/produce.out" 2>"$work/produce.err"
cat "$work/produce.out" >&2

# The counter is started (and reading) before the app, so its start-up is not timed.
java -jar "$jar" count --brokers "$brokers" --topics "$out,$dlq" --count "$events" \
	>"$work/count.json" 2>"$work/count.err" &
counter_pid=$!
until grep -q "count: reading" "$work/count.err" 2>/dev/null; do
	kill -0 "$counter_pid" 2>/dev/null || { cat "$work/count.err" >&2; exit 1; }
	sleep 0.2
done

say "starting Kafka Streams (exactly_once_v2, threads=$threads, store=$store)"
start_ms="$(now_ms)"
# shellcheck disable=SC2086 # JAVA_OPTS is a list of flags
java ${JAVA_OPTS:-} -jar "$jar" run --brokers "$brokers" --input "$in" --output "$out" --dlq "$dlq" \
	--app-id "$app" --threads "$threads" --store "$store" --state-dir "$work/state" \
	>"$work/app.out" 2>"$work/app.err" &
app_pid=$!

running_ms="" running_cpu=""
while kill -0 "$counter_pid" 2>/dev/null; do
	if [[ -z "$running_ms" ]] && grep -q "^state RUNNING" "$work/app.out" 2>/dev/null; then
		running_cpu="$(cpu_ms "$app_pid")"
		running_ms="$(grep -m1 "^state RUNNING" "$work/app.out" | cut -d' ' -f3)"
	fi
	kill -0 "$app_pid" 2>/dev/null || { say "the Streams app exited"; tail -20 "$work/app.err" >&2; exit 1; }
	load_mid="$(load_avg)"
	sleep 0.05
done
end_cpu="$(cpu_ms "$app_pid")"
wait "$counter_pid" || { say "counter failed: $(cat "$work/count.json")"; exit 1; }
counter_pid=""
kill -TERM "$app_pid"
wait "$app_pid" || true
app_pid=""

last_ms="$(jq -r .last_ms "$work/count.json")"
first_ms="$(jq -r .first_ms "$work/count.json")"
counted="$(jq -r .count "$work/count.json")"
: "${running_ms:=$start_ms}" "${running_cpu:=0}"
say "Kafka Streams: $counted records committed; start→RUNNING $((running_ms - start_ms)) ms, start→last $((last_ms - start_ms)) ms, CPU $end_cpu ms"

say "eventproc bench --brokers $brokers --events $events --latency-load 0"
"$work/eventproc" bench --brokers "$brokers" --events "$events" --latency-load 0 --json \
	>"$work/bench.json" 2>"$work/bench.err"
load_end="$(load_avg)"

ep_eps="$(jq -r '[.phases[] | select(.system == "eventproc")][0].events_per_sec' "$work/bench.json")"
ep_cpu="$(jq -r '[.phases[] | select(.system == "eventproc")][0].cpu_us_per_event' "$work/bench.json")"
pt_eps="$(jq -r '[.phases[] | select(.system == "passthrough")][0].events_per_sec' "$work/bench.json")"
pt_cpu="$(jq -r '[.phases[] | select(.system == "passthrough")][0].cpu_us_per_event' "$work/bench.json")"

awk -v n="$events" -v s="$start_ms" -v r="$running_ms" -v f="$first_ms" -v l="$last_ms" \
	-v c="$end_cpu" -v rc="$running_cpu" -v ee="$ep_eps" -v ec="$ep_cpu" -v pe="$pt_eps" -v pc="$pt_cpu" \
	-v threads="$threads" -v store="$store" -v b="$brokers" \
	-v l1="$load_start" -v l2="${load_mid:-}" -v l3="$load_end" 'BEGIN {
	ks = n / ((l - s) / 1000); ksr = n / ((l - r) / 1000)
	kc = c * 1000 / n; kcr = (c - rc) * 1000 / n
	printf "\nKafka Streams comparison, %d events, 6 partitions, broker %s\n", n, b
	printf "load average (1/5/15 min): start %s, during Streams %s, end %s\n\n", l1, l2, l3
	printf "| system | events/s | CPU µs/event | timed from |\n|---|---|---|---|\n"
	printf "| Kafka Streams 4.1.0, exactly_once_v2, %d thread(s), %s store | %.0f | %.1f | JVM start → last committed record |\n", threads, store, ks, kc
	printf "| Kafka Streams, same run | %.0f | %.1f | state RUNNING → last committed record |\n", ksr, kcr
	printf "| eventproc (eventproc bench) | %.0f | %.1f | first fetch → last commit |\n", ee, ec
	printf "| passthrough (eventproc bench) | %.0f | %.1f | first fetch → last commit |\n", pe, pc
	printf "\neventproc ÷ Kafka Streams: %.2f× events/s (%.2f× vs the RUNNING-timed figure); CPU per event %.2f× (%.2f×)\n", ee / ks, ee / ksr, ec / kc, ec / kcr
	printf "Kafka Streams: JVM start → RUNNING %.1f s (%.1f s CPU), first committed output visible after %.1f s, last after %.1f s\n", (r - s) / 1000, rc / 1000, (f - s) / 1000, (l - s) / 1000
}'

status=0
if ((check)); then
	say "checking the Streams output against eventproc's packages"
	"$work/eventproc" tail --brokers "$brokers" --topic "$out" --from-beginning --stop-at-end --raw 2>/dev/null >"$work/out.jsonl"
	(cd "$repo" && "$GO" run ./bench/kstreams/crosscheck <"$work/out.jsonl") || status=1
	"$work/eventproc" tail --brokers "$brokers" --dlq --dlq-topic "$dlq" --from-beginning --stop-at-end >/dev/null 2>"$work/dlq.err"
	dlq_n="$(grep -o '^[0-9]* record' "$work/dlq.err" | cut -d' ' -f1)"
	want_dlq="$(grep -o 'malformed by design: [0-9]*' "$work/produce.out" | grep -o '[0-9]*$')"
	if [[ "$dlq_n" == "$want_dlq" ]]; then
		say "DLQ: $dlq_n dead letters, as many as the generator made malformed"
	else
		say "DLQ: $dlq_n dead letters, but the generator made $want_dlq malformed records"
		status=1
	fi
fi
if ((!keep_topics)); then
	java -jar "$jar" delete-topics --brokers "$brokers" "$in" "$out" "$dlq" "$app-source-sequence-changelog" 2>/dev/null ||
		say "could not delete the topics $in $out $dlq $app-source-sequence-changelog"
fi
say "raw outputs: $work (count.json, app.out, app.err, bench.json, produce.out)"
exit "$status"
