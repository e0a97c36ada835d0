package syncer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bankfeed/bankfeed"
	"github.com/bankfeed/bankfeed/internal/importer"
	"github.com/bankfeed/bankfeed/internal/ofx"
	"github.com/bankfeed/bankfeed/internal/scheduler"
	"github.com/bankfeed/bankfeed/internal/source/ofxdirect"
	"github.com/bankfeed/bankfeed/internal/store"
)

// Result is what one sync of a connection did.
type Result struct {
	Connection *bankfeed.Connection // as it stands after the sync
	Accounts   []*AccountResult
	// Skipped says why the connection was not synced at all, or "".
	Skipped string
	// Warning is for a manual sync that will likely fail again or do
	// harm (a locked login).
	Warning string
	// Probe is true when the sync tested an institution's open circuit.
	Probe bool
}

// AccountResult is what one sync did for one account.
type AccountResult struct {
	Account *bankfeed.ConnectionAccount
	// Run is the run recorded; nil when the account was not tried.
	Run *bankfeed.SyncRun
	// Skipped says why the account was not tried, or "".
	Skipped string
	// State, Next and Reason are the account's standing after the sync.
	State  bankfeed.ConnectionState
	Next   time.Time
	Reason string
}

// SyncConnection syncs one connection; bank failures are recorded, not
// returned. It is what the job queue runs.
func (s *Syncer) SyncConnection(ctx context.Context, id bankfeed.ConnectionID, manual bool) error {
	_, err := s.Sync(ctx, id, manual)
	return err
}

// Sync runs one sync of a connection's accounts. manual is the user asking:
// it bypasses backoff and an open circuit's wait (the sync is then the
// probe), and it is the user acting on a connection that waits for them.
// The error is for the engine's own failures; a bank's is in the Result.
func (s *Syncer) Sync(ctx context.Context, id bankfeed.ConnectionID, manual bool) (*Result, error) {
	st, err := s.db.SyncStartRuns(ctx, id, historyLimit)
	if err != nil {
		return nil, err
	}
	c := st.Connection
	res := &Result{Connection: c, Accounts: []*AccountResult{}}
	now := s.now()
	switch {
	case c.Disabled:
		res.Skipped = "disabled; enable it to sync"
		return res, nil
	case !manual && c.NextAttemptAt.IsZero():
		res.Skipped = "waiting for you: " + c.Reason
		return res, nil
	case !manual && c.NextAttemptAt.After(now):
		res.Skipped = "not due until " + c.NextAttemptAt.Format(time.RFC3339)
		return res, nil
	}
	creds, err := s.openCredentials(c, st.Sealed)
	if err != nil {
		return nil, err
	}
	client, err := s.client(c.Profile)
	if err != nil {
		return nil, err
	}

	circuit := st.Circuit
	if circuit != nil && circuit.Open {
		if !manual && (circuit.NextProbeAt.IsZero() || circuit.NextProbeAt.After(now)) {
			res.Skipped = "waiting for the bank: " + circuit.Reason
			return res, s.waitForCircuit(ctx, res, circuit)
		}
		ok, err := s.takeProbe(ctx, c.InstitutionID, circuit, manual)
		if err != nil {
			return nil, err
		}
		if !ok {
			res.Skipped = "another sync is testing whether the bank is back"
			return res, nil
		}
		defer s.dropProbe(c.InstitutionID)
		res.Probe = true
	}

	// A new connection, or one whose user just acted (a new password,
	// Resume, Reset), tries every account, and so does one that has just
	// listed its accounts again.
	// A probe tries an account whatever its own history says: the
	// circuit's probe time governs.
	fresh := c.State == bankfeed.ConnNew || res.Probe
	listed := false
	// A connection with no accounts yet lists them; so does one set up
	// again (reset) or with a password not yet proven, keeping each
	// account it knows on the feed it fills.
	if len(c.Accounts) == 0 || (c.State == bankfeed.ConnNew && !c.Verified) {
		if err := s.discover(ctx, c, client, creds, res); err != nil || res.Skipped != "" {
			return res, err
		}
		fresh, listed = true, true
	}

	// The accounts' histories as the sync began, unless it has just
	// listed the accounts.
	histories := attemptsOf(st.Attempts)
	if listed {
		if histories, err = s.histories(ctx, c); err != nil {
			return nil, err
		}
	}
	if manual {
		res.Warning = s.manualWarning(c, histories, now)
	}
	var todo []*AccountResult
	for _, a := range c.Accounts {
		ar := &AccountResult{Account: a}
		res.Accounts = append(res.Accounts, ar)
		switch {
		case !a.Enabled:
			ar.Skipped = "switched off"
		case !manual && !fresh:
			if why := s.notDue(histories[a.AccountID], now); why != "" {
				ar.Skipped = why
			} else {
				todo = append(todo, ar)
			}
		default:
			todo = append(todo, ar)
		}
	}
	for _, ar := range res.Accounts {
		if ar.Skipped != "" {
			s.progress(Event{Connection: c, Account: ar.Account, Step: "skipped", Why: ar.Skipped})
		}
	}

	trigger := bankfeed.TriggerSchedule
	switch {
	case res.Probe:
		trigger = bankfeed.TriggerProbe
	case manual:
		trigger = bankfeed.TriggerManual
	}
	rc := &runCtx{s: s, c: c, client: client, creds: creds, trigger: trigger, listed: listed, began: now}
	// An unproven password, or a bank that may still be down, is tried on
	// one account first: a rejected password is sent once, not once per
	// account, and a probe is one request.
	// One at a time until the bank has answered one: an account another
	// worker holds gives no verdict.
	first := 0
	if res.Probe || !c.Verified && !listed {
		for first < len(todo) {
			ar := todo[first]
			first++
			rc.account(ctx, ar)
			if ar.Run != nil || rc.stopped() != "" {
				break
			}
		}
	}
	var wg sync.WaitGroup
	for _, ar := range todo[first:] {
		if reason := rc.stopped(); reason != "" {
			ar.Skipped = reason
			s.progress(Event{Connection: c, Account: ar.Account, Step: "skipped", Why: reason})
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			rc.account(ctx, ar)
		}()
	}
	wg.Wait()
	if err := rc.err(); err != nil {
		return res, err
	}
	return res, s.settle(ctx, res, rc)
}

