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

demo: build
	./$(BIN) lint examples
