package syncer

import (
	"context"
	"math"
	"time"

	"github.com/bankfeed/bankfeed"
	"github.com/bankfeed/bankfeed/internal/scheduler"
	"github.com/bankfeed/bankfeed/internal/store"
)

// takeProbe takes the right to test an institution's open circuit: one
// worker probes, the others wait for its verdict.
func (s *Syncer) takeProbe(ctx context.Context, inst bankfeed.InstitutionID, seen *bankfeed.Circuit, manual bool) (bool, error) {
	name := probeLease(inst)
	if !s.claims.claim(name) {
		return false, nil // another sync of this worker probes
	}
	var ok bool
	err := s.db.Update(ctx, func(tx *store.Tx) (err error) {
		if ok, _, err = s.take(ctx, tx, name); err != nil || !ok {
			return err
		}
		// The circuit this sync read may have changed since: another
		// sync's probe, ended just now, set a later probe time or closed
		// it. Then this one must not probe too.
		cur, err := tx.Circuit(ctx, inst)
		if err != nil {
			return err
		}
		if cur == nil || !cur.Open || !manual && !cur.NextProbeAt.Equal(seen.NextProbeAt) {
			ok = false
			return tx.ReleaseLease(ctx, name, s.holder)
		}
		return nil
	})
	if err != nil || !ok {
		s.claims.drop(name)
	}
	return ok, err
}

func (s *Syncer) dropProbe(inst bankfeed.InstitutionID) {
	defer s.claims.drop(probeLease(inst))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.db.Update(ctx, func(tx *store.Tx) error {
		return tx.ReleaseLease(ctx, probeLease(inst), s.holder)
	}); err != nil {
		s.log.Warn("release probe lease", "err", err)
	}
}

// waitForCircuit records that a connection waits for its institution's
// circuit: due when the probe is.
func (s *Syncer) waitForCircuit(ctx context.Context, res *Result, cir *bankfeed.Circuit) error {
	c := res.Connection
	for _, a := range c.Accounts {
		res.Accounts = append(res.Accounts, &AccountResult{Account: a, Skipped: res.Skipped,
			State: bankfeed.ConnWaitingForBank, Next: cir.NextProbeAt, Reason: cir.Reason})
	}
	u := store.ConnectionUpdate{State: bankfeed.ConnWaitingForBank, Reason: cir.Reason, Next: cir.NextProbeAt}
	if err := s.db.Update(ctx, func(tx *store.Tx) error { return tx.UpdateConnectionState(ctx, c.ID, u) }); err != nil {
		return err
	}
	c.State, c.Reason, c.NextAttemptAt = u.State, u.Reason, u.Next
	return nil
}

// settleHistories returns the histories settle decides from. When every
// account synced went through in this sync, its run is what decides (a
// success decides alone), and nothing need be read.
func (s *Syncer) settleHistories(ctx context.Context, res *Result) (map[bankfeed.AccountID][]scheduler.Attempt, error) {
	hs := make(map[bankfeed.AccountID][]scheduler.Attempt, len(res.Accounts))
	for _, ar := range res.Accounts {
		if !ar.Account.Enabled {
			continue
		}
		if ar.Run == nil || ar.Run.Outcome != bankfeed.OutcomeOK {
			return s.histories(ctx, res.Connection)
		}
		hs[ar.Account.AccountID] = []scheduler.Attempt{attempt(ar.Run)}
	}
	return hs, nil
}

// rank orders states from best to worst, for a connection's standing.
var rank = map[bankfeed.ConnectionState]int{
	bankfeed.ConnOK: 0, bankfeed.ConnNew: 0, bankfeed.ConnRetrying: 1, bankfeed.ConnWaitingForBank: 2,
	bankfeed.ConnEscalate: 3, bankfeed.ConnNeedsAction: 4,
}

