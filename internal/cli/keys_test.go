package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bankfeed/bankfeed/internal/fakebank"
)

// TestKeyLocation: the key is kept in the configuration directory, apart
// from the data, unless BANKFEED_KEY_FILE or BANKFEED_KEY says otherwise.
func TestKeyLocation(t *testing.T) {
	b := newBankEnv(t)
	config := filepath.Join(b.tmp, "config")
	out := b.must("key")
	if !strings.Contains(out, filepath.Join(config, "bankfeed", "key")) || !strings.Contains(out, "Not created yet") {
		t.Errorf("key before connect:\n%s", out)
	}
	b.connect("maple", fakebank.DemoHealthy)
	path := filepath.Join(config, "bankfeed", "key")
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatalf("no key at %s: %v", path, err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("key mode %04o", fi.Mode().Perm())
	}
	entries, _ := os.ReadDir(b.dir)
	for _, e := range entries {
		if strings.Contains(e.Name(), "key") {
			t.Errorf("a key in the data directory: %s", e.Name())
		}
	}
	out = b.must("key")
	if !strings.Contains(out, "id: ") {
		t.Errorf("key after connect:\n%s", out)
	}

	// Another key cannot open the saved password, and says which to use.
	other := filepath.Join(b.tmp, "other.key")
	if err := os.WriteFile(other, []byte("c2Vjb25kLWtleS1mb3ItdGVzdHMtMzItYnl0ZXMhISE=\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("BANKFEED_KEY_FILE", other)
	if out := b.must("key"); !strings.Contains(out, other+" (from BANKFEED_KEY_FILE)") {
		t.Errorf("key with BANKFEED_KEY_FILE:\n%s", out)
	}
	code, _, errOut := b.run("", "sync")
	if code == 0 || !strings.Contains(errOut, "sealed with another key") {
		t.Errorf("sync with another key: exit %d %q", code, errOut)
	}
	t.Setenv("BANKFEED_KEY_FILE", "")
	t.Setenv("BANKFEED_KEY", "c2Vjb25kLWtleS1mb3ItdGVzdHMtMzItYnl0ZXMhISE=")
	if out := b.must("key"); !strings.Contains(out, "the environment variable BANKFEED_KEY") {
		t.Errorf("key with BANKFEED_KEY:\n%s", out)
	}
}
