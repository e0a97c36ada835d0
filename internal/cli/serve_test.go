package cli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestUserCommands: user add reads the password from standard input (never
// a flag), list shows roles, set changes them, token prints a token that
// the API takes, and bad input says which.
func TestUserCommands(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name, stdin string
		args        []string
		code        int
		out, errOut string
	}{
		{"add admin", "a-long-password\n", []string{"user", "add", "alice", "--role", "admin", "--password-file", "-"}, 0, "user alice added, role admin", ""},
		{"add default role", "another-password\n", []string{"user", "add", "bob", "--password-file", "-"}, 0, "role bookkeeper", ""},
		{"short password", "short\n", []string{"user", "add", "carol", "--password-file", "-"}, 1, "", "at least 10 characters"},
		{"bad role", "a-long-password\n", []string{"user", "add", "carol", "--role", "owner", "--password-file", "-"}, 2, "", "--role"},
		{"taken", "a-long-password\n", []string{"user", "add", "ALICE", "--password-file", "-"}, 1, "", "exists already"},
		{"no password flag", "", []string{"user", "add", "dan", "--password", "x"}, 2, "", "unknown flag"},
		{"set role", "", []string{"user", "set", "bob", "--role", "viewer"}, 0, "user bob: role viewer, active", ""},
		{"set unknown", "", []string{"user", "set", "zed", "--disable"}, 1, "", "no user"},
		{"list", "", []string{"user", "list"}, 0, "alice  admin", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := run(t, tt.stdin, append(tt.args, "--data-dir", dir)...)
			if code != tt.code || !strings.Contains(out, tt.out) || !strings.Contains(errOut, tt.errOut) {
				t.Errorf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tt.code, out, errOut)
			}
			if strings.Contains(out+errOut, "a-long-password") {
				t.Error("the password was echoed")
			}
		})
	}
	code, tok, errOut := run(t, "", "user", "token", "bob", "--data-dir", dir)
	tok = strings.TrimSpace(tok)
	if code != 0 || !strings.HasPrefix(tok, "bft_") {
		t.Fatalf("user token: %d %q %s", code, tok, errOut)
	}

	// serve: the token works against the running server, which stops
	// gracefully when its context ends.
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(dir, "config"))
	t.Setenv("BANKFEED_KEY", "")
	t.Setenv("BANKFEED_KEY_FILE", "")
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	pr, pw := io.Pipe()
	var errBuf bytes.Buffer
	done := make(chan int, 1)
	go func() {
		done <- Main(ctx, []string{"serve", "--addr", "127.0.0.1:0", "--data-dir", dir, "--tick", "1h"}, strings.NewReader(""), pw, &errBuf)
		pw.Close()
	}()
	sc := bufio.NewScanner(pr)
	var base string
	for sc.Scan() {
		if u, ok := strings.CutPrefix(sc.Text(), "bankfeed serving on "); ok {
			base = strings.Fields(u)[0]
			break
		}
	}
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	if base == "" {
		cancel()
		t.Fatalf("serve printed no address; stderr: %s", errBuf.String())
	}
	get := func(path, token string) (int, string) {
		req, _ := http.NewRequestWithContext(ctx, "GET", strings.TrimSuffix(base, "/")+path, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	status, body := get("/api/v1/me", tok)
	var me struct{ Name, Role string }
	if status != 200 || json.Unmarshal([]byte(body), &me) != nil || me.Name != "bob" || me.Role != "viewer" {
		t.Errorf("GET /api/v1/me with bob's token: %d %s", status, body)
	}
	if status, _ := get("/api/v1/me", ""); status != 401 {
		t.Errorf("without a token: %d", status)
	}
	if status, body := get("/metrics", tok); status != 200 || !strings.Contains(body, "bankfeed_metrics_store_up 1") {
		t.Errorf("metrics: %d %.300s", status, body)
	}
	if status, body := get("/login", ""); status != 200 || !strings.Contains(body, "Sign in") {
		t.Errorf("login page: %d", status)
	}
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("serve exited %d: %s", code, errBuf.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not stop")
	}
}
