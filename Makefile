GO ?= go
BIN := bin/flowctl

.PHONY: build test bench lint fmt demo

build:
	$(GO) build -o $(BIN) ./cmd/flowctl

test:
	$(GO) test -count=1 ./...

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

lint: build
	$(GO) vet ./...
	./$(BIN) lint --strict examples

fmt:
	gofmt -w $$(git ls-files '*.go')
	$(GO) run ./cmd/flowctl fmt examples

# The main job on embedded defaults: lint every example, then run the
# order-to-dispatch flow over its sample orders as a dry run (no services
# needed). Exit 1 from run means "some records were rejected", which the
# sample data does on purpose.
demo: build
	./$(BIN) lint examples
	cd examples/order-to-dispatch && ../../$(BIN) run --dry-run --flow order_to_dispatch --input testdata/sale_orders.ndjson . || test $$? -eq 1
