# eventproc — see README.md. `make test` is the fast suite (embedded broker only).
GO        ?= go
PKGS      := ./...
FUZZTIME  ?= 10s

.PHONY: build test test-race lint bench demo fuzz clean

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

fuzz: ## bounded fuzzing of the decoders ($(FUZZTIME) each)
	$(GO) test -run '^$$' -fuzz '^FuzzDecode$$' -fuzztime $(FUZZTIME) ./intake

clean:
	rm -rf bin
