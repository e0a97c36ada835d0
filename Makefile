# bankfeed: make build | test | e2e-deps | lint | bench | fuzz | demo | demo-files | clean
#
# Tools come from the Go toolchain or are pinned here and fetched by `go run`,
# so a fresh machine needs only Go (see go.mod for the version).

GO          ?= go
BIN         := bin/bankfeed
# staticcheck 2026.2.2, the first line to support Go 1.26.
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2
# Time per fuzz target: make fuzz FUZZTIME=30s
FUZZTIME    ?= 10m
# Where `make demo` keeps its database; removed and recreated on every run.
DEMO_DIR    ?= .demo

.PHONY: all build test e2e-deps lint bench fuzz demo demo-files clean

all: build

build:
	$(GO) build -o $(BIN) ./cmd/bankfeed

test:
	$(GO) test -race -shuffle=on -timeout 20m ./...

# playwright-core for the browser tests (e2e/, run by TestBrowser in make
# test), at the version e2e/package-lock.json pins. They also need node and
# chromium (Debian: apt-get install nodejs npm chromium).
e2e-deps:
	npm ci --prefix e2e --no-audit --no-fund

lint:
	@files=$$(gofmt -l .); \
	if [ -n "$$files" ]; then echo "gofmt needed on:"; echo "$$files"; exit 1; fi
	$(GO) vet ./...
	$(GO) run $(STATICCHECK) ./...

# Go benchmarks, then bankfeed against libofx, ofxparse and ofxgo
# (bench/peers.sh explains its knobs: SIZES, PEERS_1M, PEER_TIMEOUT).
bench:
	$(GO) test -bench=. -benchmem -run='^$$' ./...
	bench/peers.sh

# Every fuzz target in the tree, FUZZTIME each. Targets are found by grep,
# so a new one is picked up without touching this file.
fuzz:
	@set -e; \
	grep -rE --include='*_test.go' --exclude-dir=.git --exclude-dir=out -l '^func Fuzz[A-Za-z0-9_]*\(' . | sort | \
	while read -r file; do \
		dir=$$(dirname "$$file"); \
		for name in $$(sed -nE 's/^func (Fuzz[A-Za-z0-9_]*)\(.*/\1/p' "$$file"); do \
			echo "== $$dir $$name ($(FUZZTIME))"; \
			$(GO) test -run='^$$' -fuzz="^$$name\$$" -fuzztime=$(FUZZTIME) "$$dir" </dev/null; \
		done; \
	done

# Three simulated banks, connected and synced in a throwaway data directory.
demo: build
	$(BIN) demo

# Import the sample statements in examples/ into a throwaway data directory
# and list what was stored.
demo-files: build
	rm -rf $(DEMO_DIR)
	BANKFEED_DATA_DIR=$(DEMO_DIR) $(BIN) import examples/*.ofx examples/*.qfx
	BANKFEED_DATA_DIR=$(DEMO_DIR) $(BIN) accounts
	BANKFEED_DATA_DIR=$(DEMO_DIR) $(BIN) lines --account 1

clean:
	rm -rf bin bench/out $(DEMO_DIR)
