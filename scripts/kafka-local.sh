#!/usr/bin/env bash
# kafka-local.sh — one real Apache Kafka broker on 127.0.0.1, without Docker.
#
#   scripts/kafka-local.sh up       fetch the jars once (Maven), format KRaft storage, start, wait until ready
#   scripts/kafka-local.sh down     stop (SIGTERM, then SIGKILL after KAFKA_STOP_TIMEOUT) and delete the data
#   scripts/kafka-local.sh status   exit 0 and print KAFKA_BROKERS=... when running, exit 3 when not
#   scripts/kafka-local.sh logs [-f]  print (or follow) the broker log
#   scripts/kafka-local.sh fetch    only fetch the jars into the cache (for CI warm-up)
#
# The broker is a single KRaft node that is both broker and controller, with the
# single-node settings transactions and consumer groups need (replication factor 1 for
# __consumer_offsets and __transaction_state, min ISR 1, no initial rebalance delay).
# Topics are not auto-created: tests and eventproc create theirs.
#
# Needs: Java 17+ and Maven (to fetch the jars the first time), Go (readiness probe).
# Environment (all optional):
#   KAFKA_VERSION          Apache Kafka version fetched from Maven Central   (4.1.0)
#   KAFKA_LOCAL_HOME       cache + run folder                                (<repo>/.cache/kafka)
#   KAFKA_PORT             client listener port on 127.0.0.1                 (19092)
#   KAFKA_CONTROLLER_PORT  KRaft controller listener port                    (19093)
#   KAFKA_NUM_PARTITIONS   default partition count of created topics         (3)
#   KAFKA_HEAP_OPTS        JVM heap                                          (-Xms256m -Xmx512m)
#   KAFKA_START_TIMEOUT    seconds to wait for readiness                     (120)
#   KAFKA_STOP_TIMEOUT     seconds to wait after SIGTERM before SIGKILL      (30)
#   KAFKA_MVN_FLAGS        extra flags for mvn, e.g. -Dmaven.repo.local=...  ()
#   JAVA_HOME              Java to use (else `java` on PATH)
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
version="${KAFKA_VERSION:-4.1.0}"
home="${KAFKA_LOCAL_HOME:-$repo/.cache/kafka}"
port="${KAFKA_PORT:-19092}"
controller_port="${KAFKA_CONTROLLER_PORT:-19093}"
num_partitions="${KAFKA_NUM_PARTITIONS:-3}"
heap_opts="${KAFKA_HEAP_OPTS:--Xms256m -Xmx512m}"
start_timeout="${KAFKA_START_TIMEOUT:-120}"
stop_timeout="${KAFKA_STOP_TIMEOUT:-30}"

pom="$repo/scripts/kafka/pom.xml"
log4j_config="$repo/scripts/kafka/log4j2.xml"
lib="$home/lib"
run="$home/run"       # server.properties, pid file and KRaft data: deleted by `down`
data="$run/data"
pidfile="$run/kafka.pid"
logfile="$home/kafka.log" # kept after `down` for post-mortems, truncated by the next `up`
brokers="127.0.0.1:$port"

die() { echo "kafka-local: $*" >&2; exit 1; }
say() { echo "kafka-local: $*" >&2; }

java_bin() {
	if [[ -n "${JAVA_HOME:-}" ]]; then echo "$JAVA_HOME/bin/java"; else command -v java || true; fi
}

# The stamp records what lib/ was fetched for; a different version or pom refetches.
stamp_want() {
	echo "kafka=$version pom=$(sha256sum "$pom" | cut -d' ' -f1)"
}

fetch() {
	mkdir -p "$home"
	if [[ -f "$lib/.stamp" && "$(cat "$lib/.stamp")" == "$(stamp_want)" ]]; then
		return 0
	fi
	command -v mvn >/dev/null || die "mvn not found: install Maven (e.g. apt-get install -y maven) or fill $lib yourself"
	say "fetching Apache Kafka $version jars from Maven Central into $lib ..."
	local tmp="$lib.tmp.$$"
	rm -rf "$tmp"
	# shellcheck disable=SC2086 # KAFKA_MVN_FLAGS is a list of flags on purpose
	if ! mvn -q -B -f "$pom" ${KAFKA_MVN_FLAGS:-} \
		-Dkafka.version="$version" -DincludeScope=runtime -DoutputDirectory="$tmp" \
		dependency:copy-dependencies >"$home/mvn.log" 2>&1; then
		tail -n 30 "$home/mvn.log" >&2
		rm -rf "$tmp"
		die "Maven could not fetch Kafka $version (full output: $home/mvn.log)"
	fi
	ls "$tmp"/kafka_2.13-"$version".jar >/dev/null 2>&1 || die "kafka_2.13-$version.jar missing after the fetch"
	stamp_want >"$tmp/.stamp"
	rm -rf "$lib"
	mv "$tmp" "$lib"
}

# pid of the running broker, or nothing. A pid file whose process is gone, or is no
# longer our broker (pid reuse), does not count.
running_pid() {
	[[ -f "$pidfile" ]] || return 0
	local pid
	pid="$(cat "$pidfile")"
	[[ "$pid" =~ ^[0-9]+$ ]] || return 0
	if kill -0 "$pid" 2>/dev/null && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q 'kafka\.Kafka'; then
		echo "$pid"
	fi
}

# A Kafka cluster id is a random 128-bit UUID in unpadded URL-safe base64, as
# `kafka-storage random-uuid` prints it (without paying for a JVM start). Like Kafka,
# avoid ids starting with '-', which command lines would take for a flag.
random_cluster_id() {
	local id
	while :; do
		id="$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')"
		[[ "$id" == -* ]] || break
	done
	echo "$id"
}

