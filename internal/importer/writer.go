package importer

import (
	"context"
	"fmt"
	"strings"

	"github.com/bankfeed/bankfeed"
	"github.com/bankfeed/bankfeed/internal/store"
)

// writer applies the reader's messages inside the import's transaction.
type writer struct {
	db       *store.DB
	tx       *store.Tx
	res      *Result
	importID bankfeed.ImportID
	syncRun  *bankfeed.SyncRunID // the sync run that fetched the file, if one did
	forced   bankfeed.AccountID
	// forcedAcct is the forced account as read in the import's
	// transaction, when it was; nil: read it.
	forcedAcct *bankfeed.Account

	insts    map[string]bankfeed.InstitutionID
	accounts map[bankfeed.AccountID]*acctState
	order    []*acctState
	stmt     *stmtState
	// firstID is the id of the import's first new line (0 before it); a
	// new line's id is firstID + its seq.
	firstID  bankfeed.LineID
	flagSeqs []int64 // earlier lines of in-file collisions, to flag

	line     bankfeed.Line // reused for every new line
	lineHint int           // lines the file may hold, from its size
	// hintExact says lineHint is the count of the lines that come (a
	// response read whole), not a guess from the size.
	hintExact bool

	// review: collect what each statement delivered (Options.Review).
	review    bool
	delivered []Delivered
}

// acctState is what the import knows of one account.
type acctState struct {
	acct    *bankfeed.Account
	created bool
	lw      *store.LineWriter
}

// stmtState is the statement being written.
type stmtState struct {
	res         *StatementResult
	info        *stmtInfo
	acct        *acctState // nil: no account could be told
	synthesized int
	// For review: every id of the statement and its first and last date.
	present     []string
	first, last string
}

func newWriter(db *store.DB, tx *store.Tx, res *Result, importID bankfeed.ImportID, forced bankfeed.AccountID) *writer {
	return &writer{
		db: db, tx: tx, res: res, importID: importID, forced: forced,
		insts:    map[string]bankfeed.InstitutionID{},
		accounts: map[bankfeed.AccountID]*acctState{},
	}
}

func (w *writer) close() {
	for _, a := range w.order {
		a.lw.Close()
	}
}

func (w *writer) handle(ctx context.Context, m message) error {
	switch m.kind {
	case msgStart:
		return w.start(ctx, m.st)
	case msgLines:
		return w.lines(ctx, m)
	case msgEnd:
		return w.end(ctx, m.st)
	}
	return fmt.Errorf("importer: unknown message %d", m.kind)
}

// start maps a statement to its account, creating it on first sight.
func (w *writer) start(ctx context.Context, info *stmtInfo) error {
	s := &stmtState{info: info, res: &StatementResult{Index: info.Index, Kind: info.Kind, Currency: info.Currency}}
	w.stmt = s
	w.res.Statements = append(w.res.Statements, s.res)
	a, err := w.account(ctx, info)
	if err != nil || a == nil {
		return err
	}
	s.acct = a
	id := a.acct.ID
	s.res.AccountID = &id
	s.res.AccountNumber = a.acct.Number
	s.res.AccountCreated = a.created
	a.created = false // said once, for the statement that created it
	if s.res.Currency == "" {
		s.res.Currency = a.acct.Currency
	}
	return nil
}

