package cli

import (
	"bytes"
	"crypto/tls"
	"encoding/json"
	"flag"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/bankfeed/bankfeed/internal/fakebank"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/demo")

// Passwords with characters that OFX, XML and JSON escape, so that their
// redaction is tested in every form they take.
const (
	pwMaple  = `Tr0ub4dor&3<x>"q"`
	pwHarbor = "harbor-lantern-'quote'-99"
	pwSummit = "summit-granite-pass-77"
)

// bankEnv is fakebank serving the demo scenario on 127.0.0.1, with a data
// directory and a key of its own.
type bankEnv struct {
	t      *testing.T
	srv    *fakebank.Server
	dir    string // the data directory
	caFile string
	tmp    string
}

func newBankEnv(t *testing.T) *bankEnv {
	t.Helper()
	sc, err := fakebank.ParseScenario(bytes.NewReader(fakebank.DemoScenario()))
	if err != nil {
		t.Fatal(err)
	}
	for id, pw := range map[string]string{fakebank.DemoHealthy: pwMaple, fakebank.DemoMaintenance: pwHarbor, fakebank.DemoTerms: pwSummit} {
		sc.Institution(id).Users[0].Password = pw
	}
	srv, err := fakebank.Start(sc, fakebank.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	tmp := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(tmp, "config"))
	t.Setenv("HOME", tmp)
	t.Setenv("BANKFEED_KEY", "")
	t.Setenv("BANKFEED_KEY_FILE", "")
	t.Setenv("BANKFEED_DATA_DIR", "")
	b := &bankEnv{t: t, srv: srv, dir: filepath.Join(tmp, "data"), caFile: filepath.Join(tmp, "ca.pem"), tmp: tmp}
	if err := os.WriteFile(b.caFile, srv.CACertPEM(), 0o644); err != nil {
		t.Fatal(err)
	}
	return b
}

// run runs bankfeed on the environment's data directory.
func (b *bankEnv) run(stdin string, args ...string) (int, string, string) {
	b.t.Helper()
	code, out, errOut := run(b.t, stdin, append([]string{"--data-dir", b.dir}, args...)...)
	for _, pw := range []string{pwMaple, pwHarbor, pwSummit} {
		if strings.Contains(out, pw) || strings.Contains(errOut, pw) {
			b.t.Fatalf("bankfeed %s printed a password:\n%s\n%s", strings.Join(args, " "), out, errOut)
		}
	}
	return code, out, errOut
}

// must runs bankfeed and fails the test unless it exits 0.
func (b *bankEnv) must(args ...string) string {
	b.t.Helper()
	code, out, errOut := b.run("", args...)
	if code != 0 {
		b.t.Fatalf("bankfeed %s: exit %d\n%s\n%s", strings.Join(args, " "), code, out, errOut)
	}
	return out
}

// connectArgs are the arguments of connect for the institution's login.
func (b *bankEnv) connectArgs(name, inst string) []string {
	in := b.srv.Scenario().Institution(inst)
	return []string{"connect", name, "--url", b.srv.OFXURL(inst), "--org", in.Org, "--fid", in.FID,
		"--bank-id", in.BankID, "--ofx-version", in.Version, "--ca-file", b.caFile, "--portal", b.srv.PortalURL(inst),
		"--user", in.Users[0].ID}
}

// passwordFile writes a password file with a line end after the password.
func (b *bankEnv) passwordFile(pw string) string {
	b.t.Helper()
	f, err := os.CreateTemp(b.tmp, "pw-*")
	if err != nil {
		b.t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(pw + "\n"); err != nil {
		b.t.Fatal(err)
	}
	return f.Name()
}

// connect connects the institution's login with its password.
func (b *bankEnv) connect(name, inst string) string {
	b.t.Helper()
	pw := b.srv.Scenario().Institution(inst).Users[0].Password
	return b.must(append(b.connectArgs(name, inst), "--password-file", b.passwordFile(pw))...)
}

// acceptTerms accepts an institution's new terms in its portal, as its user.
func (b *bankEnv) acceptTerms(inst string) {
	b.t.Helper()
	u := b.srv.Scenario().Institution(inst).Users[0]
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: b.srv.CertPool()}}}
	defer hc.CloseIdleConnections()
	resp, err := hc.PostForm(b.srv.PortalURL(inst)+"terms/accept", url.Values{"userid": {u.ID}, "password": {u.Password}})
	if err != nil {
		b.t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b.t.Fatalf("accept terms: HTTP %d", resp.StatusCode)
	}
}

