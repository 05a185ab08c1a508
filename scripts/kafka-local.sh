#!/usr/bin/env bash
# kafka-local.sh — real Apache Kafka on 127.0.0.1, without Docker: one broker, or a
# cluster of N nodes started from the same jars.
#
#   scripts/kafka-local.sh up [--nodes N]  fetch the jars once (Maven), format KRaft storage, start, wait until ready
#   scripts/kafka-local.sh down     stop (SIGTERM, then SIGKILL after KAFKA_STOP_TIMEOUT) and delete the data
#   scripts/kafka-local.sh status   exit 0 and print KAFKA_BROKERS=... when running, exit 3 when not
#   scripts/kafka-local.sh logs [-f] [NODE]  print (or follow) the broker log (of node NODE in a cluster)
#   scripts/kafka-local.sh fetch    only fetch the jars into the cache (for CI warm-up)
#   scripts/kafka-local.sh node NODE kill|start|stop|cont|restart|pid   control one node of a cluster:
#        kill     SIGKILL, as a crash or a power cut would (its data stays)
#        start    start it again on its data and wait until it answers and the cluster has all N brokers
#        stop     SIGSTOP: freeze it (a long GC pause, a hung disk); cont resumes it with SIGCONT
#        restart  graceful SIGTERM (SIGKILL after KAFKA_STOP_TIMEOUT), then start
#        pid      print its pid (exit 3 when not running)
#
# By default the broker is a single KRaft node that is both broker and controller, with
# the single-node settings transactions and consumer groups need (replication factor 1
# for __consumer_offsets and __transaction_state, min ISR 1, no initial rebalance delay).
# With --nodes N (or KAFKA_NODES=N, N >= 2) it is a cluster of N combined
# broker+controller nodes (node ids 1..N, an N-voter KRaft quorum) on client ports
# KAFKA_PORT..KAFKA_PORT+N-1 and controller ports KAFKA_CONTROLLER_PORT.. (default
# KAFKA_PORT+N..), replication factor min(N,3) and min.insync.replicas min(N,3)-1 for the
# internal topics and as the default of created topics. Each node has its own data
# directory, pid file and log (kafka-node<N>.log). `status`, `node` and `down` find the
# cluster's size in the run folder.
# Topics are not auto-created: tests and eventproc create theirs.
#
# Needs: Java 17+ and Maven (to fetch the jars the first time), Go (readiness probe).
# Environment (all optional):
#   KAFKA_VERSION          Apache Kafka version fetched from Maven Central   (4.1.0)
#   KAFKA_LOCAL_HOME       cache + run folder                                (<repo>/.cache/kafka)
#   KAFKA_NODES            number of nodes started by `up`                   (1)
#   KAFKA_PORT             client listener port on 127.0.0.1 (of node 1)     (19092)
#   KAFKA_CONTROLLER_PORT  KRaft controller listener port (of node 1)        (KAFKA_PORT+nodes, 19093)
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
num_partitions="${KAFKA_NUM_PARTITIONS:-3}"
heap_opts="${KAFKA_HEAP_OPTS:--Xms256m -Xmx512m}"
start_timeout="${KAFKA_START_TIMEOUT:-120}"
stop_timeout="${KAFKA_STOP_TIMEOUT:-30}"

pom="$repo/scripts/kafka/pom.xml"
log4j_config="$repo/scripts/kafka/log4j2.xml"
lib="$home/lib"
run="$home/run"             # server.properties, pid files and KRaft data: deleted by `down`
nodes_file="$run/nodes"     # a running cluster's size and ports, read by status/node/down

die() { echo "kafka-local: $*" >&2; exit 1; }
say() { echo "kafka-local: $*" >&2; }

# The cluster's size: `up` takes it from --nodes or KAFKA_NODES; the other commands
# from the run folder written by `up` (so they need no options), else KAFKA_NODES.
nodes="${KAFKA_NODES:-1}"
controller_port="${KAFKA_CONTROLLER_PORT:-}"
load_layout() {
	if [[ -f "$nodes_file" ]]; then
		# shellcheck disable=SC1090 # written by write_layout
		source "$nodes_file"
	fi
	[[ "$nodes" =~ ^[1-9][0-9]*$ ]] || die "KAFKA_NODES / --nodes must be a positive number, got '$nodes'"
	controller_port="${controller_port:-$((port + nodes))}"
}
write_layout() {
	printf 'nodes=%s\nport=%s\ncontroller_port=%s\n' "$nodes" "$port" "$controller_port" >"$nodes_file"
}

