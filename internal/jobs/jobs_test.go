package jobs

import (
	"context"
	"database/sql"
	"errors"
	"log/slog"
	"net/url"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	_ "modernc.org/sqlite"

	"github.com/bankfeed/bankfeed"
)

// testTimeout bounds every wait in these tests; none is a speed check.
const testTimeout = 60 * time.Second

// openDB opens a database file the way the store opens its writer: one
// connection, WAL, a busy timeout, IMMEDIATE transactions; River's tables
// are migrated.
func openDB(t *testing.T) *sql.DB {
	t.Helper()
	db := openWriter(t, filepath.Join(t.TempDir(), "bankfeed.db"))
	if err := Migrate(t.Context(), db); err != nil {
		t.Fatal(err)
	}
	return db
}

func openWriter(t *testing.T, path string) *sql.DB {
	t.Helper()
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	q.Set("_journal_mode", "WAL")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Set("_txlock", "immediate")
	db, err := sql.Open("sqlite", "file:"+(&url.URL{Path: path}).EscapedPath()+"?"+q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	db.SetConnMaxLifetime(0)
	db.SetConnMaxIdleTime(0)
	t.Cleanup(func() { db.Close() })
	return db
}

// fakeSyncer records the calls it gets. SyncConnection blocks while the
// connection is held (hold), and fails with errs[id].
type fakeSyncer struct {
	mu       sync.Mutex
	due      []bankfeed.ConnectionID
	dueTimes []time.Time
	errs     map[bankfeed.ConnectionID]error
	held     map[bankfeed.ConnectionID]chan struct{}
	calls    []syncCall
	running  map[bankfeed.ConnectionID]int
	overlaps int // calls that started while another of the same connection ran
	// work, when set, runs inside every sync.
	work func(ctx context.Context, id bankfeed.ConnectionID) error
}

type syncCall struct {
	id        bankfeed.ConnectionID
	manual    bool
	done      bool
	cancelled bool // the sync's context ended before it returned
}

func newFakeSyncer(due ...bankfeed.ConnectionID) *fakeSyncer {
	return &fakeSyncer{
		due:     due,
		errs:    map[bankfeed.ConnectionID]error{},
		held:    map[bankfeed.ConnectionID]chan struct{}{},
		running: map[bankfeed.ConnectionID]int{},
	}
}

func (f *fakeSyncer) Due(_ context.Context, now time.Time) ([]bankfeed.ConnectionID, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.dueTimes = append(f.dueTimes, now)
	return slices.Clone(f.due), nil
}

func (f *fakeSyncer) SyncConnection(ctx context.Context, id bankfeed.ConnectionID, manual bool) error {
	f.mu.Lock()
	if f.running[id] > 0 {
		f.overlaps++
	}
	f.running[id]++
	n := len(f.calls)
	f.calls = append(f.calls, syncCall{id: id, manual: manual})
	hold, work, err := f.held[id], f.work, f.errs[id]
	f.mu.Unlock()

	if hold != nil {
		select {
		case <-hold:
		case <-ctx.Done():
		}
	}
	if work != nil {
		if werr := work(ctx, id); werr != nil {
			err = werr
		}
	}

	f.mu.Lock()
	defer f.mu.Unlock()
	f.running[id]--
	f.calls[n].done = true
	f.calls[n].cancelled = ctx.Err() != nil
	if f.calls[n].cancelled && err == nil {
		err = ctx.Err()
	}
	return err
}

// hold makes syncs of id block until the returned func is called.
func (f *fakeSyncer) hold(id bankfeed.ConnectionID) (release func()) {
	ch := make(chan struct{})
	f.mu.Lock()
	f.held[id] = ch
	f.mu.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			f.mu.Lock()
			delete(f.held, id)
			f.mu.Unlock()
			close(ch)
		})
	}
}

func (f *fakeSyncer) setErr(id bankfeed.ConnectionID, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.errs[id] = err
}

func (f *fakeSyncer) snapshot() (calls []syncCall, overlaps int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.calls), f.overlaps
}

// count returns the calls for id, and how many of them are running.
func (f *fakeSyncer) count(id bankfeed.ConnectionID) (calls, running int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, c := range f.calls {
		if c.id == id {
			calls++
		}
	}
	return calls, f.running[id]
}

