# hullscan — build, test, fuzz, bench. `make help` lists the targets.
GO        ?= go
BIN       ?= ./hullscan
FUZZTIME  ?= 10s
PKGS      := ./...
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)

.PHONY: help build test vet lint fuzz fixture bench clean

help:
	@grep -E '^[a-z]+:.*##' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

build: ## build the static hullscan binary
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "-s -w -X main.version=$(VERSION)" -o $(BIN) ./cmd/hullscan

test: ## run every test with the race detector (the Debian image test needs `make fixture` first)
	$(GO) test -race -count=1 $(PKGS)

vet: ## go vet and staticcheck
	$(GO) vet $(PKGS)
	staticcheck $(PKGS)

fuzz: ## run every fuzz target for FUZZTIME each
	@scripts/fuzz.sh $(FUZZTIME)

fixture: ## build the real artefacts the integration tests use (root; Debian's mirror, the npm registry, the Go proxy)
	scripts/debian-fixture.sh
	for f in scripts/fixtures/*.sh; do bash $$f || exit 1; done

bench: build ## hullscan vs syft vs trivy on the Debian image and a 1 GiB filler image: wall time and peak RSS
	scripts/bench.sh

clean:
	rm -f $(BIN)
