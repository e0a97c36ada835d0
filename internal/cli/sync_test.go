package cli

import (
	"bufio"
	"encoding/json"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/bankfeed/bankfeed"
	"github.com/bankfeed/bankfeed/internal/fakebank"
)

// syncJSONLines runs sync --json and reads its lines.
func (b *bankEnv) syncJSON(wantCode int, args ...string) []syncJSON {
	b.t.Helper()
	code, out, errOut := b.run("", append([]string{"sync", "--json"}, args...)...)
	if code != wantCode {
		b.t.Fatalf("sync --json: exit %d, want %d\n%s%s", code, wantCode, out, errOut)
	}
	var res []syncJSON
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var j syncJSON
		if err := json.Unmarshal(sc.Bytes(), &j); err != nil {
			b.t.Fatalf("sync --json line %q: %v", sc.Text(), err)
		}
		res = append(res, j)
	}
	return res
}

func TestSyncAndRuns(t *testing.T) {
	b := newBankEnv(t)
	b.connect("maple", fakebank.DemoHealthy)
	code, out, errOut := b.run("", "sync")
	if code != 0 {
		t.Fatalf("sync: exit %d\n%s%s", code, out, errOut)
	}
	// Not a terminal: a line per step on stderr.
	if !strings.Contains(errOut, "maple 2200113344: asking the bank") || !strings.Contains(errOut, "maple 2200113344: done: ") {
		t.Errorf("progress lines:\n%s", errOut)
	}
	if !strings.Contains(out, "CONNECTION") || strings.Count(out, "  ok  ") != 3 {
		t.Errorf("summary:\n%s", out)
	}

	res := b.syncJSON(0)
	if len(res) != 1 || len(res[0].Accounts) != 3 {
		t.Fatalf("sync --json: %+v", res)
	}
	for _, a := range res[0].Accounts {
		if a.Outcome != "ok" || a.Run == nil || a.Run.New != 0 || a.Run.Trigger != bankfeed.TriggerManual {
			t.Errorf("second sync of %s: %+v %+v", a.Number, a, a.Run)
		}
	}

	out = b.must("runs", "--connection", "maple")
	if strings.Count(out, " manual ") != 6 {
		t.Errorf("runs:\n%s", out)
	}
	out = b.must("runs", "--account", "2200113344", "--limit", "1")
	if lines := strings.Split(strings.TrimSpace(out), "\n"); len(lines) != 2 {
		t.Errorf("runs --limit 1:\n%s", out)
	}
	id := res[0].Accounts[0].Run.ID
	out = b.must("runs", "show", itoa(int64(id)))
	for _, want := range []string{"Run " + itoa(int64(id)) + ": ok", "--- request", "<USERPASS>[redacted]", "--- answer: HTTP 200 OK",
		"(not kept: the answer was imported", "window"} {
		if !strings.Contains(out, want) {
			t.Errorf("runs show lacks %q:\n%.3000s", want, out)
		}
	}
	out = b.must("runs", "show", itoa(int64(id)), "--json")
	var show runShowJSON
	if err := json.Unmarshal([]byte(out), &show); err != nil || len(show.Transcript) != 1 || show.Connection != "maple" {
		t.Fatalf("runs show --json: %v %+v", err, show)
	}
	if code, _, errOut := b.run("", "runs", "show", "9999"); code != exitFailure || !strings.Contains(errOut, "no sync run 9999") {
		t.Errorf("runs show 9999: exit %d %q", code, errOut)
	}
	if code, _, _ := b.run("", "runs", "show", "x"); code != exitUsage {
		t.Errorf("runs show x: exit %d", code)
	}
}

