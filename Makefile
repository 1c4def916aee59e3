GO ?= go
BIN := bin/flowctl

.PHONY: build test bench bench-all lint fmt demo

build:
	$(GO) build -o $(BIN) ./cmd/flowctl

test:
	$(GO) test -count=1 ./...

# Figures for docs/performance.md: flow throughput with its ratio to the
# decode+encode floor measured in the same run (1 and 2 CPUs), lint speed,
# peak RSS while streaming 1 GiB through flowctl run, and the EDI tokenizer and
# validator against a byte-scan floor plus flowctl edi validate's RSS on 1 GiB,
# and durable serve (embedded JetStream) against flowctl run with p50/p99
# end-to-end latency at 1,000 msgs/s.
bench: build
	$(GO) test -run '^$$' -bench OrderToJob -benchtime 3x -cpu 1,2 ./internal/benchflow
	$(GO) test -run '^$$' -bench Lint500Files -benchtime 5x ./engine
	$(GO) run ./internal/benchflow/rss -flowctl $(BIN) -size-mb 1024
	$(GO) run ./internal/benchflow/edibench -flowctl $(BIN) -size-mb 200 -rss-mb 1024
	$(GO) run ./internal/benchflow/servebench

# Every micro-benchmark (codec, exprlib, jsondiff, ...).
bench-all:
	$(GO) test -run '^$$' -bench . -benchmem ./...

lint: build
	$(GO) vet ./...
	./$(BIN) lint --strict examples

fmt:
	gofmt -w $$(git ls-files '*.go')
	$(GO) run ./cmd/flowctl fmt examples

# The main job on embedded defaults: lint every example, run the
# order-to-dispatch flow over its sample orders as a dry run, then run
# flowctl serve (NATS JetStream embedded in the process) over the
# serve-quickstart example until its sample orders are settled — no
# services needed. Exit 1 from run means "some records were rejected",
# which the sample data does on purpose.
demo: build
	./$(BIN) lint examples
	cd examples/order-to-dispatch && ../../$(BIN) run --dry-run --flow order_to_dispatch --input testdata/sale_orders.ndjson . || test $$? -eq 1
	bash scripts/serve-demo.sh
