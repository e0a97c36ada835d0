#!/usr/bin/env bash
# bench/diagnose/side-by-side.sh: under the same bank faults, what other OFX
# tools tell the user next to what bankfeed diagnose says.
#
#   bench/diagnose/side-by-side.sh                            # every fault below
#   FAULTS="maintenance-503 lockout" bench/diagnose/side-by-side.sh
#   BANKFEED=/path/to/bankfeed bench/diagnose/side-by-side.sh # skip the build
#   KEEP=1 bench/diagnose/side-by-side.sh                     # keep the temporary directory
#
# It builds bankfeed, starts fakebank (bankfeed's bank simulator; its sample
# scenario, institution first-state, user alice) on 127.0.0.1 with free ports
# and a data directory of its own under a temporary directory, and sets up the
# peers once while no fault is on: python3-ofxclient (its configuration written
# through its own API by internal/cli/testdata/interop/ofxclient_setup.py) and
# ledger-autosync (on the same configuration). Then, first with no fault (to
# show what success looks like) and for each fault, one at a time (every fault
# cleared and the user unlocked in between):
#
#   - a fresh bankfeed data directory and "bankfeed connect" while no fault is on;
#   - the fault switched on (account-not-found for the checking account only);
#   - each peer downloads a statement: "ofxclient -d out.ofx --download-days 30",
#     "ledger-autosync -L"; what it prints (stdout and stderr) is cut down to
#     its last meaningful lines, a Python traceback to its last line;
#   - "bankfeed sync --connection alice" (a failure is expected), then
#     "bankfeed diagnose alice --json", from which class, title, steps[0],
#     next_retry_at and escalate are read.
#
# The user is unlocked before each tool's turn, so that one tool's bad
# sign-ons do not lock the next one out.
#
# The table goes to stdout and to bench/out/diagnose-side-by-side.md; progress
# goes to stderr. Every command runs under timeout: a peer PEER_TIMEOUT seconds
# (default 30), bankfeed sync and diagnose BF_TIMEOUT (default 20). For "hang"
# neither ofxclient (60 s, fixed in its code) nor bankfeed sync (60 s for the
# answer's headers) has a shorter timeout of its own, so both are stopped after
# HANG_WAIT seconds (default 10) and the table says so; bankfeed diagnose bounds
# its own probes (4.5 s).
#
# Needs: go, /usr/bin/python3, and python3-ofxclient and/or ledger-autosync
# (apt install python3-ofxclient ledger-autosync). Exit status: 0 when the
# table was written, 2 when no peer is installed, 1 on any other error.
set -euo pipefail

cd "$(dirname "$0")/../.."
PY=/usr/bin/python3
PEER_TIMEOUT=${PEER_TIMEOUT:-30}
BF_TIMEOUT=${BF_TIMEOUT:-20}
HANG_WAIT=${HANG_WAIT:-10}
FAULTS=${FAULTS:-"none maintenance-503 maintenance-page http-500 ofx-2000 accept-terms change-password bad-credentials lockout mfa account-not-found rate-limit-429 waf-403 tls-expired tls-untrusted truncated hang"}
OUT=bench/out
TABLE=$OUT/diagnose-side-by-side.md
INST=first-state # the sample scenario's institution, user and checking account
BANK_USER=alice
ACCOUNT=1001234567
CONN=alice # the bankfeed connection's name

log() { printf '%s\n' "$*" >&2; }
die() {
	log "side-by-side.sh: $*"
	exit 1
}

# The peers: Debian's python3-ofxclient (only /usr/bin/python3 sees it) and
# ledger-autosync, which is built on it (and needs ofxclient's setup here).
peers=()
if { dpkg -s python3-ofxclient >/dev/null 2>&1 || command -v ofxclient >/dev/null 2>&1; } &&
	[ -x "$PY" ] && "$PY" -c 'import ofxclient' >/dev/null 2>&1; then
	peers+=(ofxclient)
	command -v ledger-autosync >/dev/null 2>&1 && peers+=(ledger-autosync)