// newRunner returns a runner over db with test-sized timings; it is stopped
// at the end of the test if it was started.
func newRunner(t *testing.T, db *sql.DB, s Syncer, opts Options) *Runner {
	t.Helper()
	if opts.Tick == 0 {
		opts.Tick = time.Hour // one pass at start, none after
	}
	if opts.FetchPoll == 0 {
		opts.FetchPoll = 20 * time.Millisecond
	}
	if opts.retryDelay == 0 {
		opts.retryDelay = 10 * time.Millisecond
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	r, err := New(db, s, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
		defer cancel()
		if err := r.Stop(ctx); err != nil {
			t.Errorf("stop: %v", err)
		}
	})
	return r
}

func start(t *testing.T, r *Runner) {
	t.Helper()
	if err := r.Start(context.WithoutCancel(t.Context())); err != nil {
		t.Fatal(err)
	}
}

// waitFor polls cond until it holds, failing the test after testTimeout.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(testTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func waitIdle(t *testing.T, r *Runner) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), testTimeout)
	defer cancel()
	if err := r.WaitIdle(ctx); err != nil {
		t.Fatal(err)
	}
}

func syncNow(t *testing.T, r *Runner, id bankfeed.ConnectionID, manual bool) bool {
	t.Helper()
	queued, err := r.SyncNow(t.Context(), id, manual)
	if err != nil {
		t.Fatal(err)
	}
	return queued
}

// jobStates lists the states of the sync jobs of connection id, oldest first.
func jobStates(t *testing.T, db *sql.DB, id bankfeed.ConnectionID) []string {
	t.Helper()
	rows, err := db.QueryContext(t.Context(),
		`SELECT state FROM river_job WHERE kind = ? AND json_extract(args, '$.connection_id') = ? ORDER BY id`,
		kindSync, int64(id))
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var states []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		states = append(states, s)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return states
}

func TestScheduleQueuesDueConnections(t *testing.T) {
	db := openDB(t)
	f := newFakeSyncer(1, 2, 3, 2) // Due may repeat an id
	clock := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	r := newRunner(t, db, f, Options{Now: func() time.Time { return clock }})
	start(t, r)

	waitFor(t, "a sync of every due connection", func() bool {
		for _, id := range []bankfeed.ConnectionID{1, 2, 3} {
			if n, running := f.count(id); n == 0 || running > 0 {
				return false
			}
		}
		return true
	})
	waitIdle(t, r)

	calls, _ := f.snapshot()
	got := map[bankfeed.ConnectionID]int{}
	for _, c := range calls {
		got[c.id]++
		if c.manual {
			t.Errorf("connection %d: scheduled sync ran as manual", c.id)
		}
	}
	for _, id := range []bankfeed.ConnectionID{1, 2, 3} {
		if got[id] != 1 {
			t.Errorf("connection %d synced %d times, want 1", id, got[id])
		}
	}
	f.mu.Lock()
	dueTimes := slices.Clone(f.dueTimes)
	f.mu.Unlock()
	if len(dueTimes) == 0 || !dueTimes[0].Equal(clock) {
		t.Errorf("Due called at %v, want the injected clock %v", dueTimes, clock)
	}
}