// runCtx is one sync of one connection, shared by its accounts' goroutines.
type runCtx struct {
	s       *Syncer
	c       *bankfeed.Connection
	client  *ofxdirect.Client
	creds   ofxdirect.Credentials
	trigger string
	listed  bool      // the bank answered the account list
	began   time.Time // when the sync started

	mu       sync.Mutex
	stop     string // why the remaining accounts are not tried
	engine   error  // the first engine failure
	verified atomic.Int32
	blocked  atomic.Bool // a failure only the user can clear stopped the login
}

func (rc *runCtx) stopped() string {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return rc.stop
}

func (rc *runCtx) halt(why string) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if rc.stop == "" {
		rc.stop = why
	}
}

func (rc *runCtx) fail(err error) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if rc.engine == nil {
		rc.engine = err
	}
	if rc.stop == "" {
		rc.stop = "stopped: " + err.Error()
	}
}

func (rc *runCtx) err() error {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return rc.engine
}

// account runs one account's sync: take its lease and a slot, fetch, and
// commit the run.
func (rc *runCtx) account(ctx context.Context, ar *AccountResult) {
	s, c, a := rc.s, rc.c, ar.Account
	if reason := rc.stopped(); reason != "" {
		ar.Skipped = reason
		s.progress(Event{Connection: c, Account: a, Step: "skipped", Why: reason})
		return
	}
	s.progress(Event{Connection: c, Account: a, Step: "waiting"})
	run := &bankfeed.SyncRun{AccountID: a.AccountID, ConnectionID: c.ID, Trigger: rc.trigger}
	var cursorEnd time.Time
	// Read in the transaction that takes the leases: whether the sync may
	// still go on, and the account's window.
	check := func(tx *store.Tx) (string, error) {
		g, cur, err := tx.GateCursor(ctx, c.ID, c.InstitutionID, a.AccountID)
		if err != nil {
			return "", err
		}
		if why := rc.gateReason(g); why != "" {
			return why, nil
		}
		run.StartedAt = s.now()
		run.WindowEnd = run.StartedAt
		run.WindowStart = run.StartedAt.Add(-s.opts.FirstWindow)
		cursorEnd = time.Time{}
		if cur != nil {
			run.WindowStart = cur.StatementEnd.Add(-s.opts.Overlap)
			cursorEnd = cur.StatementEnd
		}
		return "", nil
	}
	h, err := s.acquire(ctx, c.InstitutionID, a.AccountID, check)
	var paused *errPaused
	switch {
	case errors.Is(err, errBusy):
		ar.Skipped = "another sync of this account is running"
		s.progress(Event{Connection: c, Account: a, Step: "skipped", Why: ar.Skipped})
		return
	case errors.As(err, &paused):
		rc.halt(paused.why)
		ar.Skipped = paused.why
		s.progress(Event{Connection: c, Account: a, Step: "skipped", Why: paused.why})
		return
	case err != nil:
		if ctx.Err() == nil {
			rc.fail(err)
		}
		ar.Skipped = "not synced: " + err.Error()
		return
	}
	defer h.release()
	// Checked again with the slot held: an account that waited for a slot
	// must not sign on after another account's sign-on was refused, here
	// or in another sync, nor ask a bank whose circuit opened meanwhile.
	// One whose slot came with its lease was checked in that transaction.
	reason := rc.stopped()
	if reason == "" && !h.checked {
		g, err := s.db.Gate(ctx, c.ID, c.InstitutionID)
		if err != nil {
			s.releaseAlone(h)
			if ctx.Err() == nil {
				rc.fail(err)
			}
			ar.Skipped = "not synced: " + err.Error()
			return
		}
		if reason = rc.gateReason(g); reason != "" {
			rc.halt(reason)
		}
	}
	if reason != "" {
		s.releaseAlone(h)
		ar.Skipped = reason
		s.progress(Event{Connection: c, Account: a, Step: "skipped", Why: reason})
		return
	}

	s.progress(Event{Connection: c, Account: a, Step: "fetching"})
	ref := ofx.AccountRef{BankID: a.BankID, AcctID: a.Number, AcctType: a.Type}
	resp, ex, ferr := rc.client.Statement(ctx, institution(c.Profile), rc.creds, a.Kind, ref, run.WindowStart, run.WindowEnd)
	if ferr == nil {
		ferr = checkAccount(resp, a)
	}
	if ferr == nil {
		// The bank is done with this request: the next may go while this
		// answer is written. A failure keeps its slot until it is
		// recorded, so no request goes to a failing bank meanwhile.
		// Yielding lets the run that takes the slot send its request
		// first: on a busy machine it would otherwise wait for this
		// goroutine to write its answer.
		h.letGo()
		runtime.Gosched()
	}
	if ctx.Err() != nil {
		// Stopped on purpose: nothing to record, the next start retries.
		s.releaseAlone(h)
		ar.Skipped = "stopped"
		return
	}
	run.Transcript = transcript(ex, ferr == nil)
	if ferr == nil {
		s.progress(Event{Connection: c, Account: a, Step: "importing"})
		err = s.commitOK(ctx, run, a, h, resp, ex.Raw, statementEnd(resp, run.WindowEnd, cursorEnd))
		if err == nil {
			rc.verified.Store(1)
			ar.Run = run
			s.log.Info("sync run", "connection", c.Name, "account", a.Number, "run", run.ID,
				"new", run.New, "duplicates", run.Duplicate)
			s.progress(Event{Connection: c, Account: a, Step: "done", Run: run})
			return
		}
		if ctx.Err() != nil {
			s.releaseAlone(h)
			ar.Skipped = "stopped"
			return
		}
		// The answer could not be taken whole: the run fails, nothing of
		// it is kept but the transcript, answer and all.
		run.ImportCounts = bankfeed.ImportCounts{}
		run.Transcript = transcript(ex, false)
		class := bankfeed.FailInternal // our own store failed, not the bank
		var se *ofx.SyntaxError
		if errors.As(err, &se) {
			class = bankfeed.FailDataIncomplete
		}
		ferr = &ofxdirect.FetchError{Class: class, Err: err}
	}
	class := ofxdirect.ClassOf(ferr)
	if class == "" {
		class = bankfeed.FailInternal
	}
	fillFailure(run, class, ferr)
	if class.NeedsUser() {
		rc.verified.Store(-1)
		rc.halt("not tried: " + string(class) + " on another account of this login")
	}
	if opensCircuit(class) || class.BankSide() {
		rc.halt("not tried: the bank is failing (" + string(class) + ")")
	}
	if class.BankSide() && !opensCircuit(class) {
		// The whole login fails the same way until the user acts.
		rc.blocked.Store(true)
	}
	if err := s.commitFailed(ctx, run, c, h); err != nil {
		rc.fail(err)
	}
	ar.Run = run
	s.log.Info("sync run failed", "connection", c.Name, "account", a.Number, "run", run.ID,
		"class", run.FailureClass, "http", run.HTTPStatus, "ofx", run.OFXStatus)
	s.progress(Event{Connection: c, Account: a, Step: "failed", Run: run})
}

