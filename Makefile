# newswire — make help lists the targets.
SHELL := /bin/bash
GO ?= go
BIN := bin/newswire
STATICCHECK_VERSION := v0.8.2
GOFLAGS_TEST ?=
export GOTOOLCHAIN := local

.DEFAULT_GOAL := help

-include deploy/local/services.mk

.PHONY: help
help: ## list the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  \033[36m%-16s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

.PHONY: build
build: ## build bin/newswire
	$(GO) build -o $(BIN) ./cmd/newswire

.PHONY: run
run: build ## run the whole pipeline on embedded defaults with the sample corpus (open http://127.0.0.1:8080)
	./$(BIN) run --samples samples/articles.jsonl $(ARGS)

.PHONY: test-unit
test-unit: ## fast Go-only tests: unit and embedded end-to-end (no external services)
	$(GO) test $(GOFLAGS_TEST) -count=1 ./...

.PHONY: test
test: ## the whole suite: unit, embedded end-to-end, and integration against real Kafka and Elasticsearch (started if needed)
	@bash deploy/local/test.sh

# The packages that run goroutines of their own: the race detector runs
# their whole tests (integration ones too when NEWSWIRE_TEST_* are set).
RACE_PKGS := ./consumers/... ./alert/... ./app/... ./producers/... ./broker/... ./api/... ./index/...

.PHONY: test-race
test-race: ## the race detector on the concurrent packages (consumers, alert, app, producers, broker, api, index)
	$(GO) test -race -count=1 -timeout 30m $(GOFLAGS_TEST) $(RACE_PKGS)

.PHONY: soak
soak: build ## all-in-one under steady HTTP load, SIGKILL and restart every minute, then accepted vs searchable, RSS, goroutines, p99 latency, audit (DURATION=10m)
	$(GO) run ./cmd/newswire-soak --bin $(BIN) --duration $(or $(DURATION),10m) $(SOAK_ARGS)

.PHONY: lint
lint: ## gofmt check, go vet, staticcheck (pinned), import rules of ARCHITECTURE.md
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) run honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION) ./...
	$(GO) test -count=1 ./internal/archtest/

.PHONY: bench
bench: ## benchmarks of the hot paths, median-friendly (COUNT=5); Kafka ones use the real broker when NEWSWIRE_TEST_KAFKA is set
	$(GO) test -run '^$$' -bench '$(or $(BENCH),.)' -benchmem -count $(or $(COUNT),5) $$($(GO) list ./article/ ./enrich/... ./index/... ./alert/... 2>/dev/null)
	$(GO) test -run '^$$' -bench '$(or $(BENCH),.)' -benchtime 20000x -count $(or $(COUNT),5) ./consumers/
	$(GO) test -run '^$$' -bench '$(or $(BENCH),ES)' -benchtime 20000x -count $(or $(COUNT),5) ./app/
	$(GO) test -run '^$$' -bench '$(or $(BENCH),ProduceTo)' -benchtime 100x -count $(or $(COUNT),5) ./app/
	$(GO) test -run '^$$' -bench '$(or $(BENCH),SplitProduceToWebhook)' -benchtime 100x -count $(or $(COUNT),5) ./cmd/newswire/
	$(GO) test -run '^$$' -bench '$(or $(BENCH),TagProcess)' -benchtime 3x -count $(or $(COUNT),5) ./cmd/newswire/

.PHONY: clean
clean: ## remove build output and the default data dir
	rm -rf bin data