func TestNoConcurrentSyncsOfOneConnection(t *testing.T) {
	db := openDB(t)
	ids := []bankfeed.ConnectionID{1, 2, 3}
	f := newFakeSyncer(ids...)
	f.work = func(ctx context.Context, _ bankfeed.ConnectionID) error {
		time.Sleep(2 * time.Millisecond) // long enough for requests to pile up
		return nil
	}
	// Due returns every connection on every tick, and ticks come faster
	// than syncs finish.
	r := newRunner(t, db, f, Options{Tick: 10 * time.Millisecond, Workers: 8})
	start(t, r)

	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := range 8 {
		wg.Go(func() {
			for i := range 40 {
				id := ids[(g+i)%len(ids)]
				if _, err := r.SyncNow(t.Context(), id, i%2 == 0); err != nil {
					errs <- err
					return
				}
				time.Sleep(time.Millisecond)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	waitFor(t, "several syncs of every connection", func() bool {
		for _, id := range ids {
			if n, _ := f.count(id); n < 3 {
				return false
			}
		}
		return true
	})

	ctx, cancel := context.WithTimeout(t.Context(), testTimeout)
	defer cancel()
	if err := r.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	calls, overlaps := f.snapshot()
	if overlaps > 0 {
		t.Errorf("%d syncs started while another sync of the same connection ran (of %d)", overlaps, len(calls))
	}
}

func TestSyncNowWhileQueuedOrRunning(t *testing.T) {
	tests := []struct {
		name    string
		started bool // whether the runner works jobs
	}{
		{name: "queued", started: false},
		{name: "running", started: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := openDB(t)
			f := newFakeSyncer()
			release := f.hold(7)
			defer release()
			r := newRunner(t, db, f, Options{})

			if !syncNow(t, r, 7, false) {
				t.Fatal("first SyncNow: queued = false, want true")
			}
			if tt.started {
				start(t, r)
				waitFor(t, "the sync to start", func() bool { _, running := f.count(7); return running == 1 })
			}
			for _, manual := range []bool{false, true} {
				if syncNow(t, r, 7, manual) {
					t.Errorf("SyncNow(manual=%v) while a sync is %s: queued = true, want false", manual, tt.name)
				}
			}
			if !syncNow(t, r, 8, false) {
				t.Error("SyncNow of another connection: queued = false, want true")
			}
			if !tt.started {
				return
			}

			release()
			waitIdle(t, r)
			if n, _ := f.count(7); n != 1 {
				t.Errorf("connection 7 synced %d times, want 1", n)
			}
			if !syncNow(t, r, 7, false) {
				t.Error("SyncNow after the sync finished: queued = false, want true")
			}
			waitIdle(t, r)
		})
	}
}

func TestManualReachesSyncer(t *testing.T) {
	tests := []struct {
		name   string
		manual bool
	}{
		{name: "manual", manual: true},
		{name: "automatic", manual: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := openDB(t)
			f := newFakeSyncer()
			r := newRunner(t, db, f, Options{})
			start(t, r)
			syncNow(t, r, 5, tt.manual)
			waitFor(t, "the sync", func() bool { n, running := f.count(5); return n == 1 && running == 0 })
			waitIdle(t, r)
			calls, _ := f.snapshot()
			if len(calls) != 1 || calls[0].manual != tt.manual {
				t.Errorf("calls = %+v, want one with manual = %v", calls, tt.manual)
			}
		})
	}
}

func TestEngineErrorRetriedThenDiscarded(t *testing.T) {
	db := openDB(t)
	f := newFakeSyncer()
	f.setErr(4, errors.New("disk I/O error"))
	r := newRunner(t, db, f, Options{})
	start(t, r)

	syncNow(t, r, 4, false)
	waitFor(t, "the job to be discarded", func() bool {
		states := jobStates(t, db, 4)
		return len(states) == 1 && states[0] == "discarded"
	})
	waitIdle(t, r)
	if n, _ := f.count(4); n != syncMaxAttempts {
		t.Errorf("connection 4 synced %d times, want %d", n, syncMaxAttempts)
	}
	// A discarded job no longer holds the connection.
	f.setErr(4, nil)
	if !syncNow(t, r, 4, false) {
		t.Error("SyncNow after the job was discarded: queued = false, want true")
	}
	waitIdle(t, r)
	if got, want := jobStates(t, db, 4), []string{"discarded", "completed"}; !slices.Equal(got, want) {
		t.Errorf("job states = %v, want %v", got, want)
	}
}

func TestBankFailureCompletesJob(t *testing.T) {
	// A bank failure is recorded by the syncer, which returns nil: the job
	// completes on its first attempt.
	db := openDB(t)
	f := newFakeSyncer()
	r := newRunner(t, db, f, Options{})
	start(t, r)
	syncNow(t, r, 9, false)
	waitFor(t, "the job to complete", func() bool { return slices.Equal(jobStates(t, db, 9), []string{"completed"}) })
	if n, _ := f.count(9); n != 1 {
		t.Errorf("connection 9 synced %d times, want 1", n)
	}
}

func TestStop(t *testing.T) {
	tests := []struct {
		name          string
		stopTimeout   time.Duration // 0: release the sync while Stop waits
		wantCancelled bool
		wantErr       error
	}{
		{name: "waits for running sync", stopTimeout: 0, wantCancelled: false},
		{name: "cancels sync at deadline", stopTimeout: 200 * time.Millisecond, wantCancelled: true, wantErr: context.DeadlineExceeded},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := openDB(t)
			f := newFakeSyncer()
			release := f.hold(3)
			defer release()
			r := newRunner(t, db, f, Options{})
			start(t, r)
			syncNow(t, r, 3, false)
			waitFor(t, "the sync to start", func() bool { _, running := f.count(3); return running == 1 })

			timeout := testTimeout
			if tt.stopTimeout > 0 {
				timeout = tt.stopTimeout
			}
			ctx, cancel := context.WithTimeout(t.Context(), timeout)
			defer cancel()
			stopped := make(chan error, 1)
			go func() { stopped <- r.Stop(ctx) }()

			if tt.stopTimeout == 0 {
				select {
				case err := <-stopped:
					t.Fatalf("Stop returned %v while a sync was running", err)
				case <-time.After(100 * time.Millisecond):
				}
				release()
			}
			var err error
			select {
			case err = <-stopped:
			case <-time.After(testTimeout):
				t.Fatal("Stop did not return")
			}
			if tt.wantErr == nil && err != nil || tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Errorf("Stop = %v, want %v", err, tt.wantErr)
			}
			calls, _ := f.snapshot()
			if len(calls) != 1 || !calls[0].done || calls[0].cancelled != tt.wantCancelled {
				t.Errorf("calls = %+v, want one done, cancelled = %v", calls, tt.wantCancelled)
			}
		})
	}
}

