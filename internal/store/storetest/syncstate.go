package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/bankfeed/bankfeed"
	"github.com/bankfeed/bankfeed/internal/store"
)

// cursor reads an account's cursor in a write transaction, where the
// syncer reads it.
func cursor(t *testing.T, db *store.DB, id bankfeed.AccountID) *bankfeed.SyncCursor {
	t.Helper()
	var c *bankfeed.SyncCursor
	update(t, db, func(ctx context.Context, tx *store.Tx) (err error) {
		c, err = tx.Cursor(ctx, id)
		return err
	})
	return c
}

func testCursors(t *testing.T, open Opener) {
	ctx := context.Background()
	clock := NewClock()
	db := open(t, clock.Now)
	a, b := seed(t, db, "1"), seed(t, db, "2")
	run := &bankfeed.SyncRun{AccountID: a.ID}
	if err := db.CreateSyncRun(ctx, run); err != nil {
		t.Fatal(err)
	}
	est := time.FixedZone("EST", -5*3600)
	first := bankfeed.SyncCursor{AccountID: a.ID, StatementEnd: time.Date(2026, 2, 27, 23, 59, 59, 0, est),
		LastSuccess: clock.T, SyncRunID: run.ID}
	second := bankfeed.SyncCursor{AccountID: a.ID, StatementEnd: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC),
		LastSuccess: clock.T.Add(time.Hour)}
	other := bankfeed.SyncCursor{AccountID: b.ID, StatementEnd: time.Date(2026, 1, 31, 0, 0, 0, 0, time.UTC),
		LastSuccess: clock.T.Add(-time.Hour), SyncRunID: run.ID}
	// A run that ends before the cursor (an out-of-order commit) records
	// its success, not an earlier end.
	earlier := bankfeed.SyncCursor{AccountID: a.ID, StatementEnd: second.StatementEnd.Add(-48 * time.Hour),
		LastSuccess: clock.T.Add(2 * time.Hour), SyncRunID: run.ID}
	laterRun := earlier
	laterRun.StatementEnd = second.StatementEnd
	steps := []struct {
		name string
		do   func(ctx context.Context, tx *store.Tx) error
		want map[bankfeed.AccountID]*bankfeed.SyncCursor
	}{
		{"none", func(context.Context, *store.Tx) error { return nil }, map[bankfeed.AccountID]*bankfeed.SyncCursor{}},
		{"insert", func(ctx context.Context, tx *store.Tx) error { return tx.SetCursor(ctx, &first) },
			map[bankfeed.AccountID]*bankfeed.SyncCursor{a.ID: &first}},
		{"update, without a run", func(ctx context.Context, tx *store.Tx) error { return tx.SetCursor(ctx, &second) },
			map[bankfeed.AccountID]*bankfeed.SyncCursor{a.ID: &second}},
		{"another account", func(ctx context.Context, tx *store.Tx) error { return tx.SetCursor(ctx, &other) },
			map[bankfeed.AccountID]*bankfeed.SyncCursor{a.ID: &second, b.ID: &other}},
		{"an earlier end does not move it back", func(ctx context.Context, tx *store.Tx) error { return tx.SetCursor(ctx, &earlier) },
			map[bankfeed.AccountID]*bankfeed.SyncCursor{a.ID: &laterRun, b.ID: &other}},
		{"delete", func(ctx context.Context, tx *store.Tx) error { return tx.DeleteCursor(ctx, a.ID) },
			map[bankfeed.AccountID]*bankfeed.SyncCursor{b.ID: &other}},
		{"delete an absent one", func(ctx context.Context, tx *store.Tx) error { return tx.DeleteCursor(ctx, a.ID) },
			map[bankfeed.AccountID]*bankfeed.SyncCursor{b.ID: &other}},
	}
	for _, st := range steps {
		update(t, db, st.do)
		got, err := db.Cursors(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(st.want, got); diff != "" {
			t.Errorf("%s: Cursors (-want +got):\n%s", st.name, diff)
		}
		for _, acct := range []bankfeed.AccountID{a.ID, b.ID} {
			if diff := cmp.Diff(st.want[acct], cursor(t, db, acct)); diff != "" {
				t.Errorf("%s: Cursor(%d) (-want +got):\n%s", st.name, acct, diff)
			}
		}
	}
	if c := cursor(t, db, a.ID); c != nil {
		t.Errorf("Cursor of a deleted cursor = %+v, want nil", c)
	}
	err := db.Update(ctx, func(tx *store.Tx) error {
		return tx.SetCursor(ctx, &bankfeed.SyncCursor{AccountID: 999, StatementEnd: clock.T, LastSuccess: clock.T})
	})
	if code := bankfeed.ErrorCodeOf(err); code != bankfeed.ENotFound {
		t.Errorf("cursor of a missing account: %v (code %q), want not_found", err, code)
	}
}

