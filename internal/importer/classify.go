package importer

import (
	"github.com/bankfeed/bankfeed"
	"github.com/bankfeed/bankfeed/internal/store"
)

// verdict is what dedupe decided for a line.
type verdict uint8

const (
	verdictNew       verdict = iota + 1 // written
	verdictDuplicate                    // not written
	verdictCollision                    // written, flagged, reported
)

// conflict is the line a collision collides with.
type conflict struct {
	sameFile bool
	seq      int64           // the other line's seq when in this file and written, else -1
	lineID   bankfeed.LineID // the other line's id when stored by an earlier import
	amount   bankfeed.Decimal
	postedOn string // for a line of this file; the writer reads an earlier one's
}

// classifier is the third stage: it decides, line by line, whether a line
// is new, a duplicate or a collision, from the lines of this file seen so
// far and the earlier lines the preparer found. New lines are numbered in
// the order the writer will write them (seq), which lets this stage name a
// line it has not seen written: its id will be the import's first id + seq.
//
//   - The same FITID in this file with the same amount, date, name, memo,
//     type and check number: duplicate (a statement repeated in the file).
//   - The same FITID stored by an earlier import with the same amount:
//     duplicate (banks re-date pending lines; the amount is what matters).
//   - The same FITID otherwise: a collision. The line is kept, flagged, and
//     reported; an earlier line of the same file is flagged too. Lines of
//     earlier imports are not changed.
type classifier struct {
	accounts map[string]*classAccount
	cur      *classAccount // nil: the statement has no account
	nextSeq  int64
	hint     int // lines the file may hold, to size the first account's map
}

// classAccount holds every FITID of this file for one account: seen maps it
// to an index into entries, whose next chains the lines that share it.
type classAccount struct {
	seen    map[string]int32
	entries []seenEntry
}

type seenEntry struct {
	seq      int64 // -1: a duplicate, not written
	amount   bankfeed.Decimal
	postedOn string
	text     uint64 // fingerprint of name, memo, type and check number
	next     int32  // -1 at the end of the chain
}

// textPrint fingerprints what tells two lines of one file apart besides
// their FITID, amount and date.
// It is FNV-1a, inline: it runs for every line and allocates nothing.
func textPrint(l *rawLine) uint64 {
	const prime = 1099511628211
	h := uint64(14695981039346656037)
	for _, s := range [...]string{l.name, l.memo, l.trnType, l.checkNum} {
		for i := 0; i < len(s); i++ {
			h = (h ^ uint64(s[i])) * prime
		}
		h *= prime // a separator, so "ab"+"c" differs from "a"+"bc"
	}
	return h
}

func (c *classifier) handle(m *message) {
	switch m.kind {
	case msgStart:
		c.cur = nil
		if m.acctKey == "" {
			return
		}
		a, ok := c.accounts[m.acctKey]
		if !ok {
			hint := 0
			if len(c.accounts) == 0 {
				hint = c.hint
			}
			a = &classAccount{seen: make(map[string]int32, hint)}
			c.accounts[m.acctKey] = a
		}
		c.cur = a
	case msgLines:
		for i := range m.lines {
			if l := &m.lines[i]; l.skip == "" {
				m.flags = c.classify(c.cur, l, m.prior[l.fitid], m.flags)
			}
		}
	}
}

// classify sets l's verdict, and its seq when it is to be written. It
// returns flags with the seq of an earlier line of this file the line
// collides with, which must be flagged too.
func (c *classifier) classify(a *classAccount, l *rawLine, prior []store.AliasMatch, flags []int64) []int64 {
	var other *conflict
	dup := false
	head, inFile := a.seen[l.fitid]
	var text uint64
	if inFile {
		text = textPrint(l)
		for i := head; i >= 0; i = a.entries[i].next {
			e := &a.entries[i]
			if e.postedOn == l.postedDay && e.amount.Equal(l.amount) && e.text == text {
				dup = true
				break
			}
			if other == nil {
				other = &conflict{sameFile: true, seq: e.seq, amount: e.amount, postedOn: e.postedOn}
			}
		}
	}
	if !dup {
		for _, p := range prior {
			if p.Amount.Equal(l.amount) {
				dup = true
				break
			}
			if other == nil {
				other = &conflict{seq: -1, lineID: p.LineID, amount: p.Amount}
			}
		}
	}
	if !inFile {
		text = textPrint(l) // kept for a later line with the same FITID
	}
	e := seenEntry{seq: -1, amount: l.amount, postedOn: l.postedDay, text: text, next: -1}
	switch {
	case dup:
		l.verdict = verdictDuplicate
	default:
		l.verdict, l.seq, l.conflict = verdictNew, c.nextSeq, nil
		if other != nil {
			l.verdict, l.conflict = verdictCollision, other
			if other.sameFile && other.seq >= 0 {
				flags = append(flags, other.seq)
			}
		}
		e.seq = c.nextSeq
		c.nextSeq++
	}
	if inFile {
		// Append at the chain's end so the first line stays the one
		// compared first.
		i := head
		for a.entries[i].next >= 0 {
			i = a.entries[i].next
		}
		a.entries[i].next = int32(len(a.entries))
	} else {
		a.seen[l.fitid] = int32(len(a.entries))
	}
	a.entries = append(a.entries, e)
	return flags
}