# Per-node paths and ports. A single node keeps the layout it always had: run/ holds
# its config, pid file and data, and its log is kafka.log.
node_dir() { if ((nodes == 1)); then echo "$run"; else echo "$run/node$1"; fi; }
node_pidfile() { echo "$(node_dir "$1")/kafka.pid"; }
node_log() { if ((nodes == 1)); then echo "$home/kafka.log"; else echo "$home/kafka-node$1.log"; fi; } # kept after `down`, truncated by the next `up`
node_port() { echo $((port + $1 - 1)); }
node_controller_port() { echo $((controller_port + $1 - 1)); }
brokers_list() {
	local i out=""
	for ((i = 1; i <= nodes; i++)); do out+="${out:+,}127.0.0.1:$(node_port "$i")"; done
	echo "$out"
}
# Internal topics and created topics: three replicas (fewer on a smaller cluster),
# of which all but one must acknowledge, so that one node can fail.
replication() { if ((nodes >= 3)); then echo 3; else echo "$nodes"; fi; }
min_isr() { local r; r="$(replication)"; if ((r > 1)); then echo $((r - 1)); else echo 1; fi; }

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

# pid of node $1's running broker, or nothing. A pid file whose process is gone, or
# is no longer our broker (pid reuse), does not count.
running_pid() {
	local pidfile pid
	pidfile="$(node_pidfile "${1:-1}")"
	[[ -f "$pidfile" ]] || return 0
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
	local cfg="$run/server.properties"
	cat >"$cfg" <<EOC
# Written by scripts/kafka-local.sh: single-node KRaft broker+controller for tests.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$controller_port
listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$controller_port
advertised.listeners=PLAINTEXT://127.0.0.1:$port
inter.broker.listener.name=PLAINTEXT
controller.listener.names=CONTROLLER
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$run/data
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
EOC
}

# write_node_config writes node $1's server.properties for an N-node cluster.
write_node_config() {
	local i="$1" dir voters="" j rf isr
	dir="$(node_dir "$i")"
	for ((j = 1; j <= nodes; j++)); do voters+="${voters:+,}$j@127.0.0.1:$(node_controller_port "$j")"; done
	rf="$(replication)"
	isr="$(min_isr)"
	mkdir -p "$dir/data"
	cat >"$dir/server.properties" <<EOC
# Written by scripts/kafka-local.sh: node $i of a $nodes-node KRaft cluster for tests,
# every node both broker and controller.
process.roles=broker,controller
node.id=$i
controller.quorum.voters=$voters
listeners=PLAINTEXT://127.0.0.1:$(node_port "$i"),CONTROLLER://127.0.0.1:$(node_controller_port "$i")
advertised.listeners=PLAINTEXT://127.0.0.1:$(node_port "$i")
inter.broker.listener.name=PLAINTEXT
controller.listener.names=CONTROLLER
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$dir/data
num.partitions=$num_partitions
# Created topics and internal topics survive the loss of one node: $rf replicas, of
# which $isr must acknowledge an acks=all write (transactions write with acks=all).
default.replication.factor=$rf
min.insync.replicas=$isr
auto.create.topics.enable=false
delete.topic.enable=true
offsets.topic.replication.factor=$rf
offsets.topic.num.partitions=10
transaction.state.log.replication.factor=$rf
transaction.state.log.min.isr=$isr
transaction.state.log.num.partitions=10
share.coordinator.state.topic.replication.factor=$rf
share.coordinator.state.topic.min.isr=$isr
# Tests join groups one member at a time: do not wait 3 s for more members.
group.initial.rebalance.delay.ms=0
# A follower that stops fetching (frozen, partitioned) leaves the ISR after 10 s
# instead of 30 s, so acks=all writes wait less for it.
replica.lag.time.max.ms=10000
EOC
}

check_java() {
	local java="$1" major
	[[ -n "$java" && -x "$java" ]] || die "java not found: install a JDK 17+ (e.g. apt-get install -y openjdk-17-jre-headless) or set JAVA_HOME"
	major="$("$java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')"
	[[ "${major%%.*}" -ge 17 ]] 2>/dev/null || die "Kafka $version needs Java 17 or newer, $java is ${major:-unknown}"
}

