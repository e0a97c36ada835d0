#!/usr/bin/env bash
# bench/peers.sh: time bankfeed's statement reader against its peers on the
# same generated files, in one run, then time a large import.
#
#   bench/peers.sh                     # 1k, 100k and 1M transactions
#   SIZES="1000" bench/peers.sh        # a quick pass on the small files
#   PEERS_1M=1 bench/peers.sh          # let the peers try the 1M files too
#   PEERS= bench/peers.sh              # bankfeed alone
#
# Peers: libofx's ofxdump (Debian "ofx"), python3-ofxparse (Debian 0.21,
# OfxParser.parse(file); only /usr/bin/python3 sees it) and ofxgo (built here in a temporary directory
# outside the repository; never committed, never linked into bankfeed). A
# missing peer is reported as "missing" and skipped.
#
# Files are generated into bench/out/ (gitignored) by bench/cmd/genofx: bank
# and credit-card statements, OFX 1.02 SGML and OFX 2.1.1 XML. Payees are
# folded to ASCII because ofxgo rejects Windows-1252 text and ofxparse
# rejects UTF-8 in OFX 2 files; on accented payees those peers fail outright.
#
# Wall time comes from bash's EPOCHREALTIME (GNU time's %e has 10 ms
# resolution, too coarse for the 1k files); peak RSS from GNU time's %M.
# MB are 10^6 bytes. Every run is capped at PEER_TIMEOUT seconds: libofx and
# ofxparse are quadratic on SGML and take minutes at 100k transactions.
#
# Environment:
#   SIZES         transaction counts to generate (default "1000 100000 1000000")
#   PEERS         which peers to run (default "libofx ofxparse ofxgo")
#   PEERS_1M      1 to run the peers on the 1M files (default 0: skipped)
#   PEER_TIMEOUT  seconds before a run is stopped (default 300)
#   IMPORT        0 to skip the import timing (default 1)
#   REPEAT        bankfeed runs per file, the fastest kept (default 3)
set -euo pipefail

cd "$(dirname "$0")/.."
SIZES=${SIZES:-"1000 100000 1000000"}
PEERS=${PEERS-libofx ofxparse ofxgo}
PEERS_1M=${PEERS_1M:-0}
PEER_TIMEOUT=${PEER_TIMEOUT:-300}
IMPORT=${IMPORT:-1}
REPEAT=${REPEAT:-3}
OUT=bench/out
PY=/usr/bin/python3

log() { printf '%s\n' "$*" >&2; }

# as_root runs a command as root: directly, through sudo, or not at all.
as_root() {
	if [ "$(id -u)" = 0 ]; then
		"$@"
	elif command -v sudo >/dev/null 2>&1; then
		sudo "$@"
	else
		log "peers.sh: need root to run: $*"
		return 1
	fi
}

if [ ! -x /usr/bin/time ]; then
	log "installing GNU time (Debian package time)"
	as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q time >/dev/null ||
		{ as_root apt-get update -q >/dev/null && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q time >/dev/null; }
fi

mkdir -p bin "$OUT"
log "building bin/bankfeed and bin/genofx"
go build -o bin/bankfeed ./cmd/bankfeed
go build -o bin/genofx ./bench/cmd/genofx

# label turns a transaction count into 1k, 100k, 1m.
label() {
	case $1 in
	*000000) echo "${1%000000}m" ;;
	*000) echo "${1%000}k" ;;
	*) echo "$1" ;;
	esac
}

# Generate. The .json beside each file is genofx's summary: count, sum, size.
files=()
seed=1
for n in $SIZES; do
	for kind in bank card; do
		for format in sgml xml; do
			ext=ofx
			[ "$format" = xml ] && [ "$kind" = card ] && ext=qfx
			f="$OUT/$kind-$format-$(label "$n").$ext"
			bin/genofx -n "$n" -kind "$kind" -format "$format" -seed "$seed" -ascii -o "$f" 2>"$f.json" ||
				{ cat "$f.json" >&2; exit 1; }
			files+=("$f")
			seed=$((seed + 1))
		done
	done
done
log "generated ${#files[@]} files in $OUT"

# ofxgo: a throwaway program in a temporary module outside the repository.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
ofxgo_bin=""
if [[ " $PEERS " != *" ofxgo "* ]]; then
	: # not asked for
