package match

import (
	"strings"
	"testing"
)

// bestScore runs the candidate search for one line against entries and
// returns the line's best score, and false when no entry is a candidate.
func bestScore(l Line, payeeOf func(string) string, entries ...Entry) (float64, bool) {
	tx := newTextIndex()
	ix := buildIndex(entries, tx)
	info := newLineInfo(&l, payeeOf, tx)
	m := match([]lineInfo{info}, []int64{l.Key}, ix, tx)
	return float64(m.best[0].s1), m.best[0].n > 0
}

func TestScore(t *testing.T) {
	line := Line{Key: 1, Account: 1, Day: D0, Amount: -10000, Text: "BLUE BOTTLE COFFEE 0423 OAKLAND CA"}
	entry := Entry{Key: 1, Account: 1, Day: D0, Amount: -10000, Payee: "Blue Bottle Coffee"}
	with := func(f func(l *Line, e *Entry)) (Line, Entry) {
		l, e := line, entry
		f(&l, &e)
		return l, e
	}
	tests := []struct {
		name    string
		f       func(l *Line, e *Entry)
		payeeOf func(string) string
		extra   []Entry
		want    float64
		wantOK  bool
	}{
		{name: "exact, same day, same payee", f: func(*Line, *Entry) {}, want: 4 + 3 + 3, wantOK: true},
		{name: "a day apart", f: func(l *Line, _ *Entry) { l.Day++ }, want: 4 + 2 + 3, wantOK: true},
		{name: "a day before the entry: as two days", f: func(l *Line, _ *Entry) { l.Day-- }, want: 4 + 1 + 3, wantOK: true},
		{name: "seven days before the entry: as eight", f: func(l *Line, _ *Entry) { l.Day -= 7 }, want: 4 - 1 + 3, wantOK: true},
		{name: "two days apart", f: func(l *Line, _ *Entry) { l.Day -= 2 }, want: 4 + 1 + 3, wantOK: true},
		{name: "two days after: a card line's posting lag, as one day", f: func(l *Line, _ *Entry) { l.Day += 2 }, want: 4 + 2 + 3, wantOK: true},
		{name: "three days after: as one day", f: func(l *Line, _ *Entry) { l.Day += 3 }, want: 4 + 2 + 3, wantOK: true},
		{name: "four days after", f: func(l *Line, _ *Entry) { l.Day += 4 }, want: 4 + 0 + 3, wantOK: true},
		{name: "three days before: as four", f: func(l *Line, _ *Entry) { l.Day -= 3 }, want: 4 + 0 + 3, wantOK: true},
		{name: "seven days apart", f: func(l *Line, _ *Entry) { l.Day += 7 }, want: 4 + 0 + 3, wantOK: true},
		{name: "fourteen days apart", f: func(l *Line, _ *Entry) { l.Day += 14 }, want: 4 - 1 + 3, wantOK: true},
		{name: "21 days apart", f: func(l *Line, _ *Entry) { l.Day += 21 }, want: 4 - 3 + 3, wantOK: true},
		{name: "22 days apart: out", f: func(l *Line, _ *Entry) { l.Day += 22 }},
		{name: "a fee of 3.00", f: func(l *Line, _ *Entry) { l.Amount -= 300 }, want: 1 + 3 + 3, wantOK: true},
		{name: "3.00 less", f: func(l *Line, _ *Entry) { l.Amount += 300 }, want: 1 + 3 + 3, wantOK: true},
		{name: "3.01 less: out", f: func(l *Line, _ *Entry) { l.Amount += 301 }},
		{name: "a 30% tip, same payee", f: func(l *Line, _ *Entry) { l.Amount = -13000 }, want: 1 + 3 + 3, wantOK: true},
		{name: "a 31% tip: out", f: func(l *Line, _ *Entry) { l.Amount = -13100 }},
		{name: "a tip, payee half alike: out", f: func(l *Line, _ *Entry) { l.Amount = -12000; l.Text = "BLUE RIDGE" }},
		{name: "money in against money out: out", f: func(l *Line, _ *Entry) { l.Amount = 10000 }},
		{name: "another account: out", f: func(l *Line, _ *Entry) { l.Account = 2 }},
		{name: "payee half alike", f: func(l *Line, _ *Entry) { l.Text = "BLUE RIDGE" }, want: 4 + 3 + 1.5, wantOK: true},
		{name: "another descriptor, nothing learned: unknown", f: func(l *Line, _ *Entry) { l.Text = "SHELL OIL 1234" }, want: 4 + 3, wantOK: true},
		{
			name:    "a known other payee",
			f:       func(l *Line, _ *Entry) { l.Text = "SHELL OIL 1234" },
			payeeOf: func(string) string { return "Shell" },
			want:    4 + 3 - 2, wantOK: true,
		},
		{name: "the bank's abbreviation", f: func(l *Line, e *Entry) { l.Text, e.Payee = "WHOLEFDS MKT #3904", "Whole Foods" }, want: 4 + 3 + 3, wantOK: true},
		{
			name:    "a check's descriptor names no payee, whatever was learned from another check",
			f:       func(l *Line, e *Entry) { l.Text, l.Check, e.Check, e.Payee = "CHECK 1054", "1054", "1054", "Landlord" },
			payeeOf: func(string) string { return "Mike's Plumbing" },
			want:    4 + 3 + 5, wantOK: true,
		},
		{name: "a transfer's mirror leg and a transfer word", f: func(l *Line, e *Entry) { l.Text, e.Payee, e.Transfer = "ONLINE TRANSFER TO SAV 123", "", true }, want: 4 + 3 + 3, wantOK: true},
		{name: "a transfer's mirror leg, no transfer word", f: func(l *Line, e *Entry) { l.Text, e.Payee, e.Transfer = "DEPOSIT 123", "Savings", true }, want: 4 + 3, wantOK: true},
		{name: "payee unknown", f: func(_ *Line, e *Entry) { e.Payee = "" }, want: 4 + 3, wantOK: true},
		{name: "a transfer against a payee's entry: another payee", f: func(l *Line, _ *Entry) { l.Text = "ONLINE TRANSFER TO SAV 123" }, want: 4 + 3 - 2, wantOK: true},
		{name: "a payee's autopay: its payee", f: func(l *Line, _ *Entry) { l.Text = "BLUE BOTTLE COFFEE AUTOPAY" }, want: 4 + 3 + 3, wantOK: true},
		{
			name: "learned payee of the descriptor",
			f:    func(l *Line, _ *Entry) { l.Text = "SQ *BBC 0423" },
			payeeOf: func(s string) string {
				if strings.HasPrefix(s, "SQ *BBC") {
					return "Blue Bottle Coffee"
				}
				return ""
			},
			want: 4 + 3 + 3, wantOK: true,
		},
		{name: "reference equal", f: func(l *Line, e *Entry) { l.Ref, e.Ref = "inv-42", "INV-42 " }, want: 4 + 3 + 3 + 2, wantOK: true},
		{name: "check equal", f: func(l *Line, e *Entry) { l.Check, e.Check = "1234", "001234" }, want: 4 + 3 + 5 + 3, wantOK: true},
		{name: "check equal, cashed 60 days after", f: func(l *Line, e *Entry) { l.Check, e.Check, l.Day = "1234", "1234", D0+60 }, want: 4 + 0 + 5 + 3, wantOK: true},
		{name: "check equal, dated 60 days before", f: func(l *Line, e *Entry) { l.Check, e.Check, l.Day = "1234", "1234", D0-60 }, want: 4 - 3 + 5 + 3, wantOK: true},
		{
			name:   "check equal: a repeat of the amount is no doubt",
			f:      func(l *Line, e *Entry) { l.Check, e.Check = "1234", "1234" },
			extra:  []Entry{{Key: 2, Account: 1, Day: D0 + 7, Amount: -10000, Payee: "BLUE BOTTLE", Check: "1235"}},
			want:   4 + 3 + 5 + 3,
			wantOK: true,
		},
		{name: "entry's check, 90 days late", f: func(l *Line, e *Entry) { e.Check, l.Day = "1234", D0+90 }, want: 4 - 3 + 3, wantOK: true},
		{name: "line's check, 90 days late", f: func(l *Line, e *Entry) { l.Check, l.Day = "1234", D0+90 }, want: 4 - 3 + 3, wantOK: true},
		{name: "check, 91 days late: out", f: func(l *Line, e *Entry) { l.Check, e.Check, l.Day = "1234", "1234", D0+91 }},
		{name: "checks differ: out", f: func(l *Line, e *Entry) { l.Check, e.Check = "1234", "1235" }},
		{
			name:   "repeat purchase within 7 days",
			f:      func(*Line, *Entry) {},
			extra:  []Entry{{Key: 2, Account: 1, Day: D0 + 7, Amount: -10000, Payee: "BLUE BOTTLE"}},
			want:   4 + 3 + 3 - 1.5,
			wantOK: true,
		},
		{
			name:   "same amount 8 days later is no repeat",
			f:      func(*Line, *Entry) {},
			extra:  []Entry{{Key: 2, Account: 1, Day: D0 + 8, Amount: -10000, Payee: "BLUE BOTTLE"}},
			want:   4 + 3 + 3,
			wantOK: true,
		},
		{
			name:   "same amount, another payee, is no repeat",
			f:      func(*Line, *Entry) {},
			extra:  []Entry{{Key: 2, Account: 1, Day: D0 + 1, Amount: -10000, Payee: "Shell"}},
			want:   4 + 3 + 3,
			wantOK: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, e := with(tt.f)
			got, ok := bestScore(l, tt.payeeOf, append([]Entry{e}, tt.extra...)...)
			if ok != tt.wantOK || got != tt.want {
				t.Errorf("score = %v, %v; want %v, %v", got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

func TestDateScore(t *testing.T) {
	want := map[Day]float64{0: 3, 1: 2, 2: 1, 3: 1, 4: 0, 7: 0, 8: -1, 14: -1, 15: -3, 90: -3}
	for dd, w := range want {
		if got := dateScore(dd); got != w {
			t.Errorf("dateScore(%d) = %v, want %v", dd, got, w)
		}
	}
}
