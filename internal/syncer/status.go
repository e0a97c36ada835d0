package syncer

import (
	"context"
	"time"

	"github.com/bankfeed/bankfeed"
	"github.com/bankfeed/bankfeed/internal/store"
)

// Board is the status board: per institution and account, where the feed
// stands and what happens next.
type Board struct {
	At           time.Time            `json:"at"`
	Institutions []*InstitutionStatus `json:"institutions"`
}

// InstitutionStatus is one institution: its circuit and its connections.
type InstitutionStatus struct {
	Institution *bankfeed.Institution `json:"institution"`
	Circuit     *bankfeed.Circuit     `json:"circuit,omitempty"` // nil: never opened
	Connections []*ConnectionStatus   `json:"connections"`
}

// ConnectionStatus is one connection and its accounts.
type ConnectionStatus struct {
	ID       bankfeed.ConnectionID    `json:"id"`
	Name     string                   `json:"name"`
	UserID   string                   `json:"user_id"`
	State    bankfeed.ConnectionState `json:"state"`
	Reason   string                   `json:"reason,omitempty"`
	Next     time.Time                `json:"next_attempt_at,omitzero"`
	Disabled bool                     `json:"disabled"`
	Accounts []*AccountStatus         `json:"accounts"`
}

// AccountStatus is one feed account of a connection.
type AccountStatus struct {
	AccountID bankfeed.AccountID       `json:"account_id"`
	Number    string                   `json:"number"`
	Name      string                   `json:"name"`
	Kind      bankfeed.AccountKind     `json:"kind"`
	Enabled   bool                     `json:"enabled"`
	State     bankfeed.ConnectionState `json:"state"`
	Reason    string                   `json:"reason,omitempty"`
	// LastSuccess is the last run that worked; Stale is how long ago.
	LastSuccess time.Time     `json:"last_success,omitzero"`
	Stale       time.Duration `json:"stale_ns,omitempty"`
	// Unreviewed counts the lines waiting for review.
	Unreviewed int64             `json:"unreviewed"`
	LastRun    *bankfeed.SyncRun `json:"last_run,omitempty"`
	Next       time.Time         `json:"next_attempt_at,omitzero"`
}

// Status builds the status board.
func (s *Syncer) Status(ctx context.Context) (*Board, error) {
	now := s.now()
	insts, err := s.db.Institutions(ctx)
	if err != nil {
		return nil, err
	}
	conns, err := s.db.Connections(ctx, store.ConnectionFilter{})
	if err != nil {
		return nil, err
	}
	circuits, err := s.db.Circuits(ctx)
	if err != nil {
		return nil, err
	}
	cursors, err := s.db.Cursors(ctx)
	if err != nil {
		return nil, err
	}
	lines, err := s.db.UnreviewedCounts(ctx)
	if err != nil {
		return nil, err
	}
	// The policy reads each account's recent attempts (three columns a
	// run); only the newest run is read whole.
	var ids []bankfeed.AccountID
	for _, c := range conns {
		for _, a := range c.Accounts {
			ids = append(ids, a.AccountID)
		}
	}
	hists, err := s.historiesOf(ctx, ids)
	if err != nil {
		return nil, err
	}
	board := &Board{At: now, Institutions: []*InstitutionStatus{}}
	byInst := map[bankfeed.InstitutionID]*InstitutionStatus{}
	for _, in := range insts {
		byInst[in.ID] = &InstitutionStatus{Institution: in, Circuit: circuits[in.ID], Connections: []*ConnectionStatus{}}
	}
	for _, c := range conns {
		is := byInst[c.InstitutionID]
		if is == nil {
			continue
		}
		if len(is.Connections) == 0 {
			board.Institutions = append(board.Institutions, is)
		}
		cs := &ConnectionStatus{ID: c.ID, Name: c.Name, UserID: c.UserID, State: c.State, Reason: c.Reason,
			Next: c.NextAttemptAt, Disabled: c.Disabled, Accounts: []*AccountStatus{}}
		if c.Disabled {
			cs.State = bankfeed.ConnDisabled
		}
		is.Connections = append(is.Connections, cs)
		for _, a := range c.Accounts {
			acct, err := s.db.Account(ctx, a.AccountID)
			if err != nil {
				return nil, err
			}
			as := &AccountStatus{AccountID: a.AccountID, Number: a.Number, Name: acct.Name, Kind: a.Kind,
				Enabled: a.Enabled, Unreviewed: lines[a.AccountID], State: bankfeed.ConnNew, Next: c.NextAttemptAt,
				Reason: "not synced yet"}
			if as.Name == "" {
				as.Name = a.Desc
			}
			if cur := cursors[a.AccountID]; cur != nil {
				as.LastSuccess = cur.LastSuccess
				as.Stale = now.Sub(cur.LastSuccess)
			}
			runs, err := s.db.FindSyncRuns(ctx, store.SyncRunFilter{AccountID: a.AccountID, Limit: 1})
			if err != nil {
				return nil, err
			}
			if hist := hists[a.AccountID]; len(runs) > 0 && len(hist) > 0 {
				as.LastRun = runs[0]
				d := s.opts.Policy.Decide(hist, runs[0].StartedAt, nil)
				as.State, as.Reason = bankfeed.ConnectionState(d.State), d.Reason
				if d.Next.IsZero() || c.NextAttemptAt.IsZero() {
					as.Next = time.Time{}
				}
			}
			if !a.Enabled {
				as.State, as.Reason, as.Next = bankfeed.ConnDisabled, "switched off", time.Time{}
			}
			if cir := circuits[c.InstitutionID]; cir != nil && cir.Open && as.State != bankfeed.ConnNeedsAction && a.Enabled {
				as.State, as.Reason, as.Next = bankfeed.ConnWaitingForBank, cir.Reason, cir.NextProbeAt
			}
			if c.State == bankfeed.ConnNeedsAction && a.Enabled {
				as.State, as.Reason, as.Next = bankfeed.ConnNeedsAction, c.Reason, time.Time{}
			}
			if c.Disabled {
				as.State, as.Next = bankfeed.ConnDisabled, time.Time{}
			}
			cs.Accounts = append(cs.Accounts, as)
		}
	}
	return board, nil
}