// gateReason says why the sync must not send its next request, or "": a
// circuit opened since it began (another sync met the bank failing; only
// the probe tests the bank), or a refusal of the login since (another
// worker's sync of it: a refused password is not sent again).
func (rc *runCtx) gateReason(g *store.Gate) string {
	if rc.trigger != bankfeed.TriggerProbe && g.Circuit.Open {
		return "waiting for the bank: " + g.Circuit.Reason
	}
	if !waitsForUser(rc.c) && g.Found && g.State == bankfeed.ConnNeedsAction && g.Next.IsZero() {
		return "not tried: the bank refused this login in another sync"
	}
	return ""
}

// transcript is the run's record of its exchange, "" when none was made.
// imported leaves the answer's body out: it is the run's lines, now in the
// feed, and a first sync's would double what the run writes.
func transcript(ex *ofxdirect.Exchange, imported bool) string {
	if ex == nil {
		return ""
	}
	t := *ex
	if imported {
		t.ResponseBody, t.BodyCut = "", false
	}
	b, err := json.Marshal([]*ofxdirect.Exchange{&t})
	if err != nil {
		return ""
	}
	return string(b)
}

// waitsForUser reports whether a connection waits for its user to act,
// with no automatic attempt.
func waitsForUser(c *bankfeed.Connection) bool {
	return c.State == bankfeed.ConnNeedsAction && c.NextAttemptAt.IsZero()
}

