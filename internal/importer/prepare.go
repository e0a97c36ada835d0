package importer

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strconv"

	"github.com/bankfeed/bankfeed"
	"github.com/bankfeed/bankfeed/internal/store"
)

// synthPrefix starts the id made up for a line the bank sent without a
// FITID, so it cannot be taken for a bank's id.
const synthPrefix = "~fp:"

// srvrtidAlias is how a line's SRVRTID is kept among its aliases.
func srvrtidAlias(id string) string { return "srvrtid:" + id }

// preparer is the second stage: it checks each line, gives it its final
// FITID and amount, and looks up what earlier imports stored under the same
// ids. It reads through a snapshot taken while the import holds the write
// lock, which shows exactly the store before this import.
type preparer struct {
	snap     lookuper
	forced   bankfeed.AccountID
	accounts map[string]*prepAccount // by accountKey
	cur      *prepStmt
	ids      []string
	distinct map[string]struct{}
}

// lookuper is where the preparer reads the store before the import: a
// Snapshot, or the import's own transaction before it writes anything.
type lookuper interface {
	Account(ctx context.Context, id bankfeed.AccountID) (*bankfeed.Account, error)
	AccountByKey(ctx context.Context, instKey string, kind bankfeed.AccountKind, bankID, number string) (*bankfeed.Account, error)
	HasLines(ctx context.Context, accountID bankfeed.AccountID) (bool, error)
	LookupAliases(ctx context.Context, accountID bankfeed.AccountID, ids []string, fn func(store.AliasMatch) error) error
}

// prepAccount is what the preparer knows of an account.
type prepAccount struct {
	stored   *bankfeed.Account // nil: the account is new
	hasLines bool
	// fp counts the lines without FITID by fingerprint, so identical lines
	// of one file get distinct, stable ids.
	fp map[string]int
}

type prepStmt struct {
	info *stmtInfo
	acct *prepAccount // nil: no account could be told
}

// accountKey names the account a statement goes to.
func accountKey(forced bankfeed.AccountID, info *stmtInfo) string {
	if forced != 0 {
		return "id=" + strconv.FormatInt(int64(forced), 10)
	}
	so, a := info.signon, info.Account
	return bankfeed.InstitutionKey(so.Org, so.FID, so.IntuBID) + "|" + string(info.Kind) + "|" + a.BankID + a.BrokerID + "|" + a.AcctID
}

func (p *preparer) prepare(ctx context.Context, m *message) error {
	switch m.kind {
	case msgStart:
		if err := p.start(ctx, m.st); err != nil {
			return err
		}
		if p.cur.acct != nil {
			m.acctKey = accountKey(p.forced, m.st)
		}
		return nil
	case msgLines:
		return p.lines(ctx, m)
	case msgEnd:
		p.cur = nil
	}
	return nil
}

func (p *preparer) start(ctx context.Context, info *stmtInfo) error {
	p.cur = &prepStmt{info: info}
	if p.forced == 0 && info.Account.AcctID == "" {
		return nil
	}
	key := accountKey(p.forced, info)
	if a, ok := p.accounts[key]; ok {
		p.cur.acct = a
		return nil
	}
	a := &prepAccount{fp: map[string]int{}}
	var err error
	if p.forced != 0 {
		a.stored, err = p.snap.Account(ctx, p.forced)
	} else {
		so := info.signon
		bankID := info.Account.BankID
		if bankID == "" {
			bankID = info.Account.BrokerID
		}
		a.stored, err = p.snap.AccountByKey(ctx, bankfeed.InstitutionKey(so.Org, so.FID, so.IntuBID), info.Kind, bankID, info.Account.AcctID)
	}
	if err != nil {
		return err
	}
	if a.stored != nil {
		if a.hasLines, err = p.snap.HasLines(ctx, a.stored.ID); err != nil {
			return err
		}
	}
	p.accounts[key] = a
	p.cur.acct = a
	return nil
}

// lines prepares a batch: the reasons to skip, amounts made canonical at the
// currency's places, FITIDs made up where missing, and the earlier lines
// stored under the batch's ids.
func (p *preparer) lines(ctx context.Context, m *message) error {
	s := p.cur
	if s.acct == nil {
		for i := range m.lines {
			m.lines[i].skip = "the statement names no account (ACCTID); import the file with --account"
		}
		return nil
	}
	p.ids = p.ids[:0]
	for i := range m.lines {
		l := &m.lines[i]
		switch {
		case !l.amountSet:
			l.skip = "no usable amount"
			continue
		case !l.postedValid:
			l.skip = "no usable date"
			continue
		}
		l.currency = p.currency(l)
		l.amount = l.amount.Canonical(bankfeed.CurrencyPlaces(l.currency))
		if l.fitid == "" {
			l.fitid = p.synthesize(s, l)
			l.synthesized = true
		}
		p.ids = append(p.ids, l.fitid)
	}
	if !s.acct.hasLines || len(p.ids) == 0 {
		return nil
	}
	if p.distinct == nil {
		p.distinct = map[string]struct{}{}
	}
	clear(p.distinct)
	ids := p.ids[:0]
	for _, f := range p.ids {
		if _, ok := p.distinct[f]; !ok {
			p.distinct[f] = struct{}{}
			ids = append(ids, f)
		}
	}
	m.prior = map[string][]store.AliasMatch{}
	return p.snap.LookupAliases(ctx, s.acct.stored.ID, ids, func(am store.AliasMatch) error {
		m.prior[am.Alias] = append(m.prior[am.Alias], am)
		return nil
	})
}

// currency is the statement's (CURDEF), else the line's own, else the
// stored account's.
func (p *preparer) currency(l *rawLine) string {
	switch {
	case p.cur.info.Currency != "":
		return p.cur.info.Currency
	case l.currency != "":
		return l.currency
	case p.cur.acct != nil && p.cur.acct.stored != nil:
		return p.cur.acct.stored.Currency
	}
	return ""
}

// synthesize makes a stable id for a line without FITID: a fingerprint of
// the account, date, amount, name and memo, and how many lines of this file
// had that fingerprint before it.
func (p *preparer) synthesize(s *prepStmt, l *rawLine) string {
	acct := s.info.Account
	h := sha256.New()
	for _, f := range []string{string(s.info.Kind), acct.BankID + acct.BrokerID, acct.AcctID,
		l.postedDay, l.amount.String(), l.name, l.memo} {
		h.Write([]byte(f))
		h.Write([]byte{0})
	}
	fp := hex.EncodeToString(h.Sum(nil))[:20]
	n := s.acct.fp[fp]
	s.acct.fp[fp] = n + 1
	return synthPrefix + fp + "." + strconv.Itoa(n)
}
