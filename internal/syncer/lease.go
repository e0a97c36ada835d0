package syncer

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/bankfeed/bankfeed"
	"github.com/bankfeed/bankfeed/internal/procid"
	"github.com/bankfeed/bankfeed/internal/store"
)

func accountLease(id bankfeed.AccountID) string { return "account:" + strconv.FormatInt(int64(id), 10) }

func slotLease(id bankfeed.InstitutionID, k int) string {
	return "institution:" + strconv.FormatInt(int64(id), 10) + ":" + strconv.Itoa(k)
}

func probeLease(id bankfeed.InstitutionID) string {
	return "probe:" + strconv.FormatInt(int64(id), 10)
}

// errBusy says an account is being synced by another worker.
var errBusy = errors.New("another sync of this account is running")

// held is what a running account sync holds: its account's lease and one of
// its institution's slots.
type held struct {
	account string
	slot    string
	release func() // gives the in-process slot and claims back
	// letGo gives the slot back in this process once the bank has
	// answered: the next account's request may go while this one is
	// written. The slot's lease stays this process's: the next run that
	// claims the slot takes it on, and the run's commit releases it only
	// when none has.
	letGo func()
	// slotFreed is set by letGo.
	slotFreed bool
	// checked says the slot came in the transaction that took the
	// account, after its check: the sync's gate is as fresh as can be.
	checked bool
}

// errPaused says why an account sync stops before it takes anything.
type errPaused struct{ why string }

func (e *errPaused) Error() string { return e.why }

// slots bounds the syncs running at once per institution: in this process
// by a semaphore (so waiting needs no polling), across processes by the
// institution's slot leases in the store.
//
// The runs that find every slot taken line up: the first limit of them
// (next) take their account's lease and wait for a slot, so that a slot
// let go is taken with no transaction in between; the others wait in
// memory for their turn, and take nothing yet. Many syncs that start at
// once so give the writer a lease for each slot and the next in line, not
// one for every account, ahead of the first requests.
type slots struct {
	mu    sync.Mutex
	limit int
	sems  map[bankfeed.InstitutionID]chan struct{}
	next  map[bankfeed.InstitutionID]chan struct{}
}

func (s *slots) sem(id bankfeed.InstitutionID) chan struct{} {
	return s.get(&s.sems, id)
}

// line is the institution's semaphore of the runs next in line.
func (s *slots) line(id bankfeed.InstitutionID) chan struct{} {
	return s.get(&s.next, id)
}

func (s *slots) get(m *map[bankfeed.InstitutionID]chan struct{}, id bankfeed.InstitutionID) chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	if *m == nil {
		*m = map[bankfeed.InstitutionID]chan struct{}{}
	}
	c := (*m)[id]
	if c == nil {
		c = make(chan struct{}, s.limit)
		(*m)[id] = c
	}
	return c
}

// claims are the leases this Syncer's goroutines hold or are taking. The
// store renews a lease for the holder that has it, and all the goroutines
// of a Syncer hold under its one name: without claims two of them would
// both take one account, one institution slot or one probe.
//
// A slot's lease outlives the run that took it: a run lets its slot go
// once the bank has answered, and the next run of this process to claim
// the slot finds the lease still this process's (leased) and sends its
// request without a transaction. The lease is released when a run's commit
// finds no other run has claimed the slot since.
type claims struct {
	mu     sync.Mutex
	names  map[string]bool
	leased map[string]time.Time // slot leases this process holds, to when
}

// claim reports whether name was free in this process, and claims it.
func (c *claims) claim(name string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.claimLocked(name)
}

func (c *claims) claimLocked(name string) bool {
	if c.names[name] {
		return false
	}
	if c.names == nil {
		c.names = map[string]bool{}
	}
	c.names[name] = true
	return true
}

// claimSlot claims a slot; leased says this process holds its lease in the
// store until after fresh, so no transaction need renew it.
func (c *claims) claimSlot(name string, fresh time.Time) (claimed, leased bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.claimLocked(name) {
		return false, false
	}
	return true, c.leased[name].After(fresh)
}

// setLeased records that this process holds a slot's lease until until.
func (c *claims) setLeased(name string, until time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.leased == nil {
		c.leased = map[string]time.Time{}
	}
	c.leased[name] = until
}

// unleaseIfFree reports whether no run claims the slot, and then forgets
// its lease: the caller releases it in the store. Checked and forgotten
// under one lock, so a run claiming the slot meanwhile takes its lease in a
// transaction of its own, after the release.
func (c *claims) unleaseIfFree(name string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.names[name] {
		return false
	}
	delete(c.leased, name)
	return true
}