// checkAccount makes sure the answer is about the account asked for, so no
// line lands in the wrong feed.
func checkAccount(resp *ofx.Response, a *bankfeed.ConnectionAccount) error {
	for _, st := range resp.Statements {
		if st.Account.AcctID != "" && st.Account.AcctID != a.Number {
			return &ofxdirect.FetchError{Class: bankfeed.FailDataIncomplete,
				Err: fmt.Errorf("the bank answered with account %s for account %s", mask(st.Account.AcctID), mask(a.Number))}
		}
	}
	return nil
}

// mask shows the last four characters of an account number.
func mask(n string) string {
	if len(n) <= 4 {
		return n
	}
	return "…" + n[len(n)-4:]
}

// statementEnd is where the next window starts from: the statement's end
// as the bank gave it (no later than the window's end), else the window's
// end. It never moves back.
func statementEnd(resp *ofx.Response, windowEnd, prev time.Time) time.Time {
	end := windowEnd
	for _, st := range resp.Statements {
		if st.End.Valid && st.End.Time.Before(end) {
			end = st.End.Time
		}
	}
	if end.Before(prev) {
		return prev
	}
	return end.UTC()
}

// opensCircuit reports whether a failure pauses the whole institution: the
// bank's own failures, and its rate limit, which counts this application's
// requests across every login.
func opensCircuit(c bankfeed.FailureClass) bool {
	// A bank-side failure only the user can clear (an untrusted
	// certificate, a firewall) has no probe time: it leaves each login
	// waiting for its user rather than the whole bank for a probe.
	return (c.BankSide() && c.Transient()) || c == bankfeed.FailRateLimited
}

func fillFailure(run *bankfeed.SyncRun, class bankfeed.FailureClass, err error) {
	run.Outcome = bankfeed.OutcomeFailed
	run.FailureClass = string(class)
	run.Error = err.Error()
	var fe *ofxdirect.FetchError
	if errors.As(err, &fe) {
		run.HTTPStatus = fe.HTTPStatus
		run.RetryAt = fe.RetryAfter
		run.BankMessage = fe.Message
		var parts []string
		for _, st := range fe.OFX {
			if st.OK() {
				continue
			}
			p := strconv.Itoa(st.Code)
			if st.Message != "" {
				p += " " + st.Message
			}
			parts = append(parts, p)
		}
		run.OFXStatus = strings.Join(parts, "; ")
	}
}