func TestMigrateTwice(t *testing.T) {
	db := openWriter(t, filepath.Join(t.TempDir(), "bankfeed.db"))
	for i := range 2 {
		if err := Migrate(t.Context(), db); err != nil {
			t.Fatalf("Migrate #%d: %v", i+1, err)
		}
	}
	var n int
	if err := db.QueryRowContext(t.Context(), `SELECT count(*) FROM river_job`).Scan(&n); err != nil {
		t.Fatal(err)
	}
}

func TestNewOptions(t *testing.T) {
	db := openDB(t)
	tests := []struct {
		name    string
		syncer  Syncer
		opts    Options
		wantErr bool
	}{
		{name: "defaults", syncer: newFakeSyncer(), opts: Options{}},
		{name: "no syncer", syncer: nil, wantErr: true},
		{name: "negative workers", syncer: newFakeSyncer(), opts: Options{Workers: -1}, wantErr: true},
		{name: "negative tick", syncer: newFakeSyncer(), opts: Options{Tick: -time.Second}, wantErr: true},
		{name: "negative fetch poll", syncer: newFakeSyncer(), opts: Options{FetchPoll: -time.Second}, wantErr: true},
		{name: "fetch poll below cooldown", syncer: newFakeSyncer(), opts: Options{FetchPoll: time.Millisecond}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(db, tt.syncer, tt.opts)
			if (err != nil) != tt.wantErr {
				t.Fatalf("New = %v, want error %v", err, tt.wantErr)
			}
			if err != nil && bankfeed.ErrorCodeOf(err) != bankfeed.EInvalid {
				t.Errorf("error code = %q, want %q", bankfeed.ErrorCodeOf(err), bankfeed.EInvalid)
			}
		})
	}
	if _, err := (&Runner{}).SyncNow(t.Context(), 0, false); bankfeed.ErrorCodeOf(err) != bankfeed.EInvalid {
		t.Errorf("SyncNow(0) = %v, want an invalid error", err)
	}
}

