package importer_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/bankfeed/bankfeed/internal/ofx/ofxgen"
	"github.com/bankfeed/bankfeed/internal/store"
)

// crashKills is how many times TestCrashDuringImport kills an import.
const crashKills = 50

// TestCrashDuringImport builds the real binary and SIGKILLs `bankfeed import`
// at random moments, crashKills times, over a store that already holds an
// earlier import of the same account. After every kill the store must be
// exactly as before the import or exactly as after it (rows of every
// table, and a checksum of every line), and pass PRAGMA integrity_check.
func TestCrashDuringImport(t *testing.T) {
	work := t.TempDir()
	bin, checker := buildTools(t, work)

	// An earlier import, and the file that will be killed, imported into the
	// same account (--account) so that it also looks up earlier lines.
	earlier := writeStatement(t, filepath.Join(work, "earlier.ofx"), ofxgen.Options{N: 2000, Seed: 11})
	big := writeStatement(t, filepath.Join(work, "big.ofx"), ofxgen.Options{N: 120_000, Seed: 12,
		Start: time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)})
	importArgs := []string{"import", "--account", "1", big}

	template := filepath.Join(work, "template")
	runBankfeed(t, bin, template, "import", earlier)
	before := storeState(t, checker, template)

	// The import run to completion gives the after-state and its duration.
	full := copyStore(t, template, filepath.Join(work, "full"))
	start := time.Now()
	runBankfeed(t, bin, full, importArgs...)
	took := time.Since(start)
	after := storeState(t, checker, full)
	if after.Counts["lines"] <= before.Counts["lines"] || after.Counts["accounts"] != before.Counts["accounts"] {
		t.Fatalf("the import added nothing: %v → %v", before.Counts, after.Counts)
	}
	t.Logf("import of %s takes %v: %v → %v", filepath.Base(big), took, before.Counts, after.Counts)

	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("BANKFEED_CRASH_SEED"); s != "" {
		fmt.Sscan(s, &seed)
	}
	t.Logf("kill times drawn with seed %d (rerun with BANKFEED_CRASH_SEED=%d)", seed, seed)
	rng := rand.New(rand.NewPCG(seed, 0))
	outcomes := map[string]int{}
	for i := range crashKills {
		dir := copyStore(t, template, filepath.Join(work, fmt.Sprint("kill", i)))
		// Uniform over the whole run and a little past it, so the kill also
		// lands during the commit and after the process ended.
		delay := time.Duration(rng.Int64N(int64(took) * 11 / 10))
		cmd := exec.Command(bin, append([]string{"--data-dir", dir}, importArgs...)...)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		time.Sleep(delay)
		// Did the import end on its own before the kill? Then it must have
		// committed. (Kill cannot tell: on an ended, unreaped process it
		// succeeds.)
		ended := false
		var waitErr error
		select {
		case waitErr = <-done:
			ended = true
		default:
			_ = cmd.Process.Kill()
			waitErr = <-done
		}
		got := storeState(t, checker, dir)
		switch {
		case got.equal(before):
			outcomes["before"]++
		case got.equal(after):
			outcomes["after"]++
		default:
			t.Fatalf("kill %d after %v: the store is neither before nor after the import:\nbefore %v %s\nafter  %v %s\ngot    %v %s",
				i, delay, before.Counts, before.Sum, after.Counts, after.Sum, got.Counts, got.Sum)
		}
		if ended && (waitErr != nil || !got.equal(after)) {
			t.Errorf("kill %d: the import ended on its own (%v) but the store is not as after it", i, waitErr)
		}
		if ended {
			outcomes["ended before the kill"]++
		}
		os.RemoveAll(dir)
	}
	t.Logf("after %d kills: %d stores as before, %d as after (%d imports had ended before their kill)",
		crashKills, outcomes["before"], outcomes["after"], outcomes["ended before the kill"])
}

// buildTools builds bankfeed and crashcheck into dir, without the race
// detector whatever this test runs with.
func buildTools(t *testing.T, dir string) (bankfeedBin, checkBin string) {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		goTool = filepath.Join(os.Getenv("GOROOT"), "bin", "go")
	}
	start := time.Now()
	cmd := exec.Command(goTool, "build", "-o", dir+string(filepath.Separator),
		"github.com/bankfeed/bankfeed/cmd/bankfeed", "github.com/bankfeed/bankfeed/internal/importer/crashcheck")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	t.Logf("built bankfeed and crashcheck in %v", time.Since(start))
	return filepath.Join(dir, "bankfeed"), filepath.Join(dir, "crashcheck")
}

func writeStatement(t *testing.T, path string, o ofxgen.Options) string {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriter(f)
	if _, err := ofxgen.Write(w, o); err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

func runBankfeed(t *testing.T, bin, dataDir string, args ...string) {
	t.Helper()
	out, err := exec.Command(bin, append([]string{"--data-dir", dataDir}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("bankfeed %v: %v\n%s", args, err, out)
	}
}

// copyStore copies the database of a cleanly closed store (no WAL left).
func copyStore(t *testing.T, from, to string) string {
	t.Helper()
	if err := os.MkdirAll(to, 0o700); err != nil {
		t.Fatal(err)
	}
	src, err := os.Open(filepath.Join(from, store.FileName))
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	dst, err := os.Create(filepath.Join(to, store.FileName))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(dst, src); err != nil {
		t.Fatal(err)
	}
	if err := dst.Close(); err != nil {
		t.Fatal(err)
	}
	return to
}

// state is what a crash must leave whole: the rows of every table and a
// checksum of every line.
type state struct {
	Counts map[string]int64 `json:"counts"`
	Sum    string           `json:"sum"`
}

func (s state) equal(o state) bool {
	return fmt.Sprint(s.Counts) == fmt.Sprint(o.Counts) && s.Sum == o.Sum
}

// storeState opens the store in a crashcheck process, as the next command
// a user runs would: that recovers the WAL a kill left, checks integrity,
// and reports the state.
func storeState(t *testing.T, checker, dir string) state {
	t.Helper()
	var stderr bytes.Buffer
	cmd := exec.Command(checker, dir)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("crashcheck %s: %v: %s", dir, err, stderr.String())
	}
	var s state
	if err := json.Unmarshal(out, &s); err != nil {
		t.Fatalf("crashcheck %s: %v: %q", dir, err, out)
	}
	return s
}
