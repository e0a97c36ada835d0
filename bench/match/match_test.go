package main

import (
	"os"
	"strings"
	"testing"
)

// TestTargets runs a small held-out configuration (seeds 101–103, 90 days,
// every held-out noise setting, both modes) and checks the design note's
// targets. Exact re-delivery and the engine's contract are always
// asserted. The other targets are asserted with BANKFEED_MATCH_TARGETS=1
// and logged otherwise: the engine misses some today (README.md), and a
// red test here would fail every package's `make test` until it is fixed.
func TestTargets(t *testing.T) {
	strict := os.Getenv("BANKFEED_MATCH_TARGETS") != ""
	var rows []Row
	for _, name := range heldOut {
		for _, mode := range []Mode{Daily, Monthly} {
			nz := noises[name]
			nz.Mode = mode
			r := Measure(Config{Noise: nz, Seeds: []uint64{101, 102, 103}, Days: 90})
			rows = append(rows, r)
			if r.Redelivery != 1 || r.RedeliveryMerges != 0 {
				t.Errorf("%s/%s: re-delivery %s deduped with %d merges, target 100 %% and 0", name, mode, pct(r.Redelivery), r.RedeliveryMerges)
			}
			if r.Violations != 0 {
				t.Errorf("%s/%s: %d plans broke the contract: %v", name, mode, r.Violations, r.Examples["contract"])
			}
			for _, miss := range r.misses() {
				if strings.HasPrefix(miss, "re-delivery") {
					continue
				}
				if strict {
					t.Errorf("%s/%s: %s", name, mode, miss)
				} else {
					t.Logf("%s/%s: missed %s", name, mode, miss)
				}
			}
		}
	}
	var b strings.Builder
	WriteTable(&b, rows)
	t.Log("\n" + b.String())
}

func TestParseSeeds(t *testing.T) {
	tests := []struct {
		in      string
		want    []uint64
		wantErr bool
	}{
		{"101-103", []uint64{101, 102, 103}, false},
		{"1,5", []uint64{1, 5}, false},
		{"7", []uint64{7}, false},
		{"5-3", nil, true},
		{"x", nil, true},
	}
	for _, tt := range tests {
		got, err := parseSeeds(tt.in)
		if (err != nil) != tt.wantErr || (!tt.wantErr && !equal(got, tt.want)) {
			t.Errorf("parseSeeds(%q) = %v, %v; want %v (error %v)", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

func equal(a, b []uint64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
