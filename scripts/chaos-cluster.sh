#!/usr/bin/env bash
# chaos-cluster.sh — the chaos suite's broker-failure scenarios on a real
# three-node Kafka cluster: the busiest broker killed with SIGKILL and
# restarted on its data, the group and transaction coordinators killed, a
# broker frozen with SIGSTOP, a rolling restart; `eventproc verify` after each.
#
#   scripts/chaos-cluster.sh [go test flags, e.g. -run TestClusterFreezeBroker]
#
# Starts the cluster with `scripts/kafka-local.sh up --nodes 3` and stops it on
# exit, unless EVENTPROC_CHAOS_CLUSTER already names a running cluster started by
# kafka-local.sh (the scenarios control its nodes through that script, so use the
# same KAFKA_LOCAL_HOME). Ports: KAFKA_PORT..+2 for clients, KAFKA_CONTROLLER_PORT..+2
# (default KAFKA_PORT+3..) for the controllers. EVENTPROC_CHAOS_LOGS keeps the
# processes' logs.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

if [[ -z "${EVENTPROC_CHAOS_CLUSTER:-}" ]]; then
	trap 'scripts/kafka-local.sh down || true' EXIT
	up="$(scripts/kafka-local.sh up --nodes 3)"
	export EVENTPROC_CHAOS_CLUSTER="${up#KAFKA_BROKERS=}"
fi
echo "chaos-cluster: cluster $EVENTPROC_CHAOS_CLUSTER" >&2
# KAFKA_BROKERS is not for these tests: each one points the suite at the cluster.
env -u KAFKA_BROKERS EVENTPROC_CHAOS=1 go test -count=1 -timeout 25m -v -run '^TestCluster' "$@" ./chaos
