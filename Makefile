# gilbench — see README.md.
GO      ?= go
COMMIT  := $(shell git describe --always --dirty 2>/dev/null)
LDFLAGS := -X main.commit=$(COMMIT)
BIN     := bin/gilbench
RUN     ?= $(shell date -u +%Y%m%d-%H%M%S)
OUT     ?= results/$(RUN)
ARGS    ?=

.PHONY: all build bench bench-shared quick test vet race fuzz clean

all: build

build:
	$(GO) build -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/gilbench

## bench: run the default matrix and build its report (results/<date-time>/report.html)
bench: build
	$(BIN) run -out $(OUT) $(ARGS)
	$(BIN) report $(OUT)

## bench-shared: the shared-state workloads (locks, contention sweeps, lost updates)
bench-shared: build
	$(BIN) run -workloads counter,pipeline,lost-update -out $(OUT) $(ARGS)
	$(BIN) report $(OUT)

## quick: a smoke run of the whole matrix at small sizes
quick: build
	$(BIN) run -quick -out $(OUT) $(ARGS)
	$(BIN) report $(OUT)

## test: vet, then every test with the race detector, then a short fuzz of the frame decoder
test: vet race fuzz

vet:
	$(GO) vet ./...

race:
	$(GO) test -race -timeout 15m ./...

fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzDecoder$$' -fuzztime 10s ./mp/

clean:
	rm -rf bin
	find results -mindepth 1 -maxdepth 1 -type d ! -name sample -exec rm -rf {} +