// unlease forgets a slot's lease, which the caller releases.
func (c *claims) unlease(name string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.leased, name)
}

func (c *claims) drop(names ...string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, n := range names {
		delete(c.names, n)
	}
}

// acquire takes the account's lease, then a slot of its institution,
// waiting for a slot as long as ctx allows. It returns errBusy at once when
// another worker, or another goroutine of this one, syncs the account.
// check runs first in the transaction that takes the account: a reason it
// gives (returned as *errPaused) takes nothing. The account is taken before
// waiting for a slot, so that when a slot comes, the request goes with no
// transaction in between. A slot free in this process as the account is
// taken is taken with it, in its transaction, ahead of the accounts that
// will wait for one.
func (s *Syncer) acquire(ctx context.Context, inst bankfeed.InstitutionID, acct bankfeed.AccountID,
	check func(tx *store.Tx) (string, error)) (*held, error) {
	h := &held{account: accountLease(acct)}
	sem := s.slots.sem(inst)
	now := false
	select {
	case sem <- struct{}{}:
		now = true
	default:
	}
	var line chan struct{}
	if !now {
		// Every slot is taken: wait for a place next in line (see slots)
		// or for a slot, whichever comes first.
		line = s.slots.line(inst)
		select {
		case sem <- struct{}{}:
			now, line = true, nil
		case line <- struct{}{}:
		case <-ctx.Done():
			return nil, context.Cause(ctx)
		}
	}
	leaveLine := func() {
		if line != nil {
			<-line
			line = nil
		}
	}
	if err := s.takeAccount(ctx, h, check, inst, now); err != nil {
		if now {
			<-sem
		}
		leaveLine()
		return nil, err
	}
	if !now {
		select {
		case sem <- struct{}{}:
			leaveLine()
		case <-ctx.Done():
			leaveLine()
			s.releaseAlone(h)
			s.claims.drop(h.account)
			return nil, context.Cause(ctx)
		}
	}
	var once sync.Once
	free := func() { once.Do(func() { <-sem }) }
	wait := 20 * time.Millisecond
	for {
		ok, err := h.slot != "", error(nil)
		if !ok {
			ok, err = s.takeSlot(ctx, inst, h)
		}
		if err != nil {
			free()
			s.releaseAlone(h)
			s.claims.drop(h.account)
			return nil, err
		}
		if ok {
			h.letGo = func() {
				if !h.slotFreed {
					h.slotFreed = true
					s.claims.drop(h.slot)
					free()
				}
			}
			h.release = func() {
				s.claims.drop(h.account)
				h.letGo()
			}
			return h, nil
		}
		// Every slot is held by another worker: wait for one.
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			free()
			s.releaseAlone(h)
			s.claims.drop(h.account)
			return nil, context.Cause(ctx)
		}
		wait = min(wait*2, time.Second)
	}
}

// takeAccount takes the account's lease, after check, in one transaction.
// withSlot says the caller holds one of the institution's slots in this
// process: the transaction takes that slot's lease too (h.slot is set when
// it did), and goes ahead of the others (BatchNow).
func (s *Syncer) takeAccount(ctx context.Context, h *held, check func(tx *store.Tx) (string, error),
	inst bankfeed.InstitutionID, withSlot bool) error {
	if !s.claims.claim(h.account) {
		return fmt.Errorf("%w (%s)", errBusy, s.holder)
	}
	batch := s.db.BatchFirst
	slot := ""
	if withSlot {
		batch = s.db.BatchNow
		if name, leased := s.claimFreeSlot(inst); leased {
			h.slot, h.checked = name, true // no transaction needed for it
		} else {
			slot = name
		}
	}
	var slotOK bool
	var until time.Time
	err := batch(ctx, func(tx *store.Tx) error {
		slotOK = false // a batch may run this twice
		if why, err := check(tx); err != nil || why != "" {
			if err == nil {
				err = &errPaused{why: why}
			}
			return err
		}
		ok, cur, err := s.take(ctx, tx, h.account)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("%w (%s)", errBusy, cur.Holder)
		}
		if slot != "" {
			until = tx.Now().Add(s.opts.LeaseTTL)
			slotOK, _, err = s.take(ctx, tx, slot)
		}
		return err
	})
	switch {
	case err != nil:
		s.claims.drop(h.account)
		if h.slot != "" {
			s.dropSlot(h.slot)
			h.slot = ""
		}
		if slot != "" {
			s.dropSlot(slot)
		}
	case slotOK:
		s.claims.setLeased(slot, until)
		h.slot, h.checked = slot, true
	case slot != "":
		s.claims.drop(slot) // another worker holds it: takeSlot tries the others
	}
	return err
}

