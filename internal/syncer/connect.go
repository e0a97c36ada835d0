package syncer

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/bankfeed/bankfeed"
	"github.com/bankfeed/bankfeed/internal/ofx"
	"github.com/bankfeed/bankfeed/internal/scheduler"
	"github.com/bankfeed/bankfeed/internal/secret"
	"github.com/bankfeed/bankfeed/internal/source/ofxdirect"
	"github.com/bankfeed/bankfeed/internal/store"
)

// ConnectRequest sets up a connection.
type ConnectRequest struct {
	Name     string
	Profile  bankfeed.Profile
	UserID   string
	Password secret.String
	// InstitutionName names the bank on pages and boards ("Maple Credit
	// Union"). Empty: the name the bank's profile gives (FINAME), read once
	// the login works; an institution keeps a name it already has.
	InstitutionName string
	// Links sends a bank account (by its number) to an existing feed
	// account instead of the one its institution, kind and number name:
	// the feed continues that account's history.
	Links map[string]bankfeed.AccountID
}

// ConnectResult is what setting up a connection did.
type ConnectResult struct {
	Connection *bankfeed.Connection
	// Err is why the accounts could not be listed yet; the connection is
	// kept (with its CLIENTUID, which the bank may want approved) and
	// lists them on its next sync.
	Err   error
	Class bankfeed.FailureClass
	// Exchange is the transcript of the account list request.
	Exchange *ofxdirect.Exchange
}