// TestSharedFile runs River's tables beside unrelated ones in one file, with
// every sync writing through the same single connection River uses (as the
// syncer commits through the store's writer), while another goroutine keeps
// writing too.
func TestSharedFile(t *testing.T) {
	db := openDB(t)
	if _, err := db.ExecContext(t.Context(), `CREATE TABLE sync_runs (id INTEGER PRIMARY KEY, connection_id INTEGER NOT NULL, note TEXT NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	write := func(ctx context.Context, id bankfeed.ConnectionID, note string) error {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		defer tx.Rollback()
		for range 3 {
			if _, err := tx.ExecContext(ctx, `INSERT INTO sync_runs (connection_id, note) VALUES (?, ?)`, int64(id), note); err != nil {
				return err
			}
		}
		return tx.Commit()
	}

	ids := []bankfeed.ConnectionID{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
	f := newFakeSyncer(ids...)
	f.work = func(ctx context.Context, id bankfeed.ConnectionID) error { return write(ctx, id, "sync") }
	r := newRunner(t, db, f, Options{Workers: 4})

	ctx, cancel := context.WithCancel(t.Context())
	var wg sync.WaitGroup
	var writeErr error
	wg.Go(func() {
		for ctx.Err() == nil {
			if err := write(ctx, 0, "other"); err != nil && ctx.Err() == nil {
				writeErr = err
				return
			}
			time.Sleep(time.Millisecond)
		}
	})
	start(t, r)
	waitFor(t, "every due connection synced", func() bool {
		for _, id := range ids {
			if n, running := f.count(id); n == 0 || running > 0 {
				return false
			}
		}
		return true
	})
	waitIdle(t, r)
	for _, id := range ids {
		if !syncNow(t, r, id, true) {
			t.Errorf("SyncNow(%d) after its sync finished: queued = false, want true", id)
		}
	}
	waitIdle(t, r)
	cancel()
	wg.Wait()
	if writeErr != nil {
		t.Fatalf("concurrent write: %v", writeErr)
	}

	for _, id := range ids {
		if got := jobStates(t, db, id); !slices.Equal(got, []string{"completed", "completed"}) {
			t.Errorf("connection %d: job states %v, want two completed", id, got)
		}
	}
	var syncRows, otherRows int
	if err := db.QueryRowContext(t.Context(), `SELECT count(*) FILTER (WHERE note = 'sync'), count(*) FILTER (WHERE note = 'other') FROM sync_runs`).Scan(&syncRows, &otherRows); err != nil {
		t.Fatal(err)
	}
	if want := 3 * 2 * len(ids); syncRows != want || otherRows == 0 {
		t.Errorf("rows written by syncs = %d (want %d), by the other writer = %d (want some)", syncRows, want, otherRows)
	}
	var check string
	if err := db.QueryRowContext(t.Context(), `PRAGMA integrity_check`).Scan(&check); err != nil || check != "ok" {
		t.Errorf("integrity check = %q, %v", check, err)
	}
}

// TestRescueDeadWorker: a sync left running by a worker that is gone runs
// again at the next start, while one of a live worker is left alone.
func TestRescueDeadWorker(t *testing.T) {
	for _, tt := range []struct {
		name  string
		dead  bool
		calls int
	}{
		{name: "dead worker", dead: true, calls: 2},
		{name: "live worker", dead: false, calls: 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			db := openDB(t)
			f := newFakeSyncer()
			release := f.hold(7)
			defer release()
			a := newRunner(t, db, f, Options{ID: "host-a/1/aaaa"})
			start(t, a)
			syncNow(t, a, 7, true)
			waitFor(t, "the first sync", func() bool { _, running := f.count(7); return running == 1 })
			// A second process starts and sees the first as dead (or not).
			b := newRunner(t, db, f, Options{ID: "host-b/2/bbbb", Dead: func(id string) bool {
				return tt.dead && id == "host-a/1/aaaa"
			}})
			if err := b.rescueDead(t.Context()); err != nil {
				t.Fatal(err)
			}
			if tt.dead {
				waitFor(t, "the rescued sync", func() bool { n, _ := f.count(7); return n == 2 })
			} else {
				time.Sleep(100 * time.Millisecond) // a fetch or two: nothing may pick it up
				if states := jobStates(t, db, 7); len(states) != 1 || states[0] != "running" {
					t.Errorf("states = %v, want [running]", states)
				}
			}
			release()
			waitIdle(t, a)
			if n, _ := f.count(7); n != tt.calls {
				t.Errorf("syncs of connection 7 = %d, want %d", n, tt.calls)
			}
		})
	}
}