fi
if [ ${#peers[@]} = 0 ]; then
	echo "missing: python3-ofxclient and ledger-autosync (apt install python3-ofxclient ledger-autosync)"
	exit 2
fi
pkgver() { dpkg-query -W -f='${Version}' "$1" 2>/dev/null || echo "not from a Debian package"; }

TMP=$(mktemp -d "${TMPDIR:-/tmp}/bankfeed-side-by-side.XXXXXX")
fb_pid=""
cleanup() {
	if [ -n "$fb_pid" ]; then
		kill "$fb_pid" 2>/dev/null || true
		wait "$fb_pid" 2>/dev/null || true
	fi
	if [ "${KEEP:-0}" = 1 ]; then
		log "kept $TMP"
	else
		rm -rf "$TMP"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if [ -n "${BANKFEED:-}" ]; then
	BF=$BANKFEED
else
	log "building bankfeed"
	go build -o "$TMP/bankfeed" ./cmd/bankfeed
	BF=$TMP/bankfeed
fi

# Nothing leaves 127.0.0.1: no webhook, no second host to check, no proxy.
unset BANKFEED_KEY BANKFEED_WEBHOOK_URL BANKFEED_WEBHOOK_SECRET BANKFEED_CHECK_HOST LEDGER_FILE
export NO_PROXY=127.0.0.1,localhost no_proxy=127.0.0.1,localhost

log "starting fakebank"
mkdir -p "$TMP/fakebank"
"$BF" --data-dir "$TMP/fakebank" fakebank --host 127.0.0.1 --port 0 --json --quiet \
	>"$TMP/fakebank.json" 2>"$TMP/fakebank.log" &
fb_pid=$!
for _ in $(seq 100); do
	[ -s "$TMP/fakebank.json" ] && break
	kill -0 "$fb_pid" 2>/dev/null || { cat "$TMP/fakebank.log" >&2; die "fakebank did not start"; }
	sleep 0.1
done
[ -s "$TMP/fakebank.json" ] || die "fakebank did not say it was ready within 10 s"

read -r ADMIN CA OFX_URL PORTAL ORG FID < <("$PY" - "$TMP/fakebank.json" "$INST" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
i = next(i for i in d["institutions"] if i["id"] == sys.argv[2])
print(d["admin_url"], d["ca_file"], i["ofx_url"], i["portal_url"], i["org"], i["fid"])
EOF
) || die "could not read fakebank's addresses from $TMP/fakebank.json"
# The sample scenario's demo password (the --json listing leaves passwords out).
PASSWORD=$("$BF" fakebank sample | "$PY" -c '
import json, sys
d = json.load(sys.stdin)
i = next(i for i in d["institutions"] if i["id"] == sys.argv[1])
print(next(u for u in i["users"] if u["id"] == sys.argv[2])["password"])' "$INST" "$BANK_USER")
export BANKFEED_FAKEBANK_ADMIN=$ADMIN SBS_MASK=$PASSWORD

(
	umask 077
	printf '%s\n' "$PASSWORD" >"$TMP/password"
	head -c 32 /dev/urandom | base64 >"$TMP/key"
)
export BANKFEED_KEY_FILE=$TMP/key

# fb runs a fakebank admin command.
fb() { timeout 10 "$BF" fakebank "$@" >/dev/null; }

# peer_env runs a command as the peers run: the fakebank CA trusted, the
# password kept in the configuration file, a home of their own.
mkdir -p "$TMP/home"
peer_env() {
	env HOME="$TMP/home" SSL_CERT_FILE="$CA" PYTHON_KEYRING_BACKEND=keyring.backends.fail.Keyring "$@"
}
if command -v ofxclient >/dev/null 2>&1; then
	ofxclient_cmd=(ofxclient)
else
	ofxclient_cmd=("$PY" -c 'import sys; from ofxclient.cli import run; sys.argv[0] = "ofxclient"; sys.exit(run())')
fi

# The cells of the table: cell.py peer|verdict ... prints one line.
cat >"$TMP/cell.py" <<'EOF'
import datetime, json, os, re, sys

LIMIT = 160
MASK = os.environ.get("SBS_MASK", "")


def read(path):
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.read()
    except FileNotFoundError:
        return ""


def clean(s):
    if MASK:
        s = s.replace(MASK, "****")
    return " ".join(s.split()).replace("|", "\\|")


def cut(s, n=LIMIT):
    return s if len(s) <= n else s[: n - 1] + "…"


def meaningful(text):
    """The lines a user reads: each Python traceback cut to its last line,
    ledger-autosync's notice about -L and its "Caught exception processing"
    lines (the exception that follows names the account) left out."""
    out, in_tb = [], False
    for line in text.splitlines():
        s = line.rstrip()
        if not s.strip():
            continue
        if s.startswith("Traceback (most recent call last)"):
            in_tb = True
            continue
        if in_tb:
            if s[0].isspace() or set(s.strip()) <= set("^~ "):
                continue
            in_tb = False
        if s.startswith(("During handling of the above exception",
                         "The above exception was the direct cause",
                         "LEDGER_FILE environment variable not set",
                         "Caught exception processing")):
            continue
        s = clean(s)
        if not out or out[-1] != s:
            out.append(s)
    return out


def last_lines(lines):
    """The last lines, as many as fit in LIMIT characters joined by " / "."""
    if not lines:
        return ""
    msg = cut(lines[-1])
    for s in reversed(lines[:-1]):
        if len(s) + 3 + len(msg) > LIMIT:
            break
        msg = s + " / " + msg
    return msg


def ofx_file(path):
    data = read(path)
    if not data.strip():
        return "out.ofx empty"
    n = len(re.findall(r"<STMTTRN>", data, re.I))
    facts = ["%d transaction%s" % (n, "" if n == 1 else "s")]
    bad = []
    for block in re.findall(r"<STATUS>(.*?)(?:</STATUS>|$)", data, re.I | re.S):
        code = re.search(r"<CODE>\s*(\d+)", block, re.I)
        if code and code.group(1) != "0":
            m = re.search(r"<MESSAGE>([^<\r\n]*)", block, re.I)
            bad.append((code.group(1), m.group(1).strip() if m else ""))
    if bad:
        code, m = bad[0]
        facts.append("STATUS %s%s" % (code, ' "%s"' % cut(clean(m), 80) if m else ""))
        if len(bad) > 1:
            facts[-1] += " (+%d more)" % (len(bad) - 1)
    if not re.search(r"</OFX>\s*$", data, re.I):
        facts.append("no </OFX> at its end")
    return "out.ofx: " + ", ".join(facts)


def peer(name, rc, messages, data, waited):
    """messages: what the peer printed for the user to read; data: what it
    saved (ofxclient's out.ofx) or printed as its result (ledger-autosync's
    ledger entries)."""
    rc = int(rc)
    msg = last_lines(meaningful(read(messages)))
    facts = []
    if rc == 124:
        msg = msg or "(nothing: still waiting after %s s, then stopped)" % waited
    else:
        msg = msg or "(prints nothing)"
        facts.append("exit %d" % rc)
    if name == "ofxclient":
        facts.append(ofx_file(data))
    else:
        n = len(re.findall(r"^\d{4}/\d\d/\d\d ", read(data), re.M))
        facts.append("%d transaction%s printed" % (n, "" if n == 1 else "s"))
    return "%s [%s]" % (msg, "; ".join(facts))


def when(ts):
    if not ts:
        return "no automatic retry (waits for you)"
    t = datetime.datetime.fromisoformat(ts.replace("Z", "+00:00"))
    secs = (t - datetime.datetime.now(datetime.timezone.utc)).total_seconds()
    if secs < 90:
        rel = "%d s" % max(0, round(secs))
    elif secs < 90 * 60:
        rel = "%d min" % round(secs / 60)
    elif secs < 48 * 3600:
        rel = "%d h" % round(secs / 3600)
    else:
        rel = "%d days" % round(secs / 86400)
    return "next retry in %s (%s UTC)" % (rel, t.astimezone(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M"))


def verdict(fault, rc, out, err, sync_rc, waited):
    rc, sync_rc = int(rc), int(sync_rc)
    pre = ""
    if sync_rc == 124:
        pre = "(sync still waiting after %s s, stopped) " % waited
    elif sync_rc == 0 and fault != "none":
        pre = "(sync exit 0) "
    both = read(out) + read(err)
    if 'unknown command "diagnose"' in both:
        return pre + "(bankfeed diagnose not available)"
    if rc == 124:
        return pre + "(bankfeed diagnose still running after its timeout)"
    try:
        v = json.loads(read(out))
    except ValueError:
        return pre + "(bankfeed diagnose failed, exit %d: %s)" % (rc, last_lines(meaningful(both)) or "no output")
    steps = v.get("steps") or []
    step = steps[0] if steps else "(no step)"
    if step.endswith(".") and not step.endswith(".."):
        step = step[:-1]
    cell = "%s — %s; %s; %s" % (v.get("class", "?"), v.get("title", "?"), step, when(v.get("next_retry_at")))
    if v.get("escalate"):
        cell += "; escalate"
    return pre + clean(cell)


if __name__ == "__main__":
    kind, args = sys.argv[1], sys.argv[2:]
    print(peer(*args) if kind == "peer" else verdict(*args))
EOF
cell() { "$PY" "$TMP/cell.py" "$@"; }
# mask copies stdin to stdout with the password masked.
mask() { "$PY" -c 'import os, sys; sys.stdout.write(sys.stdin.read().replace(os.environ["SBS_MASK"], "****"))'; }

# bankfeed diagnose may be missing from an older bankfeed: then its column
# says so. Asked in an empty data directory, so it touches nothing.
diag=1
probe=$(timeout 10 "$BF" --data-dir "$TMP/empty" diagnose 2>&1 </dev/null) || true
if [[ $probe == *"unknown command"* ]]; then
	diag=0
	log "bankfeed diagnose is not available in this bankfeed: its column will say so"
fi

log "setting up ${peers[*]} (ofxclient's configuration, through its own API)"
if ! peer_env timeout "$PEER_TIMEOUT" "$PY" internal/cli/testdata/interop/ofxclient_setup.py \
	"$OFX_URL" "$TMP/home/ofxclient.ini" "$FID" "$ORG" "$BANK_USER" "$PASSWORD" >"$TMP/setup.log" 2>&1; then
	mask <"$TMP/setup.log" >&2
	die "ofxclient_setup.py failed"
fi

# run_peer NAME DIR WAIT: one download; prints the cell.
run_peer() {
	local name=$1 dir=$2 wait=$3 rc=0
	case $name in
	ofxclient)
		# ofxclient prints nothing of its own: what the bank answered is in out.ofx.
		peer_env timeout -k 5 "$wait" "${ofxclient_cmd[@]}" -c "$TMP/home/ofxclient.ini" \
			-d "$dir/out.ofx" --download-days 30 >"$dir/ofxclient.log" 2>&1 </dev/null || rc=$?
		cell peer "$name" "$rc" "$dir/ofxclient.log" "$dir/out.ofx" "$wait"
		;;
	ledger-autosync)
		# Its stdout is the ledger entries, its stderr the messages.
		peer_env timeout -k 5 "$wait" ledger-autosync -o "$TMP/home/ofxclient.ini" -L \
			>"$dir/ledger.out" 2>"$dir/ledger.err" </dev/null || rc=$?
		cell peer "$name" "$rc" "$dir/ledger.err" "$dir/ledger.out" "$wait"
		;;
	esac
}

header="| fault |"
rule="|---|"
for p in "${peers[@]}"; do
	header+=" what $p tells the user |"
	rule+="---|"
done
header+=" bankfeed's verdict (class — title; first step; next retry) |"
rule+="---|"
rows=()

for kind in $FAULTS; do
	dir=$TMP/runs/$kind
	mkdir -p "$dir"
	export BANKFEED_DATA_DIR=$dir/bankfeed
	fb fault clear
	fb unlock "$INST" "$BANK_USER"
	log "$kind: bankfeed connect (no fault on yet)"
	rc=0
	timeout -k 5 "$BF_TIMEOUT" "$BF" connect "$CONN" --url "$OFX_URL" --org "$ORG" --fid "$FID" \
		--user "$BANK_USER" --password-file "$TMP/password" --ca-file "$CA" --portal "$PORTAL" \
		>"$dir/connect.log" 2>&1 </dev/null || rc=$?
	[ "$rc" = 0 ] || { mask <"$dir/connect.log" >&2; die "bankfeed connect failed (exit $rc)"; }

	row="| \`$kind\` |"
	if [ "$kind" = none ]; then
		row="| (no fault) |"
	else
		scope=()
		[ "$kind" = account-not-found ] && scope=(--account "$ACCOUNT")
		if ! fb fault add "$kind" --institution "$INST" "${scope[@]}"; then
			log "$kind: this fakebank does not know the fault; skipped"
			row+=" (this fakebank does not know the fault) |"
			for _ in "${peers[@]}"; do row+=" |"; done
			rows+=("$row")
			continue
		fi
	fi
	wait_peer=$PEER_TIMEOUT wait_sync=$BF_TIMEOUT
	if [ "$kind" = hang ]; then
		wait_peer=$HANG_WAIT wait_sync=$HANG_WAIT
	fi

	for p in "${peers[@]}"; do
		log "$kind: $p"
		fb unlock "$INST" "$BANK_USER"
		row+=" $(run_peer "$p" "$dir" "$wait_peer") |"
	done

	log "$kind: bankfeed sync, bankfeed diagnose"
	fb unlock "$INST" "$BANK_USER"
	sync_rc=0
	timeout -k 5 "$wait_sync" "$BF" sync --connection "$CONN" >"$dir/sync.log" 2>&1 </dev/null || sync_rc=$?
	diag_rc=0
	if [ "$diag" = 1 ]; then
		timeout -k 5 "$BF_TIMEOUT" "$BF" diagnose "$CONN" --json >"$dir/diagnose.json" 2>"$dir/diagnose.err" </dev/null || diag_rc=$?
	else
		echo 'unknown command "diagnose"' >"$dir/diagnose.err"
	fi
	row+=" $(cell verdict "$kind" "$diag_rc" "$dir/diagnose.json" "$dir/diagnose.err" "$sync_rc" "$wait_sync") |"
	rows+=("$row")
done
fb fault clear

mkdir -p "$OUT"
{
	echo "Peers: python3-ofxclient $(pkgver python3-ofxclient), ledger-autosync $(pkgver ledger-autosync) (of these, run: ${peers[*]})."
	echo "Bank: fakebank's sample scenario, $INST, user $BANK_USER; one fault at a time. In brackets: a peer's exit status and what it saved or printed as its result."
	echo
	echo "$header"
	echo "$rule"
	printf '%s\n' "${rows[@]}"
} | tee "$TABLE"
log "written to $TABLE"