// Connect sets up a connection: it seals the password, generates a
// CLIENTUID, lists the login's accounts (ACCTINFO) and links each to a feed
// account. A password the bank rejects is not kept: nothing is stored, so
// a mistyped password is not tried again behind the user's back. Any other
// failure keeps the connection, waiting for the bank or for the user.
func (s *Syncer) Connect(ctx context.Context, req ConnectRequest) (*ConnectResult, error) {
	if err := validateConnect(req); err != nil {
		return nil, err
	}
	sealed, err := s.key.SealString(req.Password, passwordAAD)
	if err != nil {
		return nil, err
	}
	c := &bankfeed.Connection{Name: req.Name, Profile: req.Profile, UserID: req.UserID, ClientUID: newClientUID(),
		State: bankfeed.ConnNew, NextAttemptAt: s.now()}
	client, err := s.client(req.Profile)
	if err != nil {
		return nil, err
	}
	creds := ofxdirect.Credentials{UserID: req.UserID, Password: req.Password, ClientUID: c.ClientUID}
	infos, ex, ferr := client.Accounts(ctx, institution(req.Profile), creds)
	res := &ConnectResult{Connection: c, Exchange: ex}
	if ferr == nil {
		if err := checkLinks(req.Links, infos); err != nil {
			return nil, err
		}
	}
	if ferr != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		res.Err, res.Class = ferr, ofxdirect.ClassOf(ferr)
		if res.Class == "" {
			res.Class = bankfeed.FailInternal
		}
		switch res.Class {
		case bankfeed.FailInvalidCredentials, bankfeed.FailUnsupported:
			return res, nil // nothing kept
		}
		d := s.opts.Policy.Decide([]scheduler.Attempt{{At: s.now(), Class: res.Class, RetryAfter: retryAfterOf(ferr)}},
			s.now(), s.opts.Rand)
		c.State, c.Reason, c.NextAttemptAt = bankfeed.ConnectionState(d.State), d.Reason, d.Next
		if res.Class == bankfeed.FailLocked {
			c.Verified = false
		}
	} else {
		c.Verified = true
	}
	name := strings.TrimSpace(req.InstitutionName)
	given := name != ""
	if !given && ferr == nil {
		name = s.profileName(ctx, client, req.Profile)
	}
	err = s.db.Update(ctx, func(tx *store.Tx) error {
		inst, err := tx.EnsureInstitution(ctx, req.Profile.Org, req.Profile.FID, "")
		if err != nil {
			return err
		}
		// A name the user gives wins; the profile's names an institution
		// only while it has none but its ORG.
		if name != "" && name != inst.Name && (given || inst.Name == "" || inst.Name == inst.Org) {
			if err := tx.RenameInstitution(ctx, inst.ID, name); err != nil {
				return err
			}
		}
		c.InstitutionID = inst.ID
		if err := tx.CreateConnection(ctx, c, sealed); err != nil {
			return err
		}
		if ferr == nil {
			return s.link(ctx, tx, c, infos, req.Links)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// profileName is the institution's name in its OFX profile (FINAME), or ""
// when the profile cannot be read: the name is a courtesy, and a bank that
// serves no profile is still connected. The request is anonymous and
// bounded in time.
func (s *Syncer) profileName(ctx context.Context, client *ofxdirect.Client, p bankfeed.Profile) string {
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	pr, _, err := client.Profile(ctx, institution(p))
	if err != nil || pr == nil {
		return ""
	}
	return strings.TrimSpace(pr.FIName)
}

func validateConnect(req ConnectRequest) error {
	var missing []string
	if strings.TrimSpace(req.Name) == "" {
		missing = append(missing, "name")
	}
	if req.Profile.URL == "" {
		missing = append(missing, "OFX URL")
	}
	if req.Profile.Org == "" && req.Profile.FID == "" {
		missing = append(missing, "ORG or FID")
	}
	if req.UserID == "" {
		missing = append(missing, "user id")
	}
	if req.Password.IsZero() {
		missing = append(missing, "password")
	}
	if n := len(req.InstitutionName); n > maxInstitutionName {
		return bankfeed.Errorf(bankfeed.EInvalid, "connect: institution name: %d bytes, at most %d", n, maxInstitutionName)
	}
	if len(missing) > 0 {
		return bankfeed.Errorf(bankfeed.EInvalid, "connect: missing %s", strings.Join(missing, ", "))
	}
	return nil
}

// maxInstitutionName bounds a bank's display name.
const maxInstitutionName = 200

// newClientUID returns a CLIENTUID: 36 characters, a random UUID as the
// specification suggests.
func newClientUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return strings.ToUpper(h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:])
}

func retryAfterOf(err error) (t time.Time) {
	var fe *ofxdirect.FetchError
	if errors.As(err, &fe) {
		return fe.RetryAfter
	}
	return t
}

// link links each account a login lists to its feed account: the one
// links names, else the one of its institution, kind, bank id and number
// (made on first sight). A feed account that files filled before, or that
// a removed connection filled, so continues its history.
func (s *Syncer) link(ctx context.Context, tx *store.Tx, c *bankfeed.Connection, infos []ofx.AccountInfo,
	links map[string]bankfeed.AccountID) error {
	c.Accounts = c.Accounts[:0]
	for _, info := range infos {
		ref := info.Account
		ca := &bankfeed.ConnectionAccount{ConnectionID: c.ID, Kind: info.Kind, BankID: ref.BankID, Number: ref.AcctID,
			Type: ref.AcctType, Desc: info.Desc, Enabled: true}
		switch info.Kind {
		case bankfeed.KindBank, bankfeed.KindCreditCard:
		default:
			ca.Enabled = false // Direct Connect statements here are bank and card only
		}
		if id, ok := links[ref.AcctID]; ok {
			if _, err := tx.Account(ctx, id); err != nil {
				return fmt.Errorf("link account %s: %w", mask(ref.AcctID), err)
			}
			ca.AccountID = id
		} else {
			bankID := ref.BankID
			if bankID == "" {
				bankID = ref.BrokerID
			}
			if bankID == "" && info.Kind == bankfeed.KindBank {
				bankID = c.Profile.BankID
				ca.BankID = bankID
			}
			acct, _, err := tx.EnsureAccount(ctx, bankfeed.Account{InstitutionID: c.InstitutionID, Kind: info.Kind,
				Type: ref.AcctType, BankID: bankID, BranchID: ref.BranchID, Number: ref.AcctID, Name: info.Desc})
			if err != nil {
				return err
			}
			ca.AccountID = acct.ID
		}
		if err := tx.LinkAccount(ctx, ca); err != nil {
			return err
		}
		c.Accounts = append(c.Accounts, ca)
	}
	return nil
}

// discover lists a connection's accounts on its first sync, when connect
// could not. A failure is recorded on the connection (no account has a run
// to hold it), and a failure of the bank on its institution's circuit, and
// stops the sync.
func (s *Syncer) discover(ctx context.Context, c *bankfeed.Connection, client *ofxdirect.Client,
	creds ofxdirect.Credentials, res *Result) error {
	infos, _, ferr := client.Accounts(ctx, institution(c.Profile), creds)
	if ctx.Err() != nil {
		return context.Cause(ctx)
	}
	now := s.now()
	if ferr != nil {
		class := ofxdirect.ClassOf(ferr)
		if class == "" {
			class = bankfeed.FailInternal
		}
		hist := []scheduler.Attempt{{At: now, Class: class, RetryAfter: retryAfterOf(ferr)}}
		res.Skipped = "could not list the accounts: " + ferr.Error()
		var u store.ConnectionUpdate
		err := s.db.Update(ctx, func(tx *store.Tx) error {
			var cir *bankfeed.Circuit
			if opensCircuit(class) {
				var err error
				if cir, err = tx.Circuit(ctx, c.InstitutionID); err != nil {
					return err
				}
				// No account holds the history of a failure to list the
				// accounts: the circuit's failures stand in for it, so
				// the retries back off.
				if cir.Open {
					hist = circuitHistory(cir, hist[0])
				}
			}
			d := s.opts.Policy.Decide(hist, now, s.opts.Rand)
			u = store.ConnectionUpdate{State: bankfeed.ConnectionState(d.State), Reason: d.Reason, Next: d.Next}
			if class.NeedsUser() {
				f := false
				u.Verified = &f
			}
			if cir != nil {
				if err := openCircuit(ctx, tx, cir, class, d, now); err != nil {
					return err
				}
				u.Next = cir.NextProbeAt
			}
			applied, err := tx.UpdateConnectionStateFor(ctx, c.ID, c.ActionGen, u)
			if err == nil && !applied {
				u = store.ConnectionUpdate{State: c.State, Reason: c.Reason, Next: c.NextAttemptAt}
			}
			return err
		})
		c.State, c.Reason, c.NextAttemptAt = u.State, u.Reason, u.Next
		return err
	}
	// Each account already linked keeps its feed, whatever key it has.
	known := make(map[string]bankfeed.AccountID, len(c.Accounts))
	for _, a := range c.Accounts {
		known[a.Number] = a.AccountID
	}
	return s.db.Update(ctx, func(tx *store.Tx) error { return s.link(ctx, tx, c, infos, known) })
}

// checkLinks refuses links to accounts the bank does not list, and two
// accounts sent to one feed: either would put lines where the user did not
// mean them. Nothing is stored.
func checkLinks(links map[string]bankfeed.AccountID, infos []ofx.AccountInfo) error {
	listed := make(map[string]bool, len(infos))
	var numbers []string
	for _, info := range infos {
		listed[info.Account.AcctID] = true
		numbers = append(numbers, info.Account.AcctID)
	}
	to := map[bankfeed.AccountID]string{}
	var problems []string
	for n, id := range links {
		if !listed[n] {
			problems = append(problems, fmt.Sprintf("--link %s=%d: the bank lists no account %s (it lists %s)",
				n, id, n, strings.Join(numbers, ", ")))
		}
		if other, ok := to[id]; ok {
			problems = append(problems, fmt.Sprintf("--link: accounts %s and %s both go to feed account %d", other, n, id))
		}
		to[id] = n
	}
	if len(problems) > 0 {
		slices.Sort(problems)
		return bankfeed.Errorf(bankfeed.EInvalid, "connect: %s; nothing was saved", strings.Join(problems, "; "))
	}
	return nil
}