// TestSyncTrouble follows the demo's story through the commands: a bank
// in maintenance and one that wants its terms accepted, then the user
// acting.
func TestSyncTrouble(t *testing.T) {
	b := newBankEnv(t)
	b.connect("maple", fakebank.DemoHealthy)
	b.connect("harbor", fakebank.DemoMaintenance)
	b.connect("summit", fakebank.DemoTerms)
	b.must("sync")
	b.addDemoFaults()

	code, out, errOut := b.run("", "sync")
	if code != exitFailure || !strings.Contains(errOut, "2 of 3 connections did not sync fully") {
		t.Fatalf("sync in trouble: exit %d\n%s%s", code, out, errOut)
	}
	for _, want := range []string{"bank.maintenance", "bank.action_required", "when you act",
		"harbor at Harbor Credit Union: waiting for bank", "when the bank said it would be back",
		"summit at Summit Card Services: needs your action", "log in at " + b.srv.PortalURL(fakebank.DemoTerms)} {
		if !strings.Contains(out, want) {
			t.Errorf("sync output lacks %q:\n%s", want, out)
		}
	}

	out = b.must("status")
	golden(t, "status-trouble.golden", out)
	if !strings.Contains(out, "Harbor Credit Union (FID 31337): circuit open since") {
		t.Errorf("no open circuit on the institution line:\n%s", out)
	}
	code, out, _ = b.run("", "status", "--json")
	var board struct {
		Institutions []struct {
			Institution struct{ Name string }
			Circuit     *bankfeed.Circuit
			Connections []struct {
				Name     string
				State    bankfeed.ConnectionState
				Accounts []struct{ State bankfeed.ConnectionState }
			}
		}
	}
	if err := json.Unmarshal([]byte(out), &board); err != nil || code != 0 || len(board.Institutions) != 3 {
		t.Fatalf("status --json: exit %d %v\n%s", code, err, out)
	}
	states := map[string]bankfeed.ConnectionState{}
	for _, in := range board.Institutions {
		for _, c := range in.Connections {
			states[c.Name] = c.State
		}
		if in.Institution.Name == "Harbor Credit Union" && (in.Circuit == nil || !in.Circuit.Open) {
			t.Errorf("harbor's circuit: %+v", in.Circuit)
		}
	}
	want := map[string]bankfeed.ConnectionState{"maple": bankfeed.ConnOK, "harbor": bankfeed.ConnWaitingForBank,
		"summit": bankfeed.ConnNeedsAction}
	for name, s := range want {
		if states[name] != s {
			t.Errorf("%s: state %s, want %s", name, states[name], s)
		}
	}
	golden(t, "connections-trouble.golden", b.must("connections"))

	// A plain sync leaves summit to its user, and says how.
	code, out, _ = b.run("", "sync")
	if code != exitFailure || !strings.Contains(out, "Waiting for you, so not synced") ||
		!strings.Contains(out, "bankfeed connection resume summit") || strings.Contains(out, "summit      5500") {
		t.Errorf("sync with summit waiting:\n%s", out)
	}
	res := b.syncJSON(exitFailure)
	var summit *syncJSON
	for i := range res {
		if res[i].Connection == "summit" {
			summit = &res[i]
		}
	}
	if summit == nil || summit.Synced || !strings.HasPrefix(summit.Skipped, "waiting for you") {
		t.Fatalf("summit in sync --json: %+v", summit)
	}

	// The user accepts the terms and says so.
	b.acceptTerms(fakebank.DemoTerms)
	out = b.must("connection", "resume", "summit")
	if !strings.Contains(out, "Resumed summit") {
		t.Errorf("resume: %s", out)
	}
	out = b.must("sync", "--connection", "summit")
	if !regexp.MustCompile(`summit +5500998877665544 Summit Platinum Mastercard +ok`).MatchString(out) {
		t.Errorf("summit after resume:\n%s", out)
	}
	// Harbor, synced by hand, probes the bank, which is still down, and
	// warns first that the bank asked to wait.
	code, out, _ = b.run("", "sync", "--connection", "harbor")
	if code != exitFailure || !strings.Contains(out, "Warning, harbor: the bank asked to wait until") {
		t.Errorf("harbor by hand: exit %d\n%s", code, out)
	}
}