// dropSlot gives back a slot claimed for a run that does not go: a run
// that let go of the slot while it was claimed left its lease to the claim
// (see claims), so the lease is released here unless another run claims
// the slot now.
func (s *Syncer) dropSlot(name string) {
	s.claims.drop(name)
	if !s.claims.unleaseIfFree(name) {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.db.Batch(ctx, func(tx *store.Tx) error { return tx.ReleaseLease(ctx, name, s.holder) }); err != nil {
		s.log.Warn("release leases", "err", err)
	}
}

// claimFreeSlot claims a slot of the institution no goroutine of this
// process has, for a caller that holds one of its slots in this process;
// leased says this process holds its lease already. "" when every slot is
// claimed.
func (s *Syncer) claimFreeSlot(inst bankfeed.InstitutionID) (name string, leased bool) {
	fresh := s.db.Now().Add(s.opts.LeaseTTL / 2)
	for k := range s.opts.InstitutionLimit {
		name := slotLease(inst, k)
		if claimed, leased := s.claims.claimSlot(name, fresh); claimed {
			return name, leased
		}
	}
	return "", false
}

// takeSlot takes a free slot of the institution: one whose lease this
// process still holds from its last run, with no transaction, or else one
// whose lease it takes. It returns false when other workers hold them all.
func (s *Syncer) takeSlot(ctx context.Context, inst bankfeed.InstitutionID, h *held) (bool, error) {
	fresh := s.db.Now().Add(s.opts.LeaseTTL / 2)
	for k := range s.opts.InstitutionLimit {
		name := slotLease(inst, k)
		claimed, leased := s.claims.claimSlot(name, fresh)
		if !claimed {
			continue // another goroutine of this worker has it
		}
		if leased {
			h.slot = name
			return true, nil
		}
		var ok bool
		var until time.Time
		err := s.db.BatchFirst(ctx, func(tx *store.Tx) (err error) {
			until = tx.Now().Add(s.opts.LeaseTTL)
			ok, _, err = s.take(ctx, tx, name)
			return err
		})
		if err != nil || !ok {
			s.claims.drop(name)
			if err != nil {
				return false, err
			}
			continue
		}
		s.claims.setLeased(name, until)
		h.slot = name
		return true, nil
	}
	return false, nil
}

// take acquires one lease, breaking it first when its holder is a dead
// process of this host.
func (s *Syncer) take(ctx context.Context, tx *store.Tx, name string) (bool, *store.Lease, error) {
	ok, cur, err := tx.AcquireLease(ctx, name, s.holder, s.opts.LeaseTTL)
	if err != nil || ok {
		return ok, cur, err
	}
	if procid.Dead(cur.Holder) {
		s.log.Info("taking over a dead worker's leases", "holder", cur.Holder)
		if err := tx.ReleaseLeasesOf(ctx, cur.Holder); err != nil {
			return false, nil, err
		}
		return tx.AcquireLease(ctx, name, s.holder, s.opts.LeaseTTL)
	}
	return false, cur, nil
}

// releaseTx lets go of what h holds inside tx, the transaction that records
// the run, so the run and the release commit together. A slot let go early
// and claimed since by another run of this process stays leased: that run
// holds it now.
func (s *Syncer) releaseTx(ctx context.Context, tx *store.Tx, h *held) error {
	if err := tx.ReleaseLease(ctx, h.account, s.holder); err != nil {
		return err
	}
	if h.slot == "" {
		return nil
	}
	if h.slotFreed {
		// The run let its slot go: another run may have claimed it
		// since, and holds its lease now.
		if !s.claims.unleaseIfFree(h.slot) {
			return nil
		}
	} else {
		// The run still claims its slot, so no other can until it
		// drops the claim, after this commits.
		s.claims.unlease(h.slot)
	}
	return tx.ReleaseLease(ctx, h.slot, s.holder)
}

// releaseAlone lets go of h in its own transaction, when no run is recorded
// (a sync stopped on purpose). It uses a fresh context: the caller's may be
// done.
func (s *Syncer) releaseAlone(h *held) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.db.Batch(ctx, func(tx *store.Tx) error { return s.releaseTx(ctx, tx, h) }); err != nil {
		s.log.Warn("release leases", "err", err)
	}
}