func (w *writer) account(ctx context.Context, info *stmtInfo) (*acctState, error) {
	var acct *bankfeed.Account
	created := false
	if w.forced != 0 {
		acct = w.forcedAcct
		if acct == nil {
			var err error
			if acct, err = w.tx.Account(ctx, w.forced); err != nil {
				return nil, err
			}
		}
	} else {
		if info.Account.AcctID == "" {
			return nil, nil
		}
		so := info.signon
		key := bankfeed.InstitutionKey(so.Org, so.FID, so.IntuBID)
		instID, ok := w.insts[key]
		if !ok {
			inst, err := w.tx.EnsureInstitution(ctx, so.Org, so.FID, so.IntuBID)
			if err != nil {
				return nil, err
			}
			instID = inst.ID
			w.insts[key] = instID
		}
		bankID := info.Account.BankID
		if bankID == "" {
			bankID = info.Account.BrokerID
		}
		var err error
		acct, created, err = w.tx.EnsureAccount(ctx, bankfeed.Account{
			InstitutionID: instID, Kind: info.Kind, Type: info.Account.AcctType, BankID: bankID,
			BranchID: info.Account.BranchID, Number: info.Account.AcctID, Currency: info.Currency,
		})
		if err != nil {
			return nil, err
		}
	}
	if a, ok := w.accounts[acct.ID]; ok {
		return a, nil
	}
	lw, err := w.tx.NewLineWriter(ctx, acct.ID, &w.importID, w.syncRun)
	if err != nil {
		return nil, err
	}
	if w.hintExact {
		lw.Grow(w.lineHint)
	}
	a := &acctState{acct: acct, created: created, lw: lw}
	w.accounts[acct.ID] = a
	w.order = append(w.order, a)
	return a, nil
}

// lines writes one classified batch of the current statement.
func (w *writer) lines(ctx context.Context, m message) error {
	s := w.stmt
	for i := range m.lines {
		l := &m.lines[i]
		if l.skip != "" {
			w.skipLine(s, l, l.skip)
			continue
		}
		if l.synthesized {
			s.synthesized++
		}
		if w.review && s.acct != nil {
			s.present = append(s.present, strings.Clone(l.fitid))
			if s.first == "" || l.postedDay < s.first {
				s.first = strings.Clone(l.postedDay)
			}
			if l.postedDay > s.last {
				s.last = strings.Clone(l.postedDay)
			}
		}
		if l.verdict == verdictDuplicate {
			s.res.Counts.Duplicate++
			continue
		}
		if err := w.write(ctx, s, l); err != nil {
			return err
		}
	}
	w.flagSeqs = append(w.flagSeqs, m.flags...)
	return nil
}

// write writes a new line, or a collision, which it also reports.
func (w *writer) write(ctx context.Context, s *stmtState, l *rawLine) error {
	nl := &w.line
	*nl = bankfeed.Line{
		FITID: l.fitid, PostedOn: l.postedDay, PostedAt: l.postedAt, UserOn: l.userDay,
		Amount: l.amount, Currency: l.currency, Type: l.trnType, Name: l.name, Memo: l.memo,
		CheckNum: l.checkNum, RefNum: l.refNum, SecurityID: l.securityID, Units: l.units, UnitPrice: l.unitPrice,
		Collision: l.verdict == verdictCollision,
	}
	if l.kind != "" && l.kind != "STMTTRN" {
		nl.Type = l.kind // investment lines: BUYSTOCK, INCOME, INVBANKTRAN, …
	}
	if l.srvrTID != "" {
		// The server's id for the line, in its own namespace so it is never
		// taken for another line's FITID.
		nl.Aliases = append(nl.Aliases[:0], srvrtidAlias(l.srvrTID))
	}
	if err := s.acct.lw.Add(ctx, nl); err != nil {
		return err
	}
	// The classifier numbered new lines in the order they are written.
	if w.firstID == 0 {
		w.firstID = nl.ID - bankfeed.LineID(l.seq)
	}
	if nl.ID != w.firstID+bankfeed.LineID(l.seq) {
		return fmt.Errorf("importer: line %d got id %d, want %d", l.line, nl.ID, w.firstID+bankfeed.LineID(l.seq))
	}
	s.res.Counts.New++
	if c := l.conflict; c != nil {
		s.res.Counts.Collisions++
		other, postedOn := c.lineID, c.postedOn
		if c.sameFile && c.seq >= 0 {
			other = w.firstID + bankfeed.LineID(c.seq)
		}
		if !c.sameFile && len(w.res.Collisions) < maxCollisions {
			ol, err := w.tx.Line(ctx, c.lineID)
			if err != nil {
				return err
			}
			postedOn = ol.PostedOn
		}
		w.res.collision(Collision{Statement: s.res.Index, Line: l.line, AccountID: s.acct.acct.ID, FITID: l.fitid,
			LineID: nl.ID, Amount: l.amount, PostedOn: l.postedDay,
			OtherLineID: other, OtherAmount: c.amount, OtherPostedOn: postedOn, SameFile: c.sameFile})
	}
	return nil
}