// commitOK commits a good run: the run record, its lines deduped against
// the feed, the account's cursor and the release of its leases, in one
// transaction (which it may share with other runs' commits, each all or
// nothing). The importer's lookups of earlier lines read committed lines
// only: no other run of this account can be in the same batch, as it would
// need this run's lease.
func (s *Syncer) commitOK(ctx context.Context, run *bankfeed.SyncRun, a *bankfeed.ConnectionAccount, h *held,
	resp *ofx.Response, raw []byte, end time.Time) error {
	prep := importer.PrepareResponse(resp, raw) // outside the shared transaction
	return s.db.Batch(ctx, func(tx *store.Tx) error {
		run.Outcome = bankfeed.OutcomeOK
		run.ID = 0
		// The transcript is written once, by FinishSyncRun.
		transcript := run.Transcript
		run.Transcript = ""
		err := tx.CreateSyncRun(ctx, run)
		run.Transcript = transcript
		if err != nil {
			return err
		}
		name := fmt.Sprintf("sync run %d (account %s)", run.ID, mask(a.Number))
		ir, err := s.im.ImportPrepared(ctx, tx, prep, name,
			importer.Options{AccountID: a.AccountID, SyncRunID: run.ID, Review: s.opts.Review})
		if err != nil {
			return err
		}
		run.ImportCounts = ir.Counts
		now := tx.Now()
		run.FinishedAt = &now
		if err := tx.FinishSyncRun(ctx, run); err != nil {
			return err
		}
		if err := tx.SetCursor(ctx, &bankfeed.SyncCursor{AccountID: a.AccountID, StatementEnd: end,
			LastSuccess: now, SyncRunID: run.ID}); err != nil {
			return err
		}
		return s.releaseTx(ctx, tx, h)
	})
}

// commitFailed records a failed run, and opens the institution's circuit
// when the bank itself failed, with the release of the leases, in one
// transaction.
func (s *Syncer) commitFailed(ctx context.Context, run *bankfeed.SyncRun, c *bankfeed.Connection, h *held) error {
	hist, err := s.history(ctx, run.AccountID)
	if err != nil {
		return err
	}
	return s.db.Batch(ctx, func(tx *store.Tx) error {
		run.ID = 0
		now := tx.Now()
		run.FinishedAt = &now
		if err := tx.CreateSyncRun(ctx, run); err != nil {
			return err
		}
		class := bankfeed.FailureClass(run.FailureClass)
		if class.NeedsUser() {
			// The login waits for its user from now on, not from the end
			// of the sync: the other syncs of it, on any worker, stop
			// before signing on, and so does a restart after a crash.
			d := s.opts.Policy.Decide(append(hist, attempt(run)), now, nil)
			f := false
			_, err := tx.UpdateConnectionStateFor(ctx, c.ID, c.ActionGen, store.ConnectionUpdate{State: bankfeed.ConnNeedsAction,
				Reason: d.Reason, Verified: &f})
			if err != nil && bankfeed.ErrorCodeOf(err) != bankfeed.ENotFound { // removed meanwhile
				return err
			}
		}
		if opensCircuit(class) {
			cir, err := tx.Circuit(ctx, c.InstitutionID)
			if err != nil {
				return err
			}
			h := append(hist, attempt(run))
			if cir.Open {
				// The bank's outage, not this account's, sets the pace:
				// each account that probes does not start the backoff
				// again.
				h = circuitHistory(cir, attempt(run))
			}
			d := s.opts.Policy.Decide(h, now, s.opts.Rand)
			if err := openCircuit(ctx, tx, cir, class, d, now); err != nil {
				return err
			}
		}
		return s.releaseTx(ctx, tx, h)
	})
}