// masks make output that holds times, ports, ids and counts comparable.
var masks = []struct {
	re   *regexp.Regexp
	with string
}{
	{regexp.MustCompile(`127\.0\.0\.1:\d+`), "127.0.0.1:PORT"},
	{regexp.MustCompile(`\d{4}-\d\d-\d\dT[\d:.]+Z`), "TIMESTAMP"},
	{regexp.MustCompile(`in \d+ (s|min|h|days)( \d+ min)? \([^)]*\)`), "in TIME"},
	{regexp.MustCompile(`\d+ (s|min|h|days)( \d+ min)? ago`), "TIME ago"},
	{regexp.MustCompile(`\b((Mon|Tue|Wed|Thu|Fri|Sat|Sun)[a-z]* )?\d\d:\d\d( [A-Z]{3,4})?\b`), "HH:MM"},
	{regexp.MustCompile(`runs show \d+`), "runs show ID"},
	{regexp.MustCompile(`\b\d+ (lines?|new|duplicates?)\b`), "N $1"},
	// Columns of counts, after a last success.
	{regexp.MustCompile(`(just now|ago|never)( +)\d+`), "${1}${2}N"},
	// Table columns pad to the widest cell, which masks change.
	{regexp.MustCompile(`(\S) {2,}`), "$1  "},
}

func mask(s string) string {
	for _, m := range masks {
		s = m.re.ReplaceAllString(s, m.with)
	}
	return s
}

// golden compares got, masked, with testdata/demo/name; -update rewrites it.
func golden(t *testing.T, name, got string) {
	t.Helper()
	got = mask(got)
	path := filepath.Join("testdata", "demo", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test -update writes it)", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s differs (-want +got):\n%s", name, diff)
	}
}

func TestConnect(t *testing.T) {
	b := newBankEnv(t)
	out := b.connect("maple", fakebank.DemoHealthy)
	golden(t, "connect.golden", out)
	for _, want := range []string{"2200113344", "2200998877", "4000123412341234", "account 1, new"} {
		if !strings.Contains(out, want) {
			t.Errorf("connect output lacks %q:\n%s", want, out)
		}
	}
	// The name is taken: said before any password is read.
	code, _, errOut := b.run("", b.connectArgs("maple", fakebank.DemoHealthy)...)
	if code != exitFailure || !strings.Contains(errOut, `a connection named "maple" exists already`) {
		t.Fatalf("second connect: exit %d %s", code, errOut)
	}
}