func (w *writer) skipLine(s *stmtState, l *rawLine, reason string) {
	s.res.Counts.Skipped++
	w.res.skip(Skip{Statement: s.res.Index, Line: l.line, FITID: l.fitid, Reason: reason})
}

// end completes the statement's result from the statement as read whole,
// and records it.
func (w *writer) end(ctx context.Context, info *stmtInfo) error {
	s := w.stmt
	if s == nil || s.info.Index != info.Index {
		return fmt.Errorf("importer: statement %d ended before it started", info.Index)
	}
	s.info = info
	r := s.res
	r.StartOn, r.EndOn = info.Start.Day(), info.End.Day()
	r.StatusCode = info.Status.Code
	r.Transactions = info.Count
	if info.Currency != "" {
		r.Currency = info.Currency
	}
	if info.Ledger.Set {
		r.Ledger = &bankfeed.Balance{Amount: info.Ledger.Amount}
		if info.Ledger.AsOf.Valid {
			r.Ledger.AsOf = info.Ledger.AsOf.Time.UTC()
		}
	}
	if info.Available.Set {
		r.Available = &bankfeed.Balance{Amount: info.Available.Amount}
		if info.Available.AsOf.Valid {
			r.Available.AsOf = info.Available.AsOf.Time.UTC()
		}
	}
	if s.synthesized > 0 {
		w.res.warn(fmt.Sprintf("statement %d (account %s): %d %s without FITID got ids made from date, amount, name and memo (prefixed %q)",
			r.Index, describeAccount(info), s.synthesized, plural(s.synthesized, "line", "lines"), synthPrefix))
		r.Counts.Warnings++
	}
	if s.acct == nil && info.Count > 0 {
		w.res.warn(fmt.Sprintf("statement %d: no account id; its %d %s were skipped", r.Index, info.Count, plural(info.Count, "line", "lines")))
		r.Counts.Warnings++
	}
	w.res.Counts.New += r.Counts.New
	w.res.Counts.Duplicate += r.Counts.Duplicate
	w.res.Counts.Collisions += r.Counts.Collisions
	w.res.Counts.Skipped += r.Counts.Skipped
	w.stmt = nil
	if w.review && s.acct != nil && len(s.present) > 0 {
		d := Delivered{AccountID: s.acct.acct.ID, From: r.StartOn, To: r.EndOn, Present: s.present}
		if d.From == "" || s.first < d.From {
			d.From = s.first
		}
		if d.To == "" || s.last > d.To {
			d.To = s.last
		}
		w.delivered = append(w.delivered, d)
	}
	return w.tx.AddImportStatement(ctx, &bankfeed.ImportStatement{
		ImportID: w.importID, Index: r.Index, AccountID: r.AccountID, Kind: r.Kind, Currency: r.Currency,
		StatusCode: r.StatusCode, StartOn: r.StartOn, EndOn: r.EndOn, Ledger: r.Ledger, Available: r.Available,
		Transactions: r.Transactions, ImportCounts: r.Counts,
	})
}

// finish writes what is still queued and flags the earlier lines of
// in-file collisions.
func (w *writer) finish(ctx context.Context) error {
	if w.stmt != nil {
		return fmt.Errorf("importer: statement %d never ended", w.stmt.info.Index)
	}
	for _, a := range w.order {
		if err := a.lw.Flush(ctx); err != nil {
			return err
		}
	}
	flagged := make([]bankfeed.LineID, len(w.flagSeqs))
	for i, seq := range w.flagSeqs {
		flagged[i] = w.firstID + bankfeed.LineID(seq)
	}
	return w.tx.MarkCollisions(ctx, flagged)
}

func describeAccount(info *stmtInfo) string {
	if info.Account.AcctID == "" {
		return "unnamed"
	}
	return strings.TrimSpace(string(info.Kind) + " " + info.Account.AcctID)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