func testCircuits(t *testing.T, open Opener) {
	ctx := context.Background()
	clock := NewClock()
	db := open(t, clock.Now)
	inst := seed(t, db, "1").InstitutionID
	never := institution(t, db, "B2", "20000")
	circuit := func(id bankfeed.InstitutionID) *bankfeed.Circuit {
		t.Helper()
		var c *bankfeed.Circuit
		update(t, db, func(ctx context.Context, tx *store.Tx) (err error) {
			c, err = tx.Circuit(ctx, id)
			return err
		})
		return c
	}
	if diff := cmp.Diff(&bankfeed.Circuit{InstitutionID: inst}, circuit(inst)); diff != "" {
		t.Errorf("circuit never set (-want +got):\n%s", diff)
	}
	opened := clock.T
	steps := []struct {
		name string
		in   bankfeed.Circuit
	}{
		{"open", bankfeed.Circuit{InstitutionID: inst, Open: true, Class: bankfeed.FailMaintenance,
			Reason: "503 from every connection", Failures: 3, OpenedAt: opened, NextProbeAt: opened.Add(10 * time.Minute)}},
		{"still open, probe failed", bankfeed.Circuit{InstitutionID: inst, Open: true, Class: bankfeed.FailServerError,
			Reason: "OFX 2000", Failures: 4, OpenedAt: opened, NextProbeAt: opened.Add(30 * time.Minute)}},
		{"closed", bankfeed.Circuit{InstitutionID: inst}},
	}
	for _, st := range steps {
		clock.Advance(time.Minute)
		c := st.in
		update(t, db, func(ctx context.Context, tx *store.Tx) error { return tx.SetCircuit(ctx, &c) })
		want := st.in
		want.UpdatedAt = clock.T
		if !c.UpdatedAt.Equal(clock.T) {
			t.Errorf("%s: UpdatedAt set to %v, want %v", st.name, c.UpdatedAt, clock.T)
		}
		if diff := cmp.Diff(&want, circuit(inst)); diff != "" {
			t.Errorf("%s: Circuit (-want +got):\n%s", st.name, diff)
		}
		all, err := db.Circuits(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(map[bankfeed.InstitutionID]*bankfeed.Circuit{inst: &want}, all); diff != "" {
			t.Errorf("%s: Circuits (-want +got):\n%s", st.name, diff)
		}
	}
	if c := circuit(never); c.Open || c.InstitutionID != never {
		t.Errorf("circuit of an institution never set = %+v, want closed", c)
	}
}

func testLeases(t *testing.T, open Opener) {
	ctx := context.Background()
	clock := NewClock()
	db := open(t, clock.Now)
	t0 := clock.T
	const name = "account:1"
	type lease = store.Lease
	l := func(name, holder string, expires time.Duration) lease {
		return lease{Name: name, Holder: holder, ExpiresAt: t0.Add(expires)}
	}
	held := func(name, holder string, expires time.Duration) *lease {
		v := l(name, holder, expires)
		return &v
	}
	steps := []struct {
		name   string
		at     time.Duration // since t0
		do     string        // acquire, release, release-all
		lease  string
		holder string
		ttl    time.Duration
		wantOK bool
		// wantCurrent is who holds it when acquire fails.
		wantCurrent *lease
		wantLeases  []lease
	}{
		{"free", 0, "acquire", name, "w1", time.Minute, true, nil,
			[]lease{l(name, "w1", time.Minute)}},
		{"held by another", 30 * time.Second, "acquire", name, "w2", time.Minute, false,
			held(name, "w1", time.Minute), []lease{l(name, "w1", time.Minute)}},
		{"renewed by its holder", 30 * time.Second, "acquire", name, "w1", time.Minute, true, nil,
			[]lease{l(name, "w1", 90*time.Second)}},
		{"a microsecond before it expires", 90*time.Second - time.Microsecond, "acquire", name, "w2", time.Minute, false,
			held(name, "w1", 90*time.Second), []lease{l(name, "w1", 90*time.Second)}},
		{"taken over when it expires", 90 * time.Second, "acquire", name, "w2", time.Minute, true, nil,
			[]lease{l(name, "w2", 150*time.Second)}},
		{"released by another does nothing", 100 * time.Second, "release", name, "w1", 0, true, nil,
			[]lease{l(name, "w2", 150*time.Second)}},
		{"released by its holder", 100 * time.Second, "release", name, "w2", 0, true, nil, nil},
		{"free again", 100 * time.Second, "acquire", name, "w1", time.Minute, true, nil,
			[]lease{l(name, "w1", 160*time.Second)}},
		{"a second lease", 100 * time.Second, "acquire", "institution:3:0", "w1", time.Hour, true, nil,
			[]lease{l(name, "w1", 160*time.Second), l("institution:3:0", "w1", 100*time.Second+time.Hour)}},
		{"another holder's lease", 100 * time.Second, "acquire", "account:2", "w2", time.Hour, true, nil,
			[]lease{l(name, "w1", 160*time.Second), l("account:2", "w2", 100*time.Second+time.Hour),
				l("institution:3:0", "w1", 100*time.Second+time.Hour)}},
		{"every lease of a holder", 100 * time.Second, "release-all", "", "w1", 0, true, nil,
			[]lease{l("account:2", "w2", 100*time.Second+time.Hour)}},
	}
	for _, st := range steps {
		clock.T = t0.Add(st.at)
		var ok bool
		var current *lease
		update(t, db, func(ctx context.Context, tx *store.Tx) (err error) {
			switch st.do {
			case "acquire":
				ok, current, err = tx.AcquireLease(ctx, st.lease, st.holder, st.ttl)
			case "release":
				ok, err = true, tx.ReleaseLease(ctx, st.lease, st.holder)
			case "release-all":
				ok, err = true, tx.ReleaseLeasesOf(ctx, st.holder)
			default:
				t.Fatalf("unknown step %q", st.do)
			}
			return err
		})
		if ok != st.wantOK {
			t.Errorf("%s: ok = %v, want %v", st.name, ok, st.wantOK)
		}
		if diff := cmp.Diff(st.wantCurrent, current); diff != "" {
			t.Errorf("%s: current holder (-want +got):\n%s", st.name, diff)
		}
		got, err := db.Leases(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(st.wantLeases, got, cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("%s: Leases (-want +got):\n%s", st.name, diff)
		}
	}
}

func testLineCounts(t *testing.T, open Opener) {
	ctx := context.Background()
	db := open(t, NewClock().Now)
	got, err := db.LineCounts(ctx)
	if err != nil || len(got) != 0 {
		t.Errorf("LineCounts of an empty store = %v, %v", got, err)
	}
	a, b := seed(t, db, "1"), seed(t, db, "2")
	seed(t, db, "3") // no lines
	writeLines(t, db, a.ID, manyLines(3, "A"))
	writeLines(t, db, b.ID, manyLines(5, "B"))
	writeLines(t, db, a.ID, manyLines(4, "C"))
	got, err = db.LineCounts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[bankfeed.AccountID]int64{a.ID: 7, b.ID: 5}, got); diff != "" {
		t.Errorf("LineCounts (-want +got):\n%s", diff)
	}
}

func testSyncStart(t *testing.T, open Opener) {
	ctx := context.Background()
	clock := NewClock()
	db := open(t, clock.Now)
	a := seed(t, db, "1")
	c := newConnection("Everyday", a.InstitutionID)
	c.Accounts = []*bankfeed.ConnectionAccount{{AccountID: a.ID, Kind: a.Kind, Number: a.Number, Enabled: true}}
	c = createConnection(t, db, c)
	st, err := db.SyncStart(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	want, err := db.Connection(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, st.Connection); diff != "" {
		t.Errorf("SyncStart's connection (-Connection +SyncStart):\n%s", diff)
	}
	if string(st.Sealed) != string(sealedFor(c.Name)) {
		t.Errorf("SyncStart's sealed password = %q, want %q", st.Sealed, sealedFor(c.Name))
	}
	if diff := cmp.Diff(&bankfeed.Circuit{InstitutionID: a.InstitutionID}, st.Circuit); diff != "" {
		t.Errorf("SyncStart's circuit, never set (-want +got):\n%s", diff)
	}
	cir := &bankfeed.Circuit{InstitutionID: a.InstitutionID, Open: true, Class: bankfeed.FailMaintenance,
		Reason: "503", Failures: 1, OpenedAt: clock.T, NextProbeAt: clock.T.Add(time.Hour)}
	update(t, db, func(ctx context.Context, tx *store.Tx) error { return tx.SetCircuit(ctx, cir) })
	if st, err = db.SyncStart(ctx, c.ID); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(cir, st.Circuit); diff != "" {
		t.Errorf("SyncStart's circuit, open (-want +got):\n%s", diff)
	}
	if _, err := db.SyncStart(ctx, 999); bankfeed.ErrorCodeOf(err) != bankfeed.ENotFound {
		t.Errorf("SyncStart of a missing connection: %v, want not_found", err)
	}
}

// testSyncStartsAtOnce: many syncs start at once, with their accounts'
// runs, and a missing connection among them; each gets its own start, and
// the missing one alone fails.
func testSyncStartsAtOnce(t *testing.T, open Opener) {
	ctx := context.Background()
	clock := NewClock()
	db := open(t, clock.Now)
	var conns []*bankfeed.Connection
	for i := range 12 {
		a := seed(t, db, fmt.Sprint(i+1))
		c := createConnection(t, db, newConnection(fmt.Sprintf("Login %d", i), a.InstitutionID))
		ca := &bankfeed.ConnectionAccount{ConnectionID: c.ID, AccountID: a.ID, Kind: a.Kind, Number: a.Number, Enabled: true}
		update(t, db, func(ctx context.Context, tx *store.Tx) error { return tx.LinkAccount(ctx, ca) })
		c.Accounts = []*bankfeed.ConnectionAccount{ca}
		for range i % 3 {
			run := &bankfeed.SyncRun{AccountID: a.ID, ConnectionID: c.ID, Trigger: bankfeed.TriggerSchedule}
			if err := db.CreateSyncRun(ctx, run); err != nil {
				t.Fatal(err)
			}
			clock.Advance(time.Minute)
		}
		conns = append(conns, c)
	}
	const rounds = 8
	type got struct {
		st  *store.SyncStart
		err error
	}
	out := make([][]got, rounds)
	var wg sync.WaitGroup
	for r := range rounds {
		out[r] = make([]got, len(conns)+1)
		for i := range len(conns) + 1 {
			id := bankfeed.ConnectionID(999)
			if i < len(conns) {
				id = conns[i].ID
			}
			wg.Go(func() {
				st, err := db.SyncStartRuns(ctx, id, 10)
				out[r][i] = got{st, err}
			})
		}
	}
	wg.Wait()
	for r := range rounds {
		for i, c := range conns {
			g := out[r][i]
			if g.err != nil {
				t.Fatalf("round %d, %s: %v", r, c.Name, g.err)
			}
			want, err := db.SyncStartRuns(ctx, c.ID, 10)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, g.st); diff != "" {
				t.Errorf("round %d, %s, started with others (-alone +at once):\n%s", r, c.Name, diff)
			}
			if n := len(g.st.Attempts[c.Accounts[0].AccountID]); n != i%3 {
				t.Errorf("round %d, %s: %d runs, want %d", r, c.Name, n, i%3)
			}
		}
		if err := out[r][len(conns)].err; bankfeed.ErrorCodeOf(err) != bankfeed.ENotFound {
			t.Errorf("round %d, the missing connection: %v, want not_found", r, err)
		}
	}
	// A done context ends the wait.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := db.SyncStartRuns(cctx, conns[0].ID, 10); !errors.Is(err, context.Canceled) {
		t.Errorf("SyncStartRuns with a done context: %v", err)
	}
}