elif (
	cd "$tmp" &&
		cat >main.go <<'EOF' &&
package main

import (
	"fmt"
	"os"

	"github.com/aclindsa/ofxgo"
)

func main() {
	f, err := os.Open(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	resp, err := ofxgo.ParseResponse(f)
	if err != nil {
		fmt.Fprintln(os.Stderr, "ofxgo:", err)
		os.Exit(1)
	}
	n := 0
	for _, m := range resp.Bank {
		if s, ok := m.(*ofxgo.StatementResponse); ok && s.BankTranList != nil {
			n += len(s.BankTranList.Transactions)
		}
	}
	for _, m := range resp.CreditCard {
		if s, ok := m.(*ofxgo.CCStatementResponse); ok && s.BankTranList != nil {
			n += len(s.BankTranList.Transactions)
		}
	}
	fmt.Println(n, "transactions")
}
EOF
		export GOWORK=off GOFLAGS=-mod=mod &&
		go mod init tmp >/dev/null 2>&1 &&
		go get github.com/aclindsa/ofxgo@latest >/dev/null 2>&1 &&
		go build -o ofxgo-parse .
) >/dev/null 2>&1; then
	ofxgo_bin=$tmp/ofxgo-parse
	log "built ofxgo $(cd "$tmp" && GOWORK=off go list -m -f '{{.Version}}' github.com/aclindsa/ofxgo)"
else
	log "ofxgo: could not build (no network?); reported as missing"
fi

read -r -a peers <<<"$PEERS"
tools=(bankfeed "${peers[@]}")

# available reports whether a tool can run here.
available() {
	case $1 in
	bankfeed) [ -x bin/bankfeed ] ;;
	libofx) command -v ofxdump >/dev/null 2>&1 ;;
	ofxparse) [ -x "$PY" ] && "$PY" -c 'import ofxparse' >/dev/null 2>&1 ;;
	ofxgo) [ -n "$ofxgo_bin" ] ;;
	*) return 1 ;;
	esac
}

# command_for sets cmd to the command line that reads file $2 with tool $1,
# and out_file to where its output goes: bankfeed's JSON is checked, the
# peers' output is thrown away.
command_for() {
	out_file=/dev/null
	[ "$1" = bankfeed ] && out_file=$tmp/stdout
	case $1 in
	bankfeed) cmd=(bin/bankfeed inspect --json "$2") ;;
	libofx) cmd=(ofxdump "$2") ;;
	ofxparse) cmd=("$PY" -c 'import ofxparse,sys; ofxparse.OfxParser.parse(open(sys.argv[1],"rb"))' "$2") ;;
	ofxgo) cmd=("$ofxgo_bin" "$2") ;;
	esac
}

# measure runs cmd under the time limit and sets secs, peak_kb and status
# (ok, timeout, or "exit N"). Output goes to $out_file, errors to $err_file.
measure() {
	local tf=$tmp/time.out rc t0 t1
	err_file=$tmp/stderr
	rm -f "$tf"
	t0=$EPOCHREALTIME
	set +e
	/usr/bin/time -o "$tf" -f '%e %M' timeout -k 10 "$PEER_TIMEOUT" "${cmd[@]}" >"$out_file" 2>"$err_file"
	rc=$?
	set -e
	t1=$EPOCHREALTIME
	secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
	peak_kb=$( (tail -n 1 "$tf" 2>/dev/null || true) | awk '{ print $2 }')
	case $rc in
	0) status=ok ;;
	124 | 137) status=timeout ;;
	*) status="exit $rc" ;;
	esac
}

# strip_zeros writes a decimal without trailing fractional zeros: 12.50 → 12.5.
strip_zeros() { sed -E 's/^(-?[0-9]+)\.([0-9]*[1-9])?0*$/\1.\2/; s/\.$//; s/^-0$/0/'; }

# check_bankfeed compares bankfeed's JSON with the generator's summary.
check_bankfeed() {
	local f=$1 want_n got_n want_sum got_sum
	want_n=$(grep -o '"transactions":[0-9]*' "$f.json" | cut -d: -f2)
	want_sum=$(grep -o '"sum":"[^"]*"' "$f.json" | cut -d'"' -f4 | strip_zeros)
	got_n=$(grep -o '"transactions": *[0-9]*' "$out_file" | head -n 1 | tr -dc 0-9)
	got_sum=$(grep -o '"sum": *"[^"]*"' "$out_file" | head -n 1 | cut -d'"' -f4 | strip_zeros)
	if [ "$got_n" != "$want_n" ] || [ "$got_sum" != "$want_sum" ]; then
		status="WRONG: $got_n txns sum $got_sum, want $want_n sum $want_sum"
	fi
}