# launch starts node $1 on its (formatted) data directory and records its pid.
launch() {
	local i="$1" dir java pid
	dir="$(node_dir "$i")"
	java="$(java_bin)"
	# setsid: the broker must not die with the terminal or make's process group.
	# shellcheck disable=SC2086 # heap_opts is a list of JVM flags on purpose
	setsid "$java" -server $heap_opts -XX:+UseG1GC -XX:+ExitOnOutOfMemoryError \
		-Djava.awt.headless=true -Dlog4j2.configurationFile="$log4j_config" \
		-Dkafka.logs.dir="$dir" -cp "$lib/*" kafka.Kafka "$dir/server.properties" \
		>>"$(node_log "$i")" 2>&1 </dev/null 9>&- &
	pid=$!
	echo "$pid" >"$(node_pidfile "$i")"
	say "node $i: started pid $pid (log: $(node_log "$i"))"
}

# launched_pid prints the pid of node $1, just launched: right after the fork
# the process may not run java yet, which running_pid requires, so it asks
# again for up to 5 s and then falls back to the pid file as launch wrote it.
launched_pid() {
	local i="$1" pid tries
	for ((tries = 0; tries < 50; tries++)); do
		pid="$(running_pid "$i")"
		[[ -z "$pid" ]] || break
		sleep 0.1
	done
	[[ -n "$pid" ]] || pid="$(cat "$(node_pidfile "$i")" 2>/dev/null)"
	echo "$pid"
}

# await_ready waits until the brokers in $1 answer with every node registered and a
# controller elected, or fails showing the log of node $2 (0: every node).
await_ready() {
	local seeds="$1" which="$2" pid_flag=() i pid=""
	if ((which > 0)); then pid="$(launched_pid "$which")"; elif ((nodes == 1)); then pid="$(launched_pid 1)"; fi
	[[ ! "$pid" =~ ^[0-9]+$ ]] || pid_flag=(-pid "$pid")
	if ! (cd "$repo" && go run ./scripts/kafkawait -brokers "$seeds" -min-brokers "$nodes" -timeout "${start_timeout}s" "${pid_flag[@]}"); then
		for ((i = 1; i <= nodes; i++)); do
			((which == 0 || which == i)) || continue
			echo "----- last 40 lines of $(node_log "$i") -----" >&2
			tail -n 40 "$(node_log "$i")" >&2
		done
		echo "-------------------------------------" >&2
		return 1
	fi
}

cmd_up() {
	local pid i
	pid="$(running_pid 1)"
	if [[ -n "$pid" ]]; then
		say "already running (pid $pid)"
		echo "KAFKA_BROKERS=$(brokers_list)"
		return 0
	fi
	check_java "$(java_bin)"
	for ((i = 1; i <= nodes; i++)); do
		for p in "$(node_port "$i")" "$(node_controller_port "$i")"; do
			port_busy "$p" && die "127.0.0.1:$p is already in use by another process (set KAFKA_PORT / KAFKA_CONTROLLER_PORT)"
		done
	done

	local started_at
	started_at="$(date +%s%N)"
	fetch
	rm -rf "$run"
	mkdir -p "$run"
	local cluster_id
	cluster_id="$(random_cluster_id)"
	if ((nodes == 1)); then
		mkdir -p "$run/data"
		write_config
		"$(java_bin)" -cp "$lib/*" -Dlog4j2.configurationFile="$log4j_config" \
			kafka.tools.StorageTool format --cluster-id "$cluster_id" --config "$run/server.properties" \
			>"$(node_log 1)" 2>&1 || { cat "$(node_log 1)" >&2; die "formatting KRaft storage failed"; }
	else
		write_layout
		for ((i = 1; i <= nodes; i++)); do
			write_node_config "$i"
			# Formatting is one JVM start per node; run them side by side.
			"$(java_bin)" -cp "$lib/*" -Dlog4j2.configurationFile="$log4j_config" \
				kafka.tools.StorageTool format --cluster-id "$cluster_id" --config "$(node_dir "$i")/server.properties" \
				>"$(node_log "$i")" 2>&1 &
		done
		for ((i = 1; i <= nodes; i++)); do
			wait -n || { cat "$home"/kafka-node*.log >&2; die "formatting KRaft storage failed"; }
		done
	fi
	for ((i = 1; i <= nodes; i++)); do launch "$i"; done
	say "waiting up to ${start_timeout}s for $(brokers_list) ..."

	if ! await_ready "$(brokers_list)" 0; then
		for ((i = 1; i <= nodes; i++)); do
			pid="$(running_pid "$i")"
			[[ -z "$pid" ]] || stop_pid "$pid"
		done
		die "Kafka did not become ready"
	fi
	say "ready in $(((($(date +%s%N) - started_at) / 1000000)))ms"
	echo "KAFKA_BROKERS=$(brokers_list)"
}

