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
	forced   bankfeed.AccountID

	insts    map[string]bankfeed.InstitutionID
	accounts map[bankfeed.AccountID]*acctState
	order    []*acctState
	stmt     *stmtState
	flagged  []bankfeed.LineID

	line     bankfeed.Line // reused for every new line
	lineHint int           // lines the file may hold, from its size
}

// acctState is what the import knows of one account.
type acctState struct {
	acct    *bankfeed.Account
	created bool
	lw      *store.LineWriter
	// seen holds every FITID of this file for the account: index into
	// entries, whose next chains lines that share a FITID.
	seen    map[string]int32
	entries []seenEntry
}

type seenEntry struct {
	lineID   bankfeed.LineID // 0 when the line was a duplicate, not written
	amount   bankfeed.Decimal
	postedOn string
	next     int32 // -1 at the end of the chain
}

// stmtState is the statement being written.
type stmtState struct {
	res         *StatementResult
	info        *stmtInfo
	acct        *acctState // nil: no account could be told
	synthesized int
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
		var err error
		if acct, err = w.tx.Account(ctx, w.forced); err != nil {
			return nil, err
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
	lw, err := w.tx.NewLineWriter(ctx, acct.ID, &w.importID, nil)
	if err != nil {
		return nil, err
	}
	// The first account of a file usually holds all of it: size its map
	// for the file, so a million lines do not rehash it twenty times.
	hint := 0
	if len(w.order) == 0 {
		hint = w.lineHint
	}
	a := &acctState{acct: acct, created: created, lw: lw, seen: make(map[string]int32, hint)}
	w.accounts[acct.ID] = a
	w.order = append(w.order, a)
	return a, nil
}

// lines dedupes and writes one prepared batch of the current statement.
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
		if err := w.classify(ctx, s, s.acct, l, m.prior[l.fitid]); err != nil {
			return err
		}
	}
	return nil
}

// classify decides whether a line is new, a duplicate or a collision, and
// writes it unless it is a duplicate.
//
//   - The same FITID in this file with the same amount and date: duplicate.
//   - The same FITID stored by an earlier import with the same amount:
//     duplicate (banks re-date pending lines; the amount is what matters).
//   - The same FITID otherwise: a collision. The line is kept, flagged, and
//     reported; an earlier line of the same file is flagged too.
func (w *writer) classify(ctx context.Context, s *stmtState, a *acctState, l *rawLine, prior []store.AliasMatch) error {
	var conflict *Collision
	dup := false
	head, inFile := a.seen[l.fitid]
	if inFile {
		for i := head; i >= 0; i = a.entries[i].next {
			e := &a.entries[i]
			if e.postedOn == l.postedDay && e.amount.Equal(l.amount) {
				dup = true
				break
			}
			if conflict == nil {
				conflict = &Collision{OtherLineID: e.lineID, OtherAmount: e.amount, OtherPostedOn: e.postedOn, SameFile: true}
			}
		}
	}
	if !dup {
		for _, m := range prior {
			if m.Amount.Equal(l.amount) {
				dup = true
				break
			}
			if conflict == nil {
				conflict = &Collision{OtherLineID: m.LineID, OtherAmount: m.Amount, OtherPostedOn: m.PostedOn}
			}
		}
	}
	var id bankfeed.LineID
	if dup {
		s.res.Counts.Duplicate++
	} else {
		nl := &w.line
		*nl = bankfeed.Line{
			FITID: l.fitid, PostedOn: l.postedDay, PostedAt: l.postedAt, UserOn: l.userDay,
			Amount: l.amount, Currency: l.currency, Type: l.trnType, Name: l.name, Memo: l.memo,
			CheckNum: l.checkNum, RefNum: l.refNum, SecurityID: l.securityID, Units: l.units, UnitPrice: l.unitPrice,
			Collision: conflict != nil,
		}
		if l.kind != "" && l.kind != "STMTTRN" {
			nl.Type = l.kind // investment lines: BUYSTOCK, INCOME, INVBANKTRAN, …
		}
		if err := a.lw.Add(ctx, nl); err != nil {
			return err
		}
		id = nl.ID
		s.res.Counts.New++
		if conflict != nil {
			s.res.Counts.Collisions++
			if conflict.SameFile && conflict.OtherLineID != 0 {
				w.flagged = append(w.flagged, conflict.OtherLineID)
			}
			conflict.Statement, conflict.Line, conflict.AccountID = s.res.Index, l.line, a.acct.ID
			conflict.FITID, conflict.LineID, conflict.Amount, conflict.PostedOn = l.fitid, id, l.amount, l.postedDay
			w.res.collision(*conflict)
		}
	}
	e := seenEntry{lineID: id, amount: l.amount, postedOn: l.postedDay, next: -1}
	if inFile {
		// Append to the chain's end so the first line stays the one compared first.
		i := head
		for a.entries[i].next >= 0 {
			i = a.entries[i].next
		}
		a.entries[i].next = int32(len(a.entries))
	} else {
		a.seen[l.fitid] = int32(len(a.entries))
	}
	a.entries = append(a.entries, e)
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
	return w.tx.MarkCollisions(ctx, w.flagged)
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