declare -A T M S
bankfeed_failed=0
printf '%-9s %-22s %8s %9s %9s %8s  %s\n' tool file "size MB" seconds "MB/s" "peak MB" status
for f in "${files[@]}"; do
	name=$(basename "$f")
	bytes=$(stat -c %s "$f")
	for tool in "${tools[@]}"; do
		if [ "$tool" != bankfeed ] && [[ $name == *-1m.* ]] && [ "$PEERS_1M" != 1 ]; then
			S[$tool,$name]="skipped (PEERS_1M=1 runs it)"
		elif ! available "$tool"; then
			S[$tool,$name]=missing
		else
			command_for "$tool" "$f"
			measure
			if [ "$tool" = bankfeed ] && [ "$status" = ok ]; then
				check_bankfeed "$f"
				# bankfeed takes a fraction of a second, where one noisy run
				# on a shared machine moves the figure by a third: keep the
				# fastest of REPEAT runs (the peers run once; they take
				# seconds to minutes).
				best=$secs best_kb=$peak_kb
				for ((r = 1; r < REPEAT; r++)); do
					measure
					if [ "$status" = ok ] && awk -v a="$secs" -v b="$best" 'BEGIN { exit !(a < b) }'; then
						best=$secs best_kb=$peak_kb
					fi
				done
				secs=$best peak_kb=$best_kb
				check_bankfeed "$f"
			fi
			if [ "$tool" = bankfeed ] && [ "$status" != ok ]; then
				bankfeed_failed=1
				log "bankfeed on $name: $status: $(head -c 300 "$err_file")"
			fi
			T[$tool,$name]=$secs M[$tool,$name]=$peak_kb S[$tool,$name]=$status
		fi
		st=${S[$tool,$name]}
		if [ -n "${T[$tool,$name]:-}" ]; then
			awk -v tool="$tool" -v file="$name" -v b="$bytes" -v s="${T[$tool,$name]}" -v kb="${M[$tool,$name]:-0}" -v st="$st" 'BEGIN {
				rate = (s > 0 && st == "ok") ? sprintf("%.1f", b / 1e6 / s) : "-"
				printf "%-9s %-22s %8.1f %9.3f %9s %8.1f  %s\n", tool, file, b / 1e6, s, rate, kb * 1024 / 1e6, st
			}'
		else
			printf '%-9s %-22s %8.1f %9s %9s %8s  %s\n' "$tool" "$name" "$(awk -v b="$bytes" 'BEGIN { print b / 1e6 }')" - - - "$st"
		fi
	done
done

# print_ratios prints, per file, each peer's time over bankfeed's.
print_ratios() {
	echo
	echo "bankfeed against each peer (peer seconds / bankfeed seconds; > is a lower bound, the peer timed out):"
	printf '%-22s' file
	for tool in "${peers[@]}"; do printf ' %12s' "$tool"; done
	echo
	for f in "${files[@]}"; do
		name=$(basename "$f")
		printf '%-22s' "$name"
		for tool in "${peers[@]}"; do
			b=${T[bankfeed,$name]:-} p=${T[$tool,$name]:-} st=${S[$tool,$name]}
			if [ "${S[bankfeed,$name]:-}" != ok ] || [ -z "$b" ]; then
				cell=-
			elif [ "$st" = ok ]; then
				cell=$(awk -v p="$p" -v b="$b" 'BEGIN { printf "%.1fx", p / (b > 0 ? b : 0.001) }')
			elif [ "$st" = timeout ]; then
				cell=$(awk -v p="$p" -v b="$b" 'BEGIN { printf ">%.0fx", p / (b > 0 ? b : 0.001) }')
			else
				cell=${st%% *}
			fi
			printf ' %12s' "$cell"
		done
		echo
	done
}

if [ ${#peers[@]} -gt 0 ]; then
	print_ratios
fi

if [[ " $SIZES " == *" 100000 "* ]] && [[ " $SIZES " == *" 1000000 "* ]]; then
	echo
	echo "bankfeed linearity (1M seconds / 100k seconds; linear is about 10, the bar is 11):"
	for kind in bank card; do
		for format in sgml xml; do
			ext=ofx
			[ "$format" = xml ] && [ "$kind" = card ] && ext=qfx
			a=${T[bankfeed,$kind-$format-100k.$ext]:-} c=${T[bankfeed,$kind-$format-1m.$ext]:-}
			if [ -n "$a" ] && [ -n "$c" ]; then
				awk -v a="$a" -v c="$c" -v n="$kind-$format" 'BEGIN { printf "  %-10s %.1f\n", n, c / (a > 0 ? a : 0.001) }'
			fi
		done
	done
fi

if [ "$IMPORT" = 1 ]; then
	# The SGML bank statement of the last size in SIZES: the 1M one by default.
	big=""
	for f in "${files[@]}"; do
		[[ $(basename "$f") == bank-sgml-* ]] && big=$f
	done
	data=$OUT/import-data
	rm -rf "$data"
	mkdir -p "$data"
	echo
	echo "bankfeed import $(basename "$big") into a fresh data directory, then the same file again:"
	for pass in "first (all new)" "second (all duplicates)"; do
		cmd=(bin/bankfeed import --data-dir "$data" "$big")
		out_file=$tmp/stdout
		measure
		awk -v p="$pass" -v s="$secs" -v kb="${peak_kb:-0}" -v st="$status" 'BEGIN {
			printf "  %-24s %8.3f s  peak %6.1f MB  %s\n", p, s, kb * 1024 / 1e6, st
		}'
		if [ "$status" != ok ]; then
			bankfeed_failed=1
			log "  $(head -c 300 "$err_file")"
			break
		fi
		tail -n 3 "$out_file" | sed 's/^/    /'
	done
	rm -rf "$data"
fi

exit "$bankfeed_failed"
