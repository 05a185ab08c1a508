# eventproc — see README.md. `make test` is the fast suite (embedded broker only).
GO        ?= go
PKGS      := ./...
FUZZTIME  ?= 10s

.PHONY: build test test-race lint bench demo fuzz clean kafka-up kafka-down kafka-status test-integration test-chaos test-chaos-cluster bench-restore bench-failover bench-kstreams

build: ## build bin/eventproc
	$(GO) build -o bin/eventproc ./cmd/eventproc

test: ## unit + embedded-broker integration tests (a few minutes, nothing but Go needed)
	$(GO) test -count=1 -timeout 15m $(PKGS)

test-race: ## the fast suite under the race detector
	$(GO) test -count=1 -race -timeout 25m $(PKGS)

lint: ## gofmt + go vet
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet $(PKGS)

bench: ## microbenchmarks of the pure core, one core
	$(GO) test -run '^$$' -bench . -benchmem -cpu 1 ./intake ./classify ./enrich ./ordering ./processor

demo: ## the whole job on the embedded broker
	$(GO) run ./cmd/eventproc demo

fuzz: ## bounded fuzzing of every decoder ($(FUZZTIME) each)
	GO=$(GO) scripts/fuzz-one.sh ./intake FuzzDecode $(FUZZTIME)
	GO=$(GO) scripts/fuzz-one.sh ./enrich FuzzDecodeSourceState $(FUZZTIME)
	GO=$(GO) scripts/fuzz-one.sh ./event FuzzAppendOutput $(FUZZTIME)
	GO=$(GO) scripts/fuzz-one.sh ./ordering FuzzDecodePublishCounter $(FUZZTIME)
	GO=$(GO) scripts/fuzz-one.sh ./ingest FuzzKeyOf $(FUZZTIME)
	GO=$(GO) scripts/fuzz-one.sh ./ingest FuzzSplitArray $(FUZZTIME)

kafka-up: ## real Apache Kafka 4.1 on 127.0.0.1:19092 (Java 17 + Maven, no Docker; first run fetches 43 MB of jars)
	scripts/kafka-local.sh up

kafka-down: ## stop it and delete its data
	scripts/kafka-local.sh down

kafka-status: ## running? (exit 3 when not)
	scripts/kafka-local.sh status

# The integration suites (processor, testbroker, kcat interop) against the
# broker in KAFKA_BROKERS; start one with `make kafka-up` first.
INTEGRATION_PKGS := ./processor ./internal/testbroker ./internal/groupstatus ./ingest ./cmd/eventproc
test-integration: ## integration suites against real Kafka (KAFKA_BROKERS, default the kafka-up broker)
	KAFKA_BROKERS=$${KAFKA_BROKERS:-127.0.0.1:$${KAFKA_PORT:-19092}} $(GO) test -count=1 -timeout 30m $(INTEGRATION_PKGS)

clean:
	rm -rf bin

# The chaos suite builds bin and runs real processes: against KAFKA_BROKERS when
# set (real Kafka), else an embedded broker inside the test process.
test-chaos: ## chaos suite: real processes, kill -9, SIGTERM, scale, slow windows; then eventproc verify
	EVENTPROC_CHAOS=1 $(GO) test -count=1 -timeout 15m -v -run . ./chaos

# Failover time of --ordering global (two members, --session-timeout 10s): SIGTERM,
# SIGKILL, SIGKILL and restart of the active, three runs each; figures in the log.
# Against KAFKA_BROKERS when set, else the embedded broker.
bench-failover: ## failover time of --ordering global: signal to the next committed window, 3 runs per case; then eventproc verify
	EVENTPROC_CHAOS=1 EVENTPROC_FAILOVER=1 $(GO) test -count=1 -timeout 20m -v -run '^TestFailoverGlobal$$' ./chaos

# Broker failures on a real three-node cluster (scripts/kafka-local.sh up --nodes 3,
# started and stopped here unless EVENTPROC_CHAOS_CLUSTER names a running one).
test-chaos-cluster: ## chaos on 3 brokers: kill -9 the busiest broker, the coordinators, SIGSTOP one, rolling restart; then eventproc verify
	scripts/chaos-cluster.sh

# What a SIGKILL costs the member that takes the partitions over, with and
# without --standby-replicas, for a state of a million sources (minutes;
# against KAFKA_BROKERS when set, else the embedded broker).
bench-restore: ## restore time after kill -9, with and without warm standbys (1 M sources)
	EVENTPROC_CHAOS=1 EVENTPROC_RESTORE_BENCH=1 $(GO) test -count=1 -timeout 30m -v -run TestRestoreAfterKill ./chaos

# Kafka Streams 4.1 (exactly_once_v2) running a simplified version of the job, against
# eventproc and the passthrough, on the broker in KAFKA_BROKERS (default the kafka-up
# broker). Builds bench/kstreams with Maven (Java 17); nothing else uses Maven.
KSTREAMS_EVENTS ?= 300000
bench-kstreams: ## Kafka Streams (exactly_once_v2) vs eventproc vs passthrough, one run, real Kafka (Java 17 + Maven)
	bench/kstreams/run.sh --build --check --brokers $${KAFKA_BROKERS:-127.0.0.1:$${KAFKA_PORT:-19092}} --events $(KSTREAMS_EVENTS) $(KSTREAMS_FLAGS)