stop_pid() {
	local pid="$1" waited=0
	kill -CONT "$pid" 2>/dev/null || true # a frozen broker cannot handle SIGTERM
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
	local pid i any=""
	for ((i = 1; i <= nodes; i++)); do
		pid="$(running_pid "$i")"
		[[ -n "$pid" ]] || continue
		any=1
		say "stopping pid $pid"
		stop_pid "$pid" &
	done
	wait
	[[ -n "$any" ]] || say "not running"
	rm -rf "$run"
}

cmd_status() {
	local pid i up=0 desc=""
	for ((i = 1; i <= nodes; i++)); do
		pid="$(running_pid "$i")"
		if [[ -n "$pid" ]]; then
			up=$((up + 1))
			desc+="${desc:+, }node $i pid $pid"
			[[ "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" != T ]] || desc+=" (stopped)"
		else
			desc+="${desc:+, }node $i down"
		fi
	done
	if ((up == 0)); then
		say "not running"
		exit 3
	fi
	if ((nodes == 1)); then
		say "running (pid $(running_pid 1), Kafka $version, log: $(node_log 1))"
	else
		say "$up of $nodes nodes running ($desc; Kafka $version, logs: $home/kafka-node*.log)"
	fi
	echo "KAFKA_BROKERS=$(brokers_list)"
}

cmd_logs() {
	local follow="" i=1
	for a in "$@"; do
		if [[ "$a" == "-f" ]]; then follow=1; else i="$a"; fi
	done
	local log
	log="$(node_log "$i")"
	[[ -f "$log" ]] || die "no log yet at $log"
	if [[ -n "$follow" ]]; then tail -n 100 -F "$log"; else cat "$log"; fi
}

# cmd_node controls node $1 of a running cluster.
cmd_node() {
	local i="${1:-}" action="${2:-}" pid
	[[ "$i" =~ ^[0-9]+$ ]] && ((i >= 1 && i <= nodes)) || die "node: want a node number 1..$nodes, got '$i'"
	[[ -d "$(node_dir "$i")" ]] || die "node $i: no cluster in $run (run up first)"
	pid="$(running_pid "$i")"
	case "$action" in
	pid)
		[[ -n "$pid" ]] || { say "node $i is not running"; exit 3; }
		echo "$pid"
		;;
	kill)
		[[ -n "$pid" ]] || die "node $i is not running"
		kill -KILL "$pid"
		while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
		say "node $i: killed pid $pid (SIGKILL)"
		;;
	stop)
		[[ -n "$pid" ]] || die "node $i is not running"
		kill -STOP "$pid"
		say "node $i: froze pid $pid (SIGSTOP)"
		;;
	cont)
		[[ -n "$pid" ]] || die "node $i is not running"
		kill -CONT "$pid"
		say "node $i: resumed pid $pid (SIGCONT)"
		;;
	start | restart)
		if [[ -n "$pid" ]]; then
			[[ "$action" == restart ]] || die "node $i is already running (pid $pid)"
			say "node $i: stopping pid $pid (SIGTERM)"
			stop_pid "$pid"
		fi
		local started_at
		started_at="$(date +%s%N)"
		check_java "$(java_bin)"
		launch "$i"
		await_ready "127.0.0.1:$(node_port "$i")" "$i" || die "node $i did not become ready"
		say "node $i: ready in $(((($(date +%s%N) - started_at) / 1000000)))ms"
		;;
	*) die "node $i: want kill|start|stop|cont|restart|pid, got '$action'" ;;
	esac
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

cmd="${1:-}"
shift || true
if [[ "$cmd" == up ]]; then
	while (($#)); do
		case "$1" in
		--nodes) nodes="${2:-}"; shift 2 || die "--nodes needs a number" ;;
		--nodes=*) nodes="${1#--nodes=}"; shift ;;
		*) die "up: unknown option $1" ;;
		esac
	done
	[[ "$nodes" =~ ^[1-9][0-9]*$ ]] || die "KAFKA_NODES / --nodes must be a positive number, got '$nodes'"
	controller_port="${controller_port:-$((port + nodes))}"
else
	load_layout
fi

case "$cmd" in
up) lock && cmd_up ;;
down) lock && cmd_down ;;
status) cmd_status ;;
logs) cmd_logs "$@" ;;
node) lock && cmd_node "$@" ;;
fetch) lock && fetch && say "jars ready in $lib" ;;
*)
	echo "usage: $0 up [--nodes N]|down|status|logs [-f] [NODE]|node NODE kill|start|stop|cont|restart|pid|fetch" >&2
	exit 2
	;;
esac
