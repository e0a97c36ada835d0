package syncer

import (
	"context"

	"github.com/bankfeed/bankfeed"
	"github.com/bankfeed/bankfeed/internal/secret"
	"github.com/bankfeed/bankfeed/internal/store"
)

// SetPassword replaces a connection's password: the user acting on a
// rejected one. The connection is due at once.
func (s *Syncer) SetPassword(ctx context.Context, id bankfeed.ConnectionID, pw secret.String) error {
	if pw.IsZero() {
		return bankfeed.Errorf(bankfeed.EInvalid, "set password: empty password")
	}
	sealed, err := s.key.SealString(pw, passwordAAD)
	if err != nil {
		return err
	}
	return s.db.Update(ctx, func(tx *store.Tx) error { return tx.SetPassword(ctx, id, sealed) })
}

// Resume is the user saying they did what the bank asked (accepted its
// terms, approved this application, called to unlock): the connection is
// due at once.
func (s *Syncer) Resume(ctx context.Context, id bankfeed.ConnectionID) error {
	return s.db.Update(ctx, func(tx *store.Tx) error {
		return tx.UpdateConnectionState(ctx, id, store.ConnectionUpdate{State: bankfeed.ConnNew,
			Reason: "you said the bank's request was done; syncing", Next: tx.Now(), UserAction: true})
	})
}

// Reset is "deactivate online services and set up again": the connection
// forgets its cursors and its standing, and its next sync lists the
// accounts again, each one it knew linked to the same feed account (a link
// the user chose included), asking for the first sync's window. Lines stay, and dedupe keeps them
// single. A new password may come with it.
func (s *Syncer) Reset(ctx context.Context, id bankfeed.ConnectionID, pw secret.String) error {
	var sealed []byte
	if !pw.IsZero() {
		var err error
		if sealed, err = s.key.SealString(pw, passwordAAD); err != nil {
			return err
		}
	}
	c, err := s.db.Connection(ctx, id)
	if err != nil {
		return err
	}
	return s.db.Update(ctx, func(tx *store.Tx) error {
		for _, a := range c.Accounts {
			if err := tx.DeleteCursor(ctx, a.AccountID); err != nil {
				return err
			}
		}
		if sealed != nil {
			if err := tx.SetPassword(ctx, id, sealed); err != nil {
				return err
			}
		}
		f := false
		return tx.UpdateConnectionState(ctx, id, store.ConnectionUpdate{State: bankfeed.ConnNew,
			Reason: "reset: the next sync sets it up again", Next: tx.Now(), Verified: &f, UserAction: true})
	})
}

// SetDisabled switches a connection off or on.
func (s *Syncer) SetDisabled(ctx context.Context, id bankfeed.ConnectionID, disabled bool) error {
	return s.db.Update(ctx, func(tx *store.Tx) error { return tx.SetDisabled(ctx, id, disabled) })
}

// Remove deletes a connection; its feed accounts and their history stay.
func (s *Syncer) Remove(ctx context.Context, id bankfeed.ConnectionID) error {
	return s.db.Update(ctx, func(tx *store.Tx) error { return tx.DeleteConnection(ctx, id) })
}

// ManualWarning is what to warn the user of before a sync they start: a
// locked login, a password the bank rejected, a bank that asked to wait.
// It is to be shown before the sync signs on.
func (s *Syncer) ManualWarning(ctx context.Context, id bankfeed.ConnectionID) (string, error) {
	c, err := s.db.Connection(ctx, id)
	if err != nil {
		return "", err
	}
	hs, err := s.histories(ctx, c)
	if err != nil {
		return "", err
	}
	return s.manualWarning(c, hs, s.now()), nil
}
