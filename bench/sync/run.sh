#!/usr/bin/env bash
# bench/sync/run.sh: time a full sync of 1,000 accounts across 50 fakebank
# institutions (BenchmarkSync1000 in internal/syncer) and say whether it
# finishes within BAR times the lower bound the per-institution limit
# allows. README.md next to this file says what is measured.
#
#   bench/sync/run.sh                   # 3 timed syncs of each case
#   BENCHTIME=10x bench/sync/run.sh     # more of them
#   BAR=1.5 bench/sync/run.sh           # another bar
#
# Exit status: 0 when every case's ratio is within BAR, 1 when one is not,
# 2 when the benchmark itself failed.
set -euo pipefail

cd "$(dirname "$0")/../.."
BENCHTIME=${BENCHTIME:-3x}
BAR=${BAR:-1.2}

if ! out=$(go test -run '^$' -bench BenchmarkSync1000 -benchtime "$BENCHTIME" ./internal/syncer/ 2>&1); then
	echo "$out"
	exit 2
fi
echo "$out" | grep -E '^(cpu|Benchmark)'
echo
# A result line: BenchmarkSync1000/first-2  3  N ns/op  V lower_bound_ms
# V ms_per_sync  V ratio  V worst_ratio (metrics in any order).
echo "$out" | awk -v bar="$BAR" '
/^BenchmarkSync1000\// {
	name = $1; sub(/^BenchmarkSync1000\//, "", name); sub(/-[0-9]+$/, "", name)
	for (i = 2; i <= NF; i++) {
		if ($i == "ratio") ratio = $(i-1)
		if ($i == "worst_ratio") worst = $(i-1)
		if ($i == "lower_bound_ms") bound = $(i-1)
		if ($i == "ms_per_sync") ms = $(i-1)
	}
	verdict = "meets"
	if (ratio + 0 > bar + 0) { verdict = "misses"; failed = 1 }
	printf "%-6s %7.0f ms a sync, lower bound %.0f ms: ratio %.2f (worst %.2f) %s the bar of %s\n",
		name, ms, bound, ratio, worst, verdict, bar
	seen++
}
END {
	if (seen == 0) { print "no BenchmarkSync1000 result"; exit 2 }
	exit failed
}'
