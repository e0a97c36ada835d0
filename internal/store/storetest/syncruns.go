package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/bankfeed/bankfeed"
	"github.com/bankfeed/bankfeed/internal/store"
)

func testSyncRunFields(t *testing.T, open Opener) {
	ctx := context.Background()
	clock := NewClock()
	db := open(t, clock.Now)
	a := seed(t, db, "1")
	conn := createConnection(t, db, newConnection("Everyday", a.InstitutionID))
	est := time.FixedZone("EST", -5*3600)
	const transcript = `{"request":"<OFX>…<USERPASS>***</USERPASS>","response":"HTTP/1.1 503\r\nRetry-After: 120","ñ":"\u0000"}`
	r := &bankfeed.SyncRun{AccountID: a.ID, ConnectionID: conn.ID, Trigger: bankfeed.TriggerSchedule,
		WindowStart: time.Date(2026, 2, 1, 0, 0, 0, 0, est), WindowEnd: time.Date(2026, 3, 1, 4, 30, 0, 0, est)}
	if err := db.CreateSyncRun(ctx, r); err != nil {
		t.Fatal(err)
	}
	started := clock.T
	if r.ID == 0 || !r.StartedAt.Equal(started) || r.Outcome != "running" {
		t.Errorf("created as %+v", r)
	}
	clock.Advance(2 * time.Second)
	r.Outcome, r.FailureClass, r.HTTPStatus, r.Error = bankfeed.OutcomeFailed, string(bankfeed.FailMaintenance), 503, "down"
	r.BankMessage = "Online banking is down for scheduled maintenance until 6:00 ET."
	r.RetryAt = clock.T.Add(2 * time.Minute).In(est)
	r.Transcript = transcript
	if err := db.FinishSyncRun(ctx, r); err != nil {
		t.Fatal(err)
	}
	finished := clock.T
	want := bankfeed.SyncRun{ID: r.ID, AccountID: a.ID, StartedAt: started, FinishedAt: &finished,
		Outcome: bankfeed.OutcomeFailed, FailureClass: string(bankfeed.FailMaintenance), HTTPStatus: 503, Error: "down",
		BankMessage:  r.BankMessage,
		ConnectionID: conn.ID, Trigger: bankfeed.TriggerSchedule, WindowStart: r.WindowStart, WindowEnd: r.WindowEnd,
		RetryAt: r.RetryAt, Transcript: transcript}
	got, err := db.SyncRun(ctx, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(&want, got); diff != "" {
		t.Errorf("SyncRun (-want +got):\n%s", diff)
	}
	list, err := db.FindSyncRuns(ctx, store.SyncRunFilter{ConnectionID: conn.ID})
	if err != nil || len(list) != 1 {
		t.Fatalf("FindSyncRuns = %d, %v", len(list), err)
	}
	want.Transcript = ""
	if diff := cmp.Diff(&want, list[0]); diff != "" {
		t.Errorf("FindSyncRuns, which leaves the transcript out (-want +got):\n%s", diff)
	}

	// A run that ends well clears what an earlier finish of it said.
	r.Outcome, r.FailureClass, r.HTTPStatus, r.Error, r.RetryAt, r.Transcript = bankfeed.OutcomeOK, "", 200, "", time.Time{}, ""
	r.FinishedAt, r.BankMessage = nil, ""
	clock.Advance(time.Second)
	if err := db.FinishSyncRun(ctx, r); err != nil {
		t.Fatal(err)
	}
	got, err = db.SyncRun(ctx, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !got.RetryAt.IsZero() || got.Transcript != "" || got.BankMessage != "" || got.FinishedAt == nil || !got.FinishedAt.Equal(clock.T) ||
		got.ConnectionID != conn.ID || got.Trigger != bankfeed.TriggerSchedule || !got.WindowEnd.Equal(r.WindowEnd) {
		t.Errorf("refinished run read back as %+v", got)
	}

	bare := &bankfeed.SyncRun{AccountID: a.ID}
	if err := db.CreateSyncRun(ctx, bare); err != nil {
		t.Fatal(err)
	}
	got, err = db.SyncRun(ctx, bare.ID)
	if err != nil || got.ConnectionID != 0 || got.Trigger != "" || !got.WindowStart.IsZero() || !got.WindowEnd.IsZero() ||
		!got.RetryAt.IsZero() || got.Transcript != "" {
		t.Errorf("run without the new fields read back as %+v, %v", got, err)
	}
	err = db.CreateSyncRun(ctx, &bankfeed.SyncRun{AccountID: a.ID, ConnectionID: 999})
	if code := bankfeed.ErrorCodeOf(err); code != bankfeed.ENotFound {
		t.Errorf("run of a missing connection: %v (code %q), want not_found", err, code)
	}
}

func testFindSyncRuns(t *testing.T, open Opener) {
	ctx := context.Background()
	clock := NewClock()
	db := open(t, clock.Now)
	a, b := seed(t, db, "1"), seed(t, db, "2")
	c1 := createConnection(t, db, newConnection("One", a.InstitutionID))
	c2 := createConnection(t, db, newConnection("Two", a.InstitutionID))
	t0 := clock.T
	runs := []*bankfeed.SyncRun{
		{AccountID: a.ID, ConnectionID: c1.ID, Trigger: bankfeed.TriggerSchedule, StartedAt: t0},
		{AccountID: a.ID, ConnectionID: c1.ID, Trigger: bankfeed.TriggerManual, StartedAt: t0.Add(time.Hour)},
		{AccountID: b.ID, Trigger: bankfeed.TriggerProbe, StartedAt: t0.Add(2 * time.Hour)},
		{AccountID: b.ID, ConnectionID: c2.ID, Trigger: bankfeed.TriggerSchedule, StartedAt: t0.Add(3 * time.Hour)},
		// Started in the same instant as the one before: the later id is newer.
		{AccountID: a.ID, ConnectionID: c1.ID, Trigger: bankfeed.TriggerSchedule, StartedAt: t0.Add(3 * time.Hour),
			Transcript: "{}"},
	}
	update(t, db, func(ctx context.Context, tx *store.Tx) error {
		for _, r := range runs {
			if err := tx.CreateSyncRun(ctx, r); err != nil {
				return err
			}
		}
		return nil
	})
	id := func(i int) bankfeed.SyncRunID { return runs[i].ID }
	tests := []struct {
		name string
		f    store.SyncRunFilter
		want []bankfeed.SyncRunID
	}{
		{"all, newest first", store.SyncRunFilter{}, []bankfeed.SyncRunID{id(4), id(3), id(2), id(1), id(0)}},
		{"account", store.SyncRunFilter{AccountID: a.ID}, []bankfeed.SyncRunID{id(4), id(1), id(0)}},
		{"connection", store.SyncRunFilter{ConnectionID: c1.ID}, []bankfeed.SyncRunID{id(4), id(1), id(0)}},
		{"other connection", store.SyncRunFilter{ConnectionID: c2.ID}, []bankfeed.SyncRunID{id(3)}},
		{"since, inclusive", store.SyncRunFilter{Since: t0.Add(time.Hour)}, []bankfeed.SyncRunID{id(4), id(3), id(2), id(1)}},
		{"since in another zone", store.SyncRunFilter{Since: t0.Add(2 * time.Hour).In(time.FixedZone("X", -7*3600))},
			[]bankfeed.SyncRunID{id(4), id(3), id(2)}},
		{"limit", store.SyncRunFilter{Limit: 2}, []bankfeed.SyncRunID{id(4), id(3)}},
		{"account, since and limit", store.SyncRunFilter{AccountID: b.ID, Since: t0.Add(time.Minute), Limit: 1},
			[]bankfeed.SyncRunID{id(3)}},
		{"account and connection", store.SyncRunFilter{AccountID: b.ID, ConnectionID: c1.ID}, nil},
		{"since after every run", store.SyncRunFilter{Since: t0.Add(4 * time.Hour)}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := db.FindSyncRuns(ctx, tc.f)
			if err != nil {
				t.Fatal(err)
			}
			var ids []bankfeed.SyncRunID
			for _, r := range got {
				ids = append(ids, r.ID)
				if r.Transcript != "" {
					t.Errorf("run %d listed with its transcript", r.ID)
				}
			}
			if diff := cmp.Diff(tc.want, ids); diff != "" {
				t.Errorf("FindSyncRuns (-want +got):\n%s", diff)
			}
		})
	}
	if got, err := db.SyncRun(ctx, id(4)); err != nil || got.Transcript != "{}" {
		t.Errorf("SyncRun = %+v, %v; want its transcript", got, err)
	}
	if got, err := db.SyncRuns(ctx, b.ID, 1); err != nil || len(got) != 1 || got[0].ID != id(3) {
		t.Errorf("SyncRuns(b, 1) = %v, %v; want run %d", got, err, id(3))
	}
}