func testAttempts(t *testing.T, open Opener) {
	ctx := context.Background()
	clock := NewClock()
	db := open(t, clock.Now)
	a := seed(t, db, "1")
	b := seed(t, db, "2")
	never := seed(t, db, "3")
	var want []store.Attempt
	// Four runs of a: failed with a time to come back, failed, ok,
	// running; one of b, failed.
	for i, r := range []bankfeed.SyncRun{
		{Outcome: bankfeed.OutcomeFailed, FailureClass: string(bankfeed.FailRateLimited), RetryAt: clock.T.Add(time.Hour)},
		{Outcome: bankfeed.OutcomeFailed, FailureClass: string(bankfeed.FailMaintenance)},
		{Outcome: bankfeed.OutcomeOK},
		{},
	} {
		run := &bankfeed.SyncRun{AccountID: a.ID, Trigger: bankfeed.TriggerSchedule}
		if err := db.CreateSyncRun(ctx, run); err != nil {
			t.Fatal(err)
		}
		want = append(want, store.Attempt{StartedAt: clock.T, FailureClass: r.FailureClass, RetryAt: r.RetryAt})
		if r.Outcome != "" {
			run.Outcome, run.FailureClass, run.RetryAt = r.Outcome, r.FailureClass, r.RetryAt
			if err := db.FinishSyncRun(ctx, run); err != nil {
				t.Fatal(err)
			}
		}
		if i == 0 {
			rb := &bankfeed.SyncRun{AccountID: b.ID, Trigger: bankfeed.TriggerManual}
			if err := db.CreateSyncRun(ctx, rb); err != nil {
				t.Fatal(err)
			}
			rb.Outcome, rb.FailureClass = bankfeed.OutcomeFailed, string(bankfeed.FailLocked)
			if err := db.FinishSyncRun(ctx, rb); err != nil {
				t.Fatal(err)
			}
		}
		clock.Advance(time.Minute)
	}
	got, err := db.Attempts(ctx, []bankfeed.AccountID{a.ID, b.ID, never.ID}, 10)
	if err != nil {
		t.Fatal(err)
	}
	wantAll := map[bankfeed.AccountID][]store.Attempt{
		a.ID:     want,
		b.ID:     {{StartedAt: want[0].StartedAt, FailureClass: string(bankfeed.FailLocked)}},
		never.ID: nil,
	}
	if diff := cmp.Diff(wantAll, got); diff != "" {
		t.Errorf("Attempts, oldest first (-want +got):\n%s", diff)
	}
	// The limit keeps the latest.
	got, err = db.Attempts(ctx, []bankfeed.AccountID{a.ID}, 2)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want[2:], got[a.ID]); diff != "" {
		t.Errorf("Attempts, limit 2 (-want +got):\n%s", diff)
	}
}