func TestConnectJSON(t *testing.T) {
	b := newBankEnv(t)
	args := append(b.connectArgs("maple", fakebank.DemoHealthy), "--password-file", "-", "--json")
	code, out, errOut := b.run(pwMaple+"\n", args...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var j connectJSON
	if err := json.Unmarshal([]byte(out), &j); err != nil {
		t.Fatalf("%v:\n%s", err, out)
	}
	if !j.Saved || len(j.Accounts) != 3 || j.Exchange == nil || !strings.Contains(j.Exchange.RequestBody, "<USERPASS>[redacted]") {
		t.Fatalf("connect --json: %+v", j)
	}
}

func TestConnectRefusesPasswordFlag(t *testing.T) {
	b := newBankEnv(t)
	const secretValue = "hunter2-on-the-command-line"
	for _, args := range [][]string{
		append(b.connectArgs("maple", fakebank.DemoHealthy), "--password", secretValue),
		append(b.connectArgs("maple", fakebank.DemoHealthy), "--password="+secretValue),
		{"connection", "password", "maple", "--password", secretValue},
		{"connection", "reset", "maple", "--password=" + secretValue},
	} {
		code, out, errOut := b.run("", args...)
		if code != exitUsage || !strings.Contains(errOut, "--password-file") {
			t.Errorf("%s: exit %d, %q", args[0], code, errOut)
		}
		if strings.Contains(out+errOut, secretValue) {
			t.Errorf("%s: the password was echoed: %q %q", args[0], out, errOut)
		}
	}
	if out := b.must("connections"); !strings.Contains(out, "No connections") {
		t.Fatalf("a connection was made:\n%s", out)
	}
}

func TestConnectRejectedPasswordSavesNothing(t *testing.T) {
	b := newBankEnv(t)
	args := append(b.connectArgs("maple", fakebank.DemoHealthy), "--password-file", b.passwordFile("not-the-password"))
	code, out, errOut := b.run("", args...)
	if code != exitFailure {
		t.Fatalf("exit %d, want %d:\n%s%s", code, exitFailure, out, errOut)
	}
	for _, want := range []string{"Not connected: the bank rejected the user ID or password", "Nothing was saved",
		"never retries a rejected password"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if !strings.Contains(errOut, "nothing was saved") {
		t.Errorf("stderr: %q", errOut)
	}
	if out := b.must("connections"); !strings.Contains(out, "No connections") {
		t.Fatalf("a rejected password was kept:\n%s", out)
	}
}

func TestConnectSavesWhenTheBankIsDown(t *testing.T) {
	b := newBankEnv(t)
	b.addDemoFaults()
	args := append(b.connectArgs("harbor", fakebank.DemoMaintenance), "--password-file", b.passwordFile(pwHarbor))
	code, out, _ := b.run("", args...)
	if code != exitFailure {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	golden(t, "connect-maintenance.golden", out)
	if out := b.must("connections"); !strings.Contains(out, "waiting for bank") || !strings.Contains(out, "none listed yet") {
		t.Fatalf("connections:\n%s", out)
	}
	// The first sync tries to list the accounts again; the bank is still
	// down.
	code, out, _ = b.run("", "sync")
	if code != exitFailure || !strings.Contains(out, "harbor      -        not synced: the bank is down for maintenance") ||
		!strings.Contains(out, "What happened: the bank is down for maintenance") {
		t.Fatalf("sync with no accounts listed: exit %d\n%s", code, out)
	}
	if out := b.must("status"); !strings.Contains(out, "no accounts listed yet") {
		t.Fatalf("status:\n%s", out)
	}
}

func TestConnectPasswordSources(t *testing.T) {
	tests := []struct {
		name  string
		stdin string
		flags []string
		code  int
		says  string
	}{
		{name: "standard input as a file", stdin: pwMaple + "\r\n", flags: []string{"--password-file", "-"}},
		{name: "standard input not a terminal", stdin: pwMaple + "\nignored\n"},
		{name: "empty", stdin: "\n", code: exitFailure, says: "empty password"},
		{name: "missing file", flags: []string{"--password-file", "/nonexistent/pw"}, code: exitFailure, says: "--password-file"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := newBankEnv(t)
			code, out, errOut := b.run(tc.stdin, append(b.connectArgs("maple", fakebank.DemoHealthy), tc.flags...)...)
			if code != tc.code || !strings.Contains(errOut, tc.says) {
				t.Fatalf("exit %d, want %d saying %q:\n%s%s", code, tc.code, tc.says, out, errOut)
			}
		})
	}
}

func TestConnectLinksExistingAccount(t *testing.T) {
	b := newBankEnv(t)
	b.must("import", filepath.Join("..", "..", "examples", "checking.ofx"))
	args := append(b.connectArgs("maple", fakebank.DemoHealthy), "--password-file", b.passwordFile(pwMaple),
		"--link", "2200113344=1")
	out := b.must(args...)
	if !strings.Contains(out, "account 1, existing (40 lines): its history continues") {
		t.Fatalf("link not shown:\n%s", out)
	}
	code, _, errOut := b.run("", append(b.connectArgs("other", fakebank.DemoHealthy), "--link", "nonsense")...)
	if code != exitUsage || !strings.Contains(errOut, "want ACCTID=ACCOUNT") {
		t.Fatalf("bad --link: exit %d %q", code, errOut)
	}
}

// addDemoFaults switches on the demo's maintenance and terms faults.
func (b *bankEnv) addDemoFaults() {
	b.t.Helper()
	for _, f := range fakebank.DemoFaults(time.Now()) {
		if _, err := b.srv.AddFault(f); err != nil {
			b.t.Fatal(err)
		}
	}
}
