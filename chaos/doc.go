// Package chaos is eventproc's chaos suite: its tests build the eventproc
// binary, run real `eventproc run` processes in one consumer group under
// continuous load from `eventproc produce`, inflict failures on them
// (kill -9, SIGTERM, scaling, a process frozen past its transaction
// timeout) and then require `eventproc verify` to find every input record
// exactly once in the output or dead-letter topic. The TestGlobal*
// scenarios do the same with --ordering global, where the one active
// member is the target, and audit with verify --ordering global.
//
// TestFailoverGlobal measures, rather than checks, how long global
// ordering takes to fail over to a standby; it also needs
// EVENTPROC_FAILOVER=1 (`make bench-failover`) and logs its figures.
//
// The tests run only with EVENTPROC_CHAOS=1 (`make test-chaos`) and never
// with -short, so that `go test ./...` stays fast. The broker is the one
// named by KAFKA_BROKERS (real Kafka; every test uses its own topics and
// group), else an embedded kfake cluster inside the test process that the
// child processes reach over 127.0.0.1.
//
// The broker-failure scenarios (TestCluster*) also need
// EVENTPROC_CHAOS_CLUSTER, the brokers of a multi-node cluster started by
// scripts/kafka-local.sh up --nodes 3, whose nodes they kill, restart and
// freeze through that script (`make test-chaos-cluster`).
//
// The package holds tests only; it owns no production code.
package chaos
