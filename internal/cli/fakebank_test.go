package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bankfeed/bankfeed/internal/fakebank"
)

func TestFakebankFaultsListsEveryKind(t *testing.T) {
	code, out, _ := run(t, "", "fakebank", "faults")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	for _, k := range fakebank.Kinds {
		if !strings.Contains(out, k.Name+" ") || !strings.Contains(out, k.Desc) {
			t.Errorf("faults does not list %s with its description", k.Name)
		}
	}
}

func TestFakebankStatement(t *testing.T) {
	args := []string{"fakebank", "statement", "--institution", "first-state", "--account", "1001234567",
		"--start", "2026-10-01", "--end", "2026-10-31", "--now", "2026-11-24"}
	code, first, errOut := run(t, "", args...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	_, second, _ := run(t, "", args...)
	if first != second || !strings.Contains(first, "<STMTTRN>") || !strings.Contains(first, "<ACCTID>1001234567") {
		t.Fatalf("two runs differ, or no statement:\n%.600s", first)
	}
	_, reseeded, _ := run(t, "", append(args, "--seed", "99")...)
	if reseeded == first {
		t.Fatal("--seed 99 gave the sample seed's statement")
	}
	cases := []struct {
		name string
		args []string
		code int
		says string
	}{
		{"bad start", []string{"--start", "October"}, exitUsage, `--start "October"`},
		{"bad now", []string{"--now", "soon"}, exitUsage, `--now "soon"`},
		{"no account", []string{"--account", "42"}, exitFailure, `no account "42"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, _, errOut := run(t, "", append(args, c.args...)...)
			if code != c.code || !strings.Contains(errOut, c.says) {
				t.Fatalf("exit %d %q, want %d saying %q", code, errOut, c.code, c.says)
			}
		})
	}
	bad := filepath.Join(t.TempDir(), "bad.json")
	if err := os.WriteFile(bad, []byte("{\n  \"institutions\": [\n    {\"id\": \"x\",}\n  ]\n}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, errOut = run(t, "", "fakebank", "statement", "--scenario", bad, "--institution", "x", "--account", "1")
	if code != exitFailure || !strings.Contains(errOut, bad+": line 3") {
		t.Fatalf("bad scenario: exit %d %q", code, errOut)
	}
}

// startFakebank runs `bankfeed fakebank` in-process on free ports and
// returns what it printed when ready.
func startFakebank(t *testing.T, extra ...string) serving {
	t.Helper()
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan int, 1)
	args := append([]string{"--data-dir", dir, "fakebank", "--port", "0", "--json", "--quiet"}, extra...)
	go func() {
		done <- Main(ctx, args, strings.NewReader(""), pw, io.Discard)
		pw.Close()
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Error("fakebank did not stop")
		}
	})
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		t.Fatalf("fakebank printed nothing: %v", err)
	}
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	var s serving
	if err := json.Unmarshal([]byte(line), &s); err != nil {
		t.Fatalf("ready line %q: %v", line, err)
	}
	return s
}

func TestFakebankFaultCommands(t *testing.T) {
	s := startFakebank(t)
	if len(s.Institutions) != 3 || !strings.HasPrefix(s.Institutions[0].OFXURL, "https://127.0.0.1:") {
		t.Fatalf("serving %+v", s)
	}
	if _, err := os.Stat(s.CAFile); err != nil {
		t.Fatalf("CA file: %v", err)
	}
	admin := "--admin=" + s.AdminURL
	code, out, errOut := run(t, "", "fakebank", "fault", "add", "http-500", admin, "--institution", "first-state",
		"--user", "alice", "--count", "2", "--param", "nope=1")
	if code != exitFailure || out != "" || !strings.Contains(errOut, `param "nope" unknown for http-500`) {
		t.Fatalf("bad param: exit %d %q %q", code, out, errOut)
	}
	code, out, errOut = run(t, "", "fakebank", "fault", "add", "latency", admin, "--institution", "first-state",
		"--window", "Sat 01:00-05:00", "--param", "delay=3s")
	if code != 0 || strings.TrimSpace(out) == "" {
		t.Fatalf("add: exit %d %q", code, errOut)
	}
	id := strings.TrimSpace(out)
	code, out, _ = run(t, "", "fakebank", "fault", "list", admin)
	// The sample's own maintenance window is listed too.
	if code != 0 || !strings.Contains(out, id) || !strings.Contains(out, "latency") || !strings.Contains(out, "maintenance-503") {
		t.Fatalf("list: exit %d\n%s", code, out)
	}
	if code, _, errOut := run(t, "", "fakebank", "fault", "remove", id, admin); code != 0 {
		t.Fatalf("remove: %d %s", code, errOut)
	}
	if code, _, errOut := run(t, "", "fakebank", "fault", "remove", id, admin); code != exitFailure || !strings.Contains(errOut, "no fault") {
		t.Fatalf("remove twice: %d %s", code, errOut)
	}
	if code, _, _ := run(t, "", "fakebank", "fault", "clear", admin); code != 0 {
		t.Fatal("clear")
	}
	code, out, _ = run(t, "", "fakebank", "fault", "list", admin)
	if code != 0 || !strings.Contains(out, "No faults") {
		t.Fatalf("after clear:\n%s", out)
	}
	code, out, _ = run(t, "", "fakebank", "requests", admin, "--institution", "first-state", "--count")
	if code != 0 || strings.TrimSpace(out) != "0" {
		t.Fatalf("requests --count: %d %q", code, out)
	}
	if code, _, errOut := run(t, "", "fakebank", "unlock", "first-state", "alice", admin); code != 0 {
		t.Fatalf("unlock: %s", errOut)
	}
	if code, _, errOut := run(t, "", "fakebank", "unlock", "first-state", "zed", admin); code != exitFailure || !strings.Contains(errOut, `no user "zed"`) {
		t.Fatalf("unlock unknown: %d %s", code, errOut)
	}
	code, _, errOut = run(t, "", "fakebank", "fault", "list", "--admin=http://127.0.0.1:1")
	if code != exitFailure || !strings.Contains(errOut, "is bankfeed fakebank running") {
		t.Fatalf("no server: %d %q", code, errOut)
	}
}
