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