port_busy() {
	(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

write_config() {
	cat >"$run/server.properties" <<EOF
# Written by scripts/kafka-local.sh: single-node KRaft broker+controller for tests.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$controller_port
listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$controller_port
advertised.listeners=PLAINTEXT://127.0.0.1:$port
inter.broker.listener.name=PLAINTEXT
controller.listener.names=CONTROLLER
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$data
num.partitions=$num_partitions
default.replication.factor=1
min.insync.replicas=1
auto.create.topics.enable=false
delete.topic.enable=true
# One node: internal topics cannot have more than one replica. Fewer partitions than
# the default 50 make the first group/transaction on a fresh broker start faster.
offsets.topic.replication.factor=1
offsets.topic.num.partitions=10
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=10
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
# Tests join groups one member at a time: do not wait 3 s for more members.
group.initial.rebalance.delay.ms=0
EOF
}

cmd_up() {
	local pid
	pid="$(running_pid)"
	if [[ -n "$pid" ]]; then
		say "already running (pid $pid)"
		echo "KAFKA_BROKERS=$brokers"
		return 0
	fi
	local java
	java="$(java_bin)"
	[[ -n "$java" && -x "$java" ]] || die "java not found: install a JDK 17+ (e.g. apt-get install -y openjdk-17-jre-headless) or set JAVA_HOME"
	local major
	major="$("$java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')"
	[[ "${major%%.*}" -ge 17 ]] 2>/dev/null || die "Kafka $version needs Java 17 or newer, $java is ${major:-unknown}"
	for p in "$port" "$controller_port"; do
		port_busy "$p" && die "127.0.0.1:$p is already in use by another process (set KAFKA_PORT / KAFKA_CONTROLLER_PORT)"
	done

	local started_at
	started_at="$(date +%s%N)"
	fetch
	rm -rf "$run"
	mkdir -p "$data"
	write_config

	local cp="$lib/*" cluster_id
	cluster_id="$(random_cluster_id)"
	"$java" -cp "$cp" -Dlog4j2.configurationFile="$log4j_config" \
		kafka.tools.StorageTool format --cluster-id "$cluster_id" --config "$run/server.properties" \
		>"$logfile" 2>&1 || { cat "$logfile" >&2; die "formatting KRaft storage failed"; }

	# setsid: the broker must not die with the terminal or make's process group.
	# shellcheck disable=SC2086 # heap_opts is a list of JVM flags on purpose
	setsid "$java" -server $heap_opts -XX:+UseG1GC -XX:+ExitOnOutOfMemoryError \
		-Djava.awt.headless=true -Dlog4j2.configurationFile="$log4j_config" \
		-Dkafka.logs.dir="$run" -cp "$cp" kafka.Kafka "$run/server.properties" \
		>>"$logfile" 2>&1 </dev/null 9>&- &
	pid=$!
	echo "$pid" >"$pidfile"
	say "started pid $pid (log: $logfile), waiting up to ${start_timeout}s for $brokers ..."

	if ! (cd "$repo" && go run ./scripts/kafkawait -brokers "$brokers" -timeout "${start_timeout}s" -pid "$pid"); then
		echo "----- last 40 lines of $logfile -----" >&2
		tail -n 40 "$logfile" >&2
		echo "-------------------------------------" >&2
		stop_pid "$pid"
		die "Kafka did not become ready (log: $logfile)"
	fi
	say "ready in $(((($(date +%s%N) - started_at) / 1000000)))ms"
	echo "KAFKA_BROKERS=$brokers"
}

stop_pid() {
	local pid="$1" waited=0
	kill -TERM "$pid" 2>/dev/null || return 0
	while kill -0 "$pid" 2>/dev/null && [[ "$waited" -lt $((stop_timeout * 10)) ]]; do
		sleep 0.1
		waited=$((waited + 1))
	done
	if kill -0 "$pid" 2>/dev/null; then
		say "pid $pid still running ${stop_timeout}s after SIGTERM, sending SIGKILL"
		kill -KILL "$pid" 2>/dev/null || true
	fi
}

cmd_down() {
	local pid
	pid="$(running_pid)"
	if [[ -n "$pid" ]]; then
		say "stopping pid $pid"
		stop_pid "$pid"
	else
		say "not running"
	fi
	rm -rf "$run"
}

cmd_status() {
	local pid
	pid="$(running_pid)"
	if [[ -n "$pid" ]]; then
		say "running (pid $pid, Kafka $version, log: $logfile)"
		echo "KAFKA_BROKERS=$brokers"
	else
		say "not running"
		exit 3
	fi
}

cmd_logs() {
	[[ -f "$logfile" ]] || die "no log yet at $logfile"
	if [[ "${1:-}" == "-f" ]]; then tail -n 100 -F "$logfile"; else cat "$logfile"; fi
}

# Serialise the commands that change state (two `make kafka-up` at once would both
# format). The broker is started with fd 9 closed so it does not hold the lock.
lock() {
	mkdir -p "$home"
	if command -v flock >/dev/null; then
		exec 9>"$home/.lock"
		flock 9
	fi
}

case "${1:-}" in
up) lock && cmd_up ;;
down) lock && cmd_down ;;
status) cmd_status ;;
logs) cmd_logs "${2:-}" ;;
fetch) lock && fetch && say "jars ready in $lib" ;;
*)
	echo "usage: $0 up|down|status|logs [-f]|fetch" >&2
	exit 2
	;;
esac