func TestConnectionLifecycle(t *testing.T) {
	b := newBankEnv(t)
	b.connect("maple", fakebank.DemoHealthy)
	first := b.syncJSON(0)
	lines := 0
	for _, a := range first[0].Accounts {
		lines += a.Run.New
	}
	if lines == 0 {
		t.Fatal("the first sync added no line")
	}

	b.must("connection", "disable", "maple")
	out := b.must("sync")
	if !strings.Contains(out, "1 disabled connection not synced") {
		t.Errorf("sync with maple disabled:\n%s", out)
	}
	if code, _, errOut := b.run("", "sync", "--connection", "maple"); code != exitFailure || !strings.Contains(errOut, "is disabled") {
		t.Errorf("sync --connection of a disabled one: exit %d %q", code, errOut)
	}
	if out := b.must("status"); !strings.Contains(out, "none (disabled)") {
		t.Errorf("status of a disabled connection:\n%s", out)
	}
	b.must("connection", "enable", "maple")

	// Reset: the accounts are listed again, the same feeds continue, and
	// the 90 days asked for again add nothing.
	out = b.must("connection", "reset", "maple")
	if !strings.Contains(out, "continues the same 3 feeds") {
		t.Errorf("reset: %s", out)
	}
	again := b.syncJSON(0)
	for _, a := range again[0].Accounts {
		if a.Run == nil || a.Run.New != 0 || a.AccountID != first[0].Accounts[0].AccountID &&
			a.AccountID != first[0].Accounts[1].AccountID && a.AccountID != first[0].Accounts[2].AccountID {
			t.Errorf("after reset: %+v %+v", a, a.Run)
		}
	}

	// A wrong password: the bank rejects it once, and it waits for the user.
	b.must("connection", "password", "maple", "--password-file", b.passwordFile("wrong-password-here"))
	code, out, _ := b.run("", "sync")
	if code != exitFailure || !strings.Contains(out, "auth.invalid_credentials") ||
		!strings.Contains(out, "bankfeed connection password maple") {
		t.Errorf("sync with a wrong password: exit %d\n%s", code, out)
	}
	out = b.must("sync")
	if !strings.Contains(out, "Waiting for you") || !strings.Contains(out, "the bank rejected the user ID or password") {
		t.Errorf("plain sync after a rejection:\n%s", out)
	}
	code, out, _ = b.run("", "sync", "--connection", "maple")
	if code != exitFailure || !strings.Contains(out, "Warning, maple: the bank rejected the password") {
		t.Errorf("sync --connection after a rejection: exit %d\n%s", code, out)
	}
	code, _, errOut := b.run(pwMaple+"\n", "connection", "password", "maple", "--password-file", "-")
	if code != 0 {
		t.Fatalf("password from stdin: exit %d %s", code, errOut)
	}
	b.must("sync", "--connection", "maple")

	// runs show never holds the password.
	for _, r := range b.syncJSON(0)[0].Accounts {
		out := b.must("runs", "show", itoa(int64(r.Run.ID)))
		if strings.Contains(out, "Tr0ub4dor") || !strings.Contains(out, "[redacted]") {
			t.Fatalf("runs show %d:\n%s", r.Run.ID, out)
		}
	}

	out = b.must("connection", "remove", "maple")
	if !strings.Contains(out, "Its 3 feed accounts and their lines stay") {
		t.Errorf("remove: %s", out)
	}
	if out := b.must("connections"); !strings.Contains(out, "No connections") {
		t.Errorf("connections after remove:\n%s", out)
	}
	if out := b.must("accounts"); strings.Count(out, "Maple Street Bank") != 3 {
		t.Errorf("accounts after remove:\n%s", out)
	}
	// The runs stay, no longer tied to a connection.
	if out := b.must("runs", "--limit", "0"); strings.Count(out, " manual ") < 10 || strings.Contains(out, "maple") {
		t.Errorf("runs after remove:\n%s", out)
	}
	if code, _, errOut := b.run("", "connection", "resume", "maple"); code != exitFailure || !strings.Contains(errOut, `no connection "maple"`) {
		t.Errorf("resume a removed connection: exit %d %q", code, errOut)
	}
}

func TestSyncNothing(t *testing.T) {
	b := newBankEnv(t)
	if out := b.must("sync"); !strings.Contains(out, "No connections yet") {
		t.Errorf("sync: %s", out)
	}
	if out := b.must("status"); !strings.Contains(out, "No connections yet") {
		t.Errorf("status: %s", out)
	}
	if out := b.must("runs"); !strings.Contains(out, "No sync runs yet") {
		t.Errorf("runs: %s", out)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