// settle records where the connection stands after a sync: each account's
// decision from its history, the worst of them for the connection, the
// earliest next attempt, the password's standing, and the institution's
// circuit closed when a sync went through.
func (s *Syncer) settle(ctx context.Context, res *Result, rc *runCtx) error {
	c := res.Connection
	now := s.now()
	// The latest start of a request that went through: a success that
	// began before the circuit opened proves nothing about now.
	var okSince time.Time
	if rc.listed {
		okSince = rc.began
	}
	u := store.ConnectionUpdate{State: bankfeed.ConnOK}
	worst := -1
	var refused, worked time.Time // the accounts' last refusal of the login, and last success
	hs, err := s.settleHistories(ctx, res)
	if err != nil {
		return err
	}
	for _, ar := range res.Accounts {
		if !ar.Account.Enabled {
			continue
		}
		hist := hs[ar.Account.AccountID]
		if len(hist) > 0 {
			switch last := hist[len(hist)-1]; {
			case last.Class.NeedsUser():
				refused = laterOf(refused, last.At)
			case last.Class == "":
				worked = laterOf(worked, last.At)
			}
		}
		d := s.opts.Policy.Decide(hist, now, s.opts.Rand)
		if len(hist) > 0 && ar.Run == nil {
			// Not tried now: its standing is from its last attempt.
			last := hist[len(hist)-1]
			d = s.opts.Policy.Decide(hist, last.At, nil)
			if last.Class == "" || !d.Next.IsZero() && d.Next.Before(now) {
				d.Next = laterOf(d.Next, now)
			}
		}
		if ar.Run != nil && ar.Run.Outcome == bankfeed.OutcomeOK {
			okSince = laterOf(okSince, ar.Run.StartedAt)
		}
		ar.State, ar.Next, ar.Reason = bankfeed.ConnectionState(d.State), d.Next, d.Reason
		if r := rank[ar.State]; r > worst {
			worst, u.State, u.Reason = r, ar.State, d.Reason
		}
		if !d.Next.IsZero() && (u.Next.IsZero() || d.Next.Before(u.Next)) {
			u.Next = d.Next
		}
	}
	verified := rc.verified.Load()
	if verified == 0 && refused.After(worked) {
		// Refused in another sync (another worker's), and not signed
		// on since.
		verified = -1
	}
	switch verified {
	case 1:
		t := true
		u.Verified = &t
	case -1:
		f := false
		u.Verified = &f
		// The login itself waits for the user: no account of it is tried
		// until they act.
		u.Next = time.Time{}
	}
	if rc.blocked.Load() {
		u.Next = time.Time{}
	}
	if u.State == bankfeed.ConnOK && !u.Next.IsZero() {
		u.Next = u.Next.Add(s.dailyJitter())
	}
	if worst < 0 {
		u.Next, u.Reason = now.Add(s.opts.Policy.Daily), "no account to sync"
	}
	base := u
	applied := false
	err = s.db.Batch(ctx, func(tx *store.Tx) error {
		u = base // a batch may run this twice
		cir, err := tx.Circuit(ctx, c.InstitutionID)
		if err != nil {
			return err
		}
		if cir.Open && okSince.After(cir.OpenedAt) {
			// The bank answered: it is back for everyone.
			cir.Open, cir.Failures, cir.NextProbeAt, cir.Reason = false, 0, time.Time{}, "back since "+now.Format(time.RFC3339)
			if err := tx.SetCircuit(ctx, cir); err != nil {
				return err
			}
			if err := tx.WakeConnections(ctx, c.InstitutionID, c.ID); err != nil {
				return err
			}
		}
		if cir.Open {
			if u.State != bankfeed.ConnNeedsAction {
				if rank[u.State] < rank[bankfeed.ConnWaitingForBank] {
					u.State = bankfeed.ConnWaitingForBank
				}
				if u.State == bankfeed.ConnWaitingForBank {
					u.Reason = cir.Reason
				}
			}
			if verified != -1 {
				// Nothing here is tried before the probe, and a circuit
				// with no probe time waits for a manual sync; a login
				// that waits for its user keeps waiting.
				u.Next = cir.NextProbeAt
			}
		}
		applied, err = tx.UpdateConnectionStateFor(ctx, c.ID, c.ActionGen, u)
		return err
	})
	if err != nil {
		return err
	}
	if !applied {
		// The user acted on the connection while it synced: their
		// standing stands.
		fresh, err := s.db.Connection(ctx, c.ID)
		if err != nil {
			return err
		}
		*c = *fresh
		return nil
	}
	c.State, c.Reason, c.NextAttemptAt = u.State, u.Reason, u.Next
	if u.Verified != nil {
		c.Verified = *u.Verified
	}
	return nil
}

// dailyJitter spreads the daily round: up to a tenth of the interval either
// way, so a thousand connections do not all ask at midnight.
func (s *Syncer) dailyJitter() time.Duration {
	return time.Duration(math.Round((s.opts.Rand()*2 - 1) * float64(s.dailySpread())))
}

func (s *Syncer) dailySpread() time.Duration { return s.opts.Policy.Daily / 10 }

func laterOf(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
