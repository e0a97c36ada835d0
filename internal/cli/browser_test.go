package cli

import (
	"bufio"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// browserPassword is the demo users' password in the browser tests.
const browserPassword = "browser-test-pw-1"

// chromiumPath is Debian's chromium, which the browser tests drive.
const chromiumPath = "/usr/bin/chromium"

// demoURL finds the web interface's address in the demo's output.
var demoURL = regexp.MustCompile(`^\s+(http://127\.0\.0\.1:\d+/)\s*$`)

// TestBrowser runs the browser tests in e2e/ (node's test runner driving
// chromium through playwright-core) against the demo's web interface,
// started in-process with its two users, demo (admin) and viewer.
// Screenshots go to artifacts/browser at the repository's root.
func TestBrowser(t *testing.T) {
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	node, err := exec.LookPath("node")
	var missing []string
	if err != nil {
		missing = append(missing, "node is not on PATH")
	}
	if _, err := os.Stat(filepath.Join(root, "e2e", "node_modules", "playwright-core")); err != nil {
		missing = append(missing, "e2e/node_modules/playwright-core is not installed (make e2e-deps)")
	}
	if _, err := os.Stat(chromiumPath); err != nil {
		missing = append(missing, chromiumPath+" is missing (apt-get install chromium)")
	}
	if len(missing) > 0 {
		msg := "browser tests: " + strings.Join(missing, "; ")
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	t.Setenv("BANKFEED_DATA_DIR", filepath.Join(tmp, "real-data"))
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(tmp, "config"))
	t.Setenv(demoPasswordEnv, browserPassword)

	// The demo serves until its context is cancelled.
	demoCtx, stopDemo := context.WithCancel(ctx)
	defer stopDemo()
	pr, pw := io.Pipe()
	var stderr lockedBuffer
	done := make(chan int, 1)
	go func() {
		code := Main(demoCtx, []string{"demo", "--serve", "--data-dir", filepath.Join(tmp, "demo"), "--addr", "127.0.0.1:0"},
			strings.NewReader(""), pw, &stderr)
		pw.Close()
		done <- code
	}()
	var out lockedBuffer
	urlc := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			line := sc.Text()
			out.WriteString(line + "\n")
			if m := demoURL.FindStringSubmatch(line); m != nil {
				select {
				case urlc <- m[1]:
				default:
				}
			}
		}
		// Keep the demo from blocking on a write nobody reads.
		_, _ = io.Copy(io.Discard, pr)
	}()
	var url string
	select {
	case url = <-urlc:
	case code := <-done:
		t.Fatalf("demo ended (exit %d) before serving:\n%s%s", code, out.String(), stderr.String())
	case <-ctx.Done():
		t.Fatalf("demo did not serve in time:\n%s%s", out.String(), stderr.String())
	}
	t.Logf("demo serving at %s", url)

	// The screenshots of this run only.
	artifacts := filepath.Join(root, "artifacts", "browser")
	if err := os.RemoveAll(artifacts); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(artifacts, 0o755); err != nil {
		t.Fatal(err)
	}
	began := time.Now()
	cmd := exec.CommandContext(ctx, node, "--test", "--test-concurrency=1", "e2e/")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "BANKFEED_URL="+url, "BANKFEED_PASSWORD="+browserPassword,
		"BANKFEED_ARTIFACTS="+artifacts, "CHROMIUM="+chromiumPath)
	cmd.WaitDelay = 10 * time.Second
	tw := &testLogWriter{t: t}
	cmd.Stdout, cmd.Stderr = tw, tw
	runErr := cmd.Run()
	tw.flush()
	t.Logf("browser tests took %.1f s; screenshots in %s", time.Since(began).Seconds(), artifacts)

	stopDemo()
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("demo: exit %d\n%s", code, stderr.String())
		}
	case <-time.After(30 * time.Second):
		t.Errorf("demo did not stop within 30 s of being told")
	}
	if runErr != nil {
		var ee *exec.ExitError
		if errors.As(runErr, &ee) {
			t.Fatalf("browser tests failed (node exit %d)", ee.ExitCode())
		}
		t.Fatalf("browser tests: %v", runErr)
	}
}

// lockedBuffer is a strings.Builder safe for concurrent use.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *lockedBuffer) WriteString(s string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.b.WriteString(s)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// testLogWriter passes a command's output to t.Log a line at a time.
type testLogWriter struct {
	t    *testing.T
	mu   sync.Mutex
	part []byte
}

func (w *testLogWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.part = append(w.part, p...)
	for {
		i := strings.IndexByte(string(w.part), '\n')
		if i < 0 {
			break
		}
		w.t.Log(string(w.part[:i]))
		w.part = w.part[i+1:]
	}
	return len(p), nil
}

func (w *testLogWriter) flush() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.part) > 0 {
		w.t.Log(string(w.part))
		w.part = nil
	}
}
