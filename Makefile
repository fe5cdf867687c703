# oatgate — the two commands are `make run` and `make test`.
GO        ?= go
PKGS      ?= ./...
FUZZTIME  ?= 60s
RUN_DIR   ?= .oatgate

.PHONY: all test check fmt-check vet staticcheck unit fuzz bench run build clean conformance

all: build

build:
	$(GO) build -o bin/oatgate ./cmd/oatgate
	$(GO) build -o bin/oatstore ./cmd/oatstore

## test: every quality gate and every test, as CI runs them.
test: check conformance unit

check: fmt-check vet staticcheck

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet $(PKGS)

staticcheck:
	$(GO) tool staticcheck $(PKGS)

unit:
	$(GO) test -race -count=1 -timeout 20m $(PKGS)

## conformance: the OCI distribution-spec conformance suite against the bare
## registry and through the gateway (full and pull-only tokens); fails on any
## step that passes bare but not through the gateway. Reports: CONFORMANCE_REPORTS.
CONFORMANCE_REPORTS ?= $(CURDIR)/conformance-reports
conformance:
	@echo "conformance reports: $(CONFORMANCE_REPORTS)"
	OATGATE_CONFORMANCE_REPORTS=$(CONFORMANCE_REPORTS) $(GO) test -race -count=1 -timeout 20m -run '^TestConformance$$' -v ./testenv/conformance
	@echo "conformance reports: $(CONFORMANCE_REPORTS)"

## fuzz: every fuzz target for FUZZTIME each. Minimizing a new input is
## capped at 5s: the differential targets run distribution's regexps, and
## unbounded minimizing left them stalled for most of a run.
fuzz:
	@set -e; for pkg in $$($(GO) list $(PKGS)); do \
	  for target in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz' || true); do \
	    echo "== $$pkg $$target ($(FUZZTIME))"; \
	    $(GO) test -run '^$$' -fuzz "^$$target$$" -fuzztime $(FUZZTIME) -fuzzminimizetime 5s $$pkg; \
	  done; \
	done

## bench: hot-path micro-benchmarks, the million-token cache, the token
## exchange (issue 14, oatstore on SQLite with warm JWKS), then the
## side-by-side load run, the 1 GiB streaming run and the herds on the real
## stack; prints one table with the core count (a few minutes on 2 cores).
## Outputs, and the table as Markdown for BENCHMARKS.md: BENCH_DIR.
BENCH_DIR ?= $(RUN_DIR)/bench
bench: build
	@mkdir -p $(BENCH_DIR)
	$(GO) test -run '^$$' -bench 'ServeHTTPCacheHit|ServeHTTPBearerCacheHit|ServeHTTPIDTokenCacheHit|Classify|Allows|VerifyCacheHit|VerifyIDTokenCacheHit|Record' -benchmem -benchtime 1s \
	  ./caddymodule ./caddymodule/registryreq ./caddymodule/scope ./caddymodule/verify ./caddymodule/usagereport > $(BENCH_DIR)/micro.txt \
	  || { cat $(BENCH_DIR)/micro.txt; exit 1; }; cat $(BENCH_DIR)/micro.txt
	$(GO) test -run '^$$' -bench 'CacheWithAMillionTokens' -benchmem -benchtime 200000x -timeout 10m \
	  ./caddymodule/verify > $(BENCH_DIR)/cache.txt || { cat $(BENCH_DIR)/cache.txt; exit 1; }; cat $(BENCH_DIR)/cache.txt
	$(GO) test -run '^$$' -bench 'Exchange' -benchmem -benchtime 3000x \
	  ./cmd/oatstore/server > $(BENCH_DIR)/exchange.txt || { cat $(BENCH_DIR)/exchange.txt; exit 1; }; cat $(BENCH_DIR)/exchange.txt
	$(GO) run ./testenv/bench/cmd/oatgate-bench -oatgate bin/oatgate \
	  -micro $(BENCH_DIR)/micro.txt,$(BENCH_DIR)/cache.txt -markdown $(BENCH_DIR)/table.md

## run: the whole stack on fixed local ports, data under $(RUN_DIR).
run:
	$(GO) build -o bin/oatgate-dev ./testenv/cmd/oatgate-dev
	bin/oatgate-dev -dir $(RUN_DIR)

clean:
	rm -rf bin $(RUN_DIR)