// openCircuit opens an institution's circuit, or keeps it open, after a
// failure of the bank that the policy decided as d.
func openCircuit(ctx context.Context, tx *store.Tx, cir *bankfeed.Circuit, class bankfeed.FailureClass,
	d scheduler.Decision, now time.Time) error {
	if !cir.Open {
		cir.OpenedAt = now
		cir.Failures = 0
	}
	cir.Open = true
	cir.Class = class
	cir.Failures++
	cir.Reason = d.Reason
	if !d.Next.After(cir.NextProbeAt) && cir.NextProbeAt.After(now) {
		d.Next = cir.NextProbeAt // a probe already set later by another failure stands
	}
	cir.NextProbeAt = d.Next
	return tx.SetCircuit(ctx, cir)
}

// circuitHistory is an open circuit's failures as attempts, ending with
// cur: what the policy decides the next probe from.
func circuitHistory(cir *bankfeed.Circuit, cur scheduler.Attempt) []scheduler.Attempt {
	h := make([]scheduler.Attempt, cir.Failures, cir.Failures+1)
	for i := range h {
		h[i] = scheduler.Attempt{At: cir.OpenedAt, Class: cir.Class}
	}
	return append(h, cur)
}

func attempt(r *bankfeed.SyncRun) scheduler.Attempt {
	return scheduler.Attempt{At: r.StartedAt, Class: bankfeed.FailureClass(r.FailureClass), RetryAfter: r.RetryAt}
}

// historyLimit is how many runs of an account the policy looks at: enough
// to span the failures of the longest run before escalation.
const historyLimit = 200

// history returns an account's runs as attempts, oldest first.
func (s *Syncer) history(ctx context.Context, id bankfeed.AccountID) ([]scheduler.Attempt, error) {
	hs, err := s.historiesOf(ctx, []bankfeed.AccountID{id})
	return hs[id], err
}

// histories returns the runs of each of a connection's accounts as attempts.
func (s *Syncer) histories(ctx context.Context, c *bankfeed.Connection) (map[bankfeed.AccountID][]scheduler.Attempt, error) {
	ids := make([]bankfeed.AccountID, len(c.Accounts))
	for i, a := range c.Accounts {
		ids[i] = a.AccountID
	}
	return s.historiesOf(ctx, ids)
}

func (s *Syncer) historiesOf(ctx context.Context, ids []bankfeed.AccountID) (map[bankfeed.AccountID][]scheduler.Attempt, error) {
	runs, err := s.db.Attempts(ctx, ids, historyLimit)
	if err != nil {
		return nil, err
	}
	return attemptsOf(runs), nil
}

// attemptsOf is the store's runs of accounts as the policy's attempts.
func attemptsOf(runs map[bankfeed.AccountID][]store.Attempt) map[bankfeed.AccountID][]scheduler.Attempt {
	out := make(map[bankfeed.AccountID][]scheduler.Attempt, len(runs))
	for id, rs := range runs {
		h := make([]scheduler.Attempt, len(rs))
		for i, r := range rs {
			h[i] = scheduler.Attempt{At: r.StartedAt, Class: bankfeed.FailureClass(r.FailureClass), RetryAfter: r.RetryAt}
		}
		out[id] = h
	}
	return out
}

// manualWarning is the policy's warning for a sync the user started, from
// the account whose history is the worst.
func (s *Syncer) manualWarning(c *bankfeed.Connection, hs map[bankfeed.AccountID][]scheduler.Attempt, now time.Time) string {
	for _, a := range c.Accounts {
		if _, w := s.opts.Policy.ManualSync(hs[a.AccountID], now); w != "" {
			return w
		}
	}
	return ""
}

// notDue says why an account is not due for an automatic sync at now, or
// "" when it is. Its next attempt is decided as of its last attempt, with
// the least jitter: it is due from the earliest time jitter could have put
// that attempt at (the daily round's spread after a success), and never
// before a time the bank gave, which has no jitter.
func (s *Syncer) notDue(hist []scheduler.Attempt, now time.Time) string {
	if len(hist) == 0 {
		return ""
	}
	last := hist[len(hist)-1]
	d := s.opts.Policy.Decide(hist, last.At, func() float64 { return 0 })
	if d.Next.IsZero() {
		return d.Reason
	}
	if last.Class == "" {
		d.Next = d.Next.Add(-s.dailySpread())
	}
	if d.Next.After(now) {
		return "not due until " + d.Next.Format(time.RFC3339)
	}
	return ""
}
