# The README's commands, gathered. Nothing here is needed to build: plain
# `go` commands work too.
GO ?= go

.PHONY: test demo build fuzz bench vet

test:
	$(GO) test -race ./...

demo:
	$(GO) run ./cmd/spcloud demo

build:
	$(GO) build -o bin/spcloud ./cmd/spcloud

vet:
	$(GO) vet ./...

# A short run of every fuzz target (FUZZTIME each).
FUZZTIME ?= 5s
fuzz:
	./scripts/fuzz.sh $(FUZZTIME)

# Every benchmark row side by side with its baseline (see BENCHMARKS.md).
# It builds what it needs into bench/out/, starts its own emulators on
# loopback, and installs curl and gh with apt when they are missing.
bench:
	./bench/run.sh
