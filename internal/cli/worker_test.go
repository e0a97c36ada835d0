package cli

import (
	"context"
	"strings"
	"testing"

	"github.com/bankfeed/bankfeed"
	"github.com/bankfeed/bankfeed/internal/fakebank"
	"github.com/bankfeed/bankfeed/internal/store"
)

// TestWorkerOnce: the worker syncs every due connection through the job
// queue and exits; run again at once, nothing is due and no request goes
// out.
func TestWorkerOnce(t *testing.T) {
	b := newBankEnv(t)
	b.connect("maple", fakebank.DemoHealthy)
	if code, out, errOut := b.run("", "worker", "--once", "--tick", "1h"); code != 0 {
		t.Fatalf("worker --once: exit %d\n%s\n%s", code, out, errOut)
	}
	db, err := store.Open(context.Background(), b.dir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	runs, err := db.FindSyncRuns(t.Context(), store.SyncRunFilter{})
	if err != nil {
		t.Fatal(err)
	}
	c, err := db.FindConnection(t.Context(), "maple")
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != len(c.Accounts) || len(runs) == 0 {
		t.Fatalf("runs = %d, want one per account (%d)", len(runs), len(c.Accounts))
	}
	for _, r := range runs {
		if r.Outcome != bankfeed.OutcomeOK || r.Trigger != bankfeed.TriggerSchedule {
			t.Errorf("run %d: outcome %s trigger %s, want ok schedule", r.ID, r.Outcome, r.Trigger)
		}
	}
	if c.State != bankfeed.ConnOK || c.NextAttemptAt.IsZero() {
		t.Errorf("connection: state %s next %v, want ok with a next sync", c.State, c.NextAttemptAt)
	}
	before := b.srv.Count(fakebank.Filter{Institution: fakebank.DemoHealthy})
	if code, out, errOut := b.run("", "worker", "--once", "--tick", "1h"); code != 0 {
		t.Fatalf("second worker --once: exit %d\n%s\n%s", code, out, errOut)
	}
	if after := b.srv.Count(fakebank.Filter{Institution: fakebank.DemoHealthy}); after != before {
		t.Errorf("a worker with nothing due sent %d requests", after-before)
	}
}

// TestWorkerOnceFails: a --once pass whose syncs fail exits 1 and says so.
func TestWorkerOnceFails(t *testing.T) {
	b := newBankEnv(t)
	b.connect("maple", fakebank.DemoHealthy)
	if _, err := b.srv.AddFault(fakebank.FaultSpec{Kind: fakebank.FaultHTTP500, Institution: fakebank.DemoHealthy}); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := b.run("", "worker", "--once", "--tick", "1h")
	if code != exitFailure || !strings.Contains(out, "failed") || !strings.Contains(errOut, "bank.server_error") {
		t.Errorf("exit %d\n%s\n%s\nwant exit 1 naming the failures", code, out, errOut)
	}
}

func TestWorkerFlags(t *testing.T) {
	b := newBankEnv(t)
	code, _, errOut := b.run("", "worker", "--institution-limit", "0")
	if code != exitUsage || !strings.Contains(errOut, "must be positive") {
		t.Errorf("exit %d, stderr %q; want usage error", code, errOut)
	}
}
