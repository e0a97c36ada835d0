package web

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/bankfeed/bankfeed/internal/fakebank"
)

// TestEventsStreamSyncProgress: a signed-in viewer watching /api/v1/events
// sees a running sync step by step (each account fetched, then done, with
// its run and new lines), and no password; the stream refuses no session.
func TestEventsStreamSyncProgress(t *testing.T) {
	w := newAPIWorld(t, apiWorldOptions{logins: map[string]string{fakebank.DemoHealthy: "maple", fakebank.DemoMaintenance: "harbor"}})
	viewer := w.apiSignIn("viewer")

	res, err := http.Get(w.ts.URL + "/api/v1/events")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusUnauthorized {
		t.Errorf("events without a session: %s, want 401", res.Status)
	}

	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, "GET", w.ts.URL+"/api/v1/events", nil)
	if err != nil {
		t.Fatal(err)
	}
	stream, err := viewer.hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer stream.Body.Close()
	if stream.StatusCode != http.StatusOK || !strings.HasPrefix(stream.Header.Get("Content-Type"), "text/event-stream") {
		t.Fatalf("events: %s %q", stream.Status, stream.Header.Get("Content-Type"))
	}
	lines := bufio.NewScanner(stream.Body)
	// The stream opens with its retry hint before any event: once read, the
	// watcher is subscribed.
	if !lines.Scan() || lines.Text() != "retry: 3000" {
		t.Fatalf("the stream opened with %q", lines.Text())
	}

	maple := w.conns[fakebank.DemoHealthy]
	done := make(chan struct{})
	go func() {
		defer close(done)
		// The sync has its own context: the stream's is cancelled once
		// every account reported, which may be before the sync returns.
		if _, err := w.sy.Sync(t.Context(), maple.ID, true); err != nil {
			t.Errorf("sync: %v", err)
		}
	}()

	accounts := len(maple.Accounts)
	steps := map[string]map[string]bool{} // account → steps seen
	var finished int
	var raw strings.Builder
	for finished < accounts && lines.Scan() {
		line := lines.Text()
		raw.WriteString(line + "\n")
		data, ok := strings.CutPrefix(line, "data: ")
		if !ok {
			continue
		}
		var ev Event
		if err := json.Unmarshal([]byte(data), &ev); err != nil {
			t.Fatalf("event %q: %v", data, err)
		}
		if ev.ConnectionID != maple.ID || ev.Connection != "maple" {
			t.Errorf("event of another connection: %+v", ev)
			continue
		}
		if ev.Account == "" {
			continue
		}
		if steps[ev.Account] == nil {
			steps[ev.Account] = map[string]bool{}
		}
		steps[ev.Account][ev.Step] = true
		if ev.Step == "done" {
			finished++
			if ev.Outcome != "ok" || ev.RunID == 0 || ev.At.IsZero() {
				t.Errorf("done event %+v: want outcome ok, a run and a time", ev)
			}
			if !strings.HasPrefix(ev.Account, "…") {
				t.Errorf("account number %q is not masked", ev.Account)
			}
		}
	}
	<-done
	cancel()
	if finished != accounts {
		t.Fatalf("%d of %d accounts reported done; stream:\n%s", finished, accounts, raw.String())
	}
	for acct, seen := range steps {
		if !seen["fetching"] {
			t.Errorf("account %s: no fetching step before done (%v)", acct, seen)
		}
	}
	for _, u := range w.bank.Scenario().Institution(fakebank.DemoHealthy).Users {
		if strings.Contains(raw.String(), u.Password) {
			t.Error("the stream holds a password")
		}
	}
}
