package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bankfeed/bankfeed/internal/store"
)

func TestDemo(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	t.Setenv("BANKFEED_DATA_DIR", filepath.Join(tmp, "real-data"))
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(tmp, "config"))
	began := time.Now()
	code, out, errOut := run(t, "", "demo")
	if code != 0 {
		t.Fatalf("demo: exit %d\n%s%s", code, out, errOut)
	}
	// How long it takes is for a benchmark, not a test on a loaded machine.
	t.Logf("demo took %s", time.Since(began))
	for _, want := range []string{
		"Harbor Credit Union goes into scheduled maintenance until",
		"Summit Card Services posts new terms",
		"harbor at Harbor Credit Union: waiting for bank",
		"What happened: the bank is down for maintenance (bank.maintenance).",
		"We expect to be back by",
		"Next attempt: in 2 h 30 min",
		"when the bank said it would be back",
		"summit at Summit Card Services: needs your action",
		"accept the updated Terms and Conditions",
		"then: bankfeed connection resume summit",
		"Next attempt: not by itself: it waits for you.",
		"Your data is safe:",
		"What just happened",
		"The data directory is removed now",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("demo output lacks %q", want)
		}
	}
	if t.Failed() {
		t.Log(out)
	}
	// Nothing left behind, nothing written to the real data or key.
	left, _ := filepath.Glob(filepath.Join(tmp, "bankfeed-demo-*"))
	for _, p := range []string{filepath.Join(tmp, "real-data"), filepath.Join(tmp, "config")} {
		if _, err := os.Stat(p); err == nil {
			left = append(left, p)
		}
	}
	if len(left) > 0 {
		t.Errorf("left behind: %v", left)
	}
}

func TestDemoKeep(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(tmp, "config"))
	dir := filepath.Join(tmp, "demo")
	code, out, errOut := run(t, "", "demo", "--data-dir", dir)
	if code != 0 {
		t.Fatalf("demo: exit %d\n%s%s", code, out, errOut)
	}
	if !strings.Contains(out, "The data directory is kept: "+dir) {
		t.Errorf("demo --data-dir:\n%s", out)
	}
	for _, f := range []string{store.FileName, "key", "fakebank-ca.pem"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
	code, out, _ = run(t, "", "--data-dir", dir, "status")
	if code != 0 || !strings.Contains(out, "needs your action") || !strings.Contains(out, "circuit open") {
		t.Errorf("status after the demo: exit %d\n%s", code, out)
	}
	code, _, errOut = run(t, "", "demo", "--data-dir", dir)
	if code != exitFailure || !strings.Contains(errOut, "holds a bankfeed database already") {
		t.Errorf("demo into a used directory: exit %d %q", code, errOut)
	}
}
