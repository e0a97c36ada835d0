package reconcile

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/bankfeed/bankfeed"
)

func dec(s string) bankfeed.Decimal { return bankfeed.MustDecimal(s) }

// base is an account whose books agree with the bank: one line of -20.00
// after an opening balance of 100.00, so the bank says 80.00.
func base() Input {
	return Input{
		Account: "Assets:Bank:Checking", AccountID: 1, FeedAccountID: 7, Currency: "USD",
		HasBalance: true, Bank: dec("80.00"), AsOf: "2026-01-31",
		Cleared:     dec("80"),
		FirstLineOn: "2026-01-05", FeedSum: dec("-20.00"), BooksBefore: true,
		Covered: []Window{{"2026-01-01", "2026-01-31"}},
	}
}

func TestCheck(t *testing.T) {
	type cause struct {
		Kind    string
		Exact   bool
		Explain string // "" for none
		Has     string // in the message
	}
	tests := []struct {
		name     string
		in       func(*Input)
		balanced bool
		diff     string
		want     []cause
		command  string // in the report's or the first cause's command
		// unexplained is what the measured causes leave ("" for nil).
		unexplained string
	}{
		{name: "equal", in: func(*Input) {}, balanced: true, diff: "0.00",
			command: "bankfeed reconcile start --account Assets:Bank:Checking --date 2026-01-31 --balance 80.00"},
		{name: "no balance from the bank", in: func(in *Input) { *in = Input{Account: "A"} }, diff: "0"},
		{name: "line for review, exactly", in: func(in *Input) {
			in.Cleared = dec("100.00")
			in.Review = []Line{{ID: 3, Date: "2026-01-05", Amount: dec("-20.00"), Name: "SHOP"}}
		}, diff: "-20.00", want: []cause{{CauseReview, true, "-20.00", "1 line dated on or before 2026-01-31 still For Review sum to -20.00: exactly the difference"}}, unexplained: "0.00"},
		{name: "lines for review, part", in: func(in *Input) {
			in.Cleared = dec("110.00")
			in.Review = []Line{{ID: 3, Date: "2026-01-05", Amount: dec("-20.00")}, {ID: 4, Date: "2026-01-06", Amount: dec("-5")}}
		}, diff: "-30.00", want: []cause{{CauseReview, false, "-25.00", "with them in the books -5.00 would remain"}}, unexplained: "-5.00"},
		{name: "no opening balance", in: func(in *Input) {
			in.Cleared, in.BooksBefore = dec("-20.00"), false
		}, diff: "100.00", want: []cause{{CauseOpening, true, "100.00", "the bank's balance then was 100.00: exactly the difference"}},
			command: "bankfeed entry add --date 2026-01-04 --payee 'Opening balance' --account Assets:Bank:Checking --amount 100.00 --category Equity:Opening-Balances", unexplained: "0.00"},
		{name: "no opening balance, and a line for review", in: func(in *Input) {
			in.Cleared, in.BooksBefore, in.FeedSum = dec("-20.00"), false, dec("-30.00")
			in.Bank = dec("70.00")
			in.Review = []Line{{ID: 4, Date: "2026-01-09", Amount: dec("-10.00")}}
		}, diff: "90.00", want: []cause{
			{CauseOpening, false, "100.00", "with the lines For Review that is exactly the difference"},
			{CauseReview, false, "-10.00", "100.00 would remain"},
		}, unexplained: "0.00"},
		{name: "duplicate closes it", in: func(in *Input) {
			in.Cleared = dec("60.00")
			in.Splits = []Split{
				{ID: 10, EntryID: 1, Date: "2026-01-05", Amount: dec("-20.00"), Payee: "Shop"},
				{ID: 12, EntryID: 2, Date: "2026-01-07", Amount: dec("-20.00"), Payee: "Shop"},
				{ID: 14, EntryID: 3, Date: "2026-01-20", Amount: dec("-20.00"), Payee: "Shop"},
			}
		}, diff: "20.00", want: []cause{{CauseDuplicate, true, "20.00", "splits 10 (2026-01-05, Shop) and 12 (2026-01-07, Shop) are both -20.00"}}},
		{name: "duplicate both reconciled is not suspected", in: func(in *Input) {
			in.Cleared = dec("60.00")
			in.Splits = []Split{
				{ID: 10, EntryID: 1, Date: "2026-01-05", Amount: dec("-20.00"), Reconciled: true},
				{ID: 12, EntryID: 2, Date: "2026-01-07", Amount: dec("-20.00"), Reconciled: true},
			}
		}, diff: "20.00"},
		{name: "pairs flagged when they narrow it", in: func(in *Input) {
			in.Cleared = dec("50.00")
			in.Splits = []Split{
				{ID: 10, EntryID: 1, Date: "2026-01-05", Amount: dec("-4.50")},
				{ID: 12, EntryID: 2, Date: "2026-01-06", Amount: dec("-4.50")},
				{ID: 13, EntryID: 4, Date: "2026-01-06", Amount: dec("4.50")},
				{ID: 14, EntryID: 5, Date: "2026-01-07", Amount: dec("4.50")},
			}
		}, diff: "30.00", want: []cause{{CauseDuplicates, false, "", "1 pair of splits of the same amount within 3 days"}}},
		{name: "excluded line is the difference", in: func(in *Input) {
			in.Cleared = dec("100.00")
			in.Excluded = []Line{{ID: 5, Date: "2026-01-05", Amount: dec("-20.00"), Name: "SHOP"}, {ID: 6, Date: "2026-01-06", Amount: dec("-3.00")}}
		}, diff: "-20.00", want: []cause{{CauseExcluded, true, "-20.00", "Line 5 (2026-01-05, -20.00) was excluded"}}},
		{name: "excluded lines sum to it", in: func(in *Input) {
			in.Cleared = dec("103.00")
			in.Excluded = []Line{{ID: 5, Amount: dec("-20.00")}, {ID: 6, Amount: dec("-3.00")}}
		}, diff: "-23.00", want: []cause{{CauseExcluded, true, "-23.00", "2 lines excluded from the books sum to -23.00"}}},
		{name: "excluded lines that do not explain it are not shown", in: func(in *Input) {
			in.Cleared = dec("103.00")
			in.Excluded = []Line{{ID: 5, Amount: dec("-2.00")}}
		}, diff: "-23.00"},
		{name: "pending in the books", in: func(in *Input) {
			in.Cleared = dec("65.00")
			in.PendingInBooks = []Line{{ID: 8, Date: "2026-01-30", Amount: dec("-15.00")}}
			in.Pending = []Line{{ID: 9, Date: "2026-01-30", Amount: dec("-99.00")}}
		}, diff: "15.00", want: []cause{{CausePending, true, "15.00", "1 pending line already in the books sum to -15.00: exactly the difference"}}, unexplained: "0.00"},
		{name: "pending the bank counts", in: func(in *Input) {
			in.Bank = dec("65.00")
			in.Pending = []Line{{ID: 9, Date: "2026-01-30", Amount: dec("-15.00")}}
		}, diff: "-15.00", want: []cause{{CausePending, true, "-15.00", "This bank counts pending lines"}}},
		{name: "gap, flagged after what arithmetic explains", in: func(in *Input) {
			in.Cleared = dec("110.00")
			in.Review = []Line{{ID: 3, Date: "2026-01-05", Amount: dec("-20.00")}}
			in.Covered = []Window{{"2026-01-01", "2026-01-10"}, {"2026-01-14", "2026-01-20"}, {"2026-01-21", "2026-01-31"}, {"2026-02-05", "2026-02-10"}}
		}, diff: "-30.00", want: []cause{
			{CauseReview, false, "-20.00", "-10.00 would remain"},
			{CauseGap, false, "", "No statement covered 2026-01-11 to 2026-01-13"},
		}, unexplained: "-10.00"},
		{name: "excluded lines close what the lines for review leave", in: func(in *Input) {
			in.Cleared = dec("140.00")
			in.Review = []Line{{ID: 3, Date: "2026-01-05", Amount: dec("-25.00")}}
			in.Excluded = []Line{{ID: 5, Date: "2026-01-06", Amount: dec("-35.00")}, {ID: 6, Date: "2026-01-07", Amount: dec("-2.00")}}
		}, diff: "-60.00", want: []cause{
			{CauseExcluded, false, "-35.00", "Line 5 (2026-01-06, -35.00) was excluded from the books and with the other causes listed its amount closes the difference exactly"},
			{CauseReview, false, "-25.00", "-35.00 would remain"},
		}, unexplained: "0.00"},
		{name: "a duplicate closes what the opening balance leaves", in: func(in *Input) {
			in.Cleared, in.BooksBefore = dec("-50.00"), false
			in.Splits = []Split{
				{ID: 10, EntryID: 1, Date: "2026-01-05", Amount: dec("-30.00")},
				{ID: 12, EntryID: 2, Date: "2026-01-07", Amount: dec("-30.00")},
			}
		}, diff: "130.00", want: []cause{
			{CauseOpening, false, "100.00", "with it 30.00 would remain"},
			{CauseDuplicate, false, "30.00", "removing one, with the other causes listed, closes the difference exactly"},
		}, unexplained: "0.00"},
		{name: "what is left unexplained", in: func(in *Input) {
			in.Cleared = dec("120.00")
			in.Review = []Line{{ID: 3, Date: "2026-01-05", Amount: dec("-5.00")}}
		}, diff: "-40.00", want: []cause{{CauseReview, false, "-5.00", "-35.00 would remain"}}, unexplained: "-35.00"},
		{name: "the most explanatory first", in: func(in *Input) {
			in.Cleared = dec("120.00")
			in.Review = []Line{{ID: 3, Date: "2026-01-05", Amount: dec("-5.00")}}
			in.Excluded = []Line{{ID: 5, Date: "2026-01-06", Amount: dec("-40.00"), Name: "ATM"}}
		}, diff: "-40.00", want: []cause{
			{CauseExcluded, true, "-40.00", "Line 5"},
			{CauseReview, false, "-5.00", "-35.00 would remain"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := base()
			tt.in(&in)
			r := Check(in)
			if r.Balanced != tt.balanced || r.Difference.String() != tt.diff {
				t.Fatalf("balanced %v, difference %s; want %v, %s", r.Balanced, r.Difference, tt.balanced, tt.diff)
			}
			var got []cause
			for i, c := range r.Causes {
				x := cause{Kind: c.Kind, Exact: c.Exact}
				if c.Explains != nil {
					x.Explain = c.Explains.Canonical(2).String()
				}
				if i < len(tt.want) && strings.Contains(c.Message, tt.want[i].Has) {
					x.Has = tt.want[i].Has
				} else {
					x.Has = c.Message
				}
				got = append(got, x)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("causes (-want +got):\n%s", diff)
			}
			if got := r.Unexplained; (got == nil) != (tt.unexplained == "") || (got != nil && got.String() != tt.unexplained) {
				t.Errorf("unexplained %v, want %q", got, tt.unexplained)
			}
			if tt.command != "" {
				cmdline := r.Command
				if len(r.Causes) > 0 {
					cmdline = r.Causes[0].Command
				}
				if cmdline != tt.command {
					t.Errorf("command\n got %s\nwant %s", cmdline, tt.command)
				}
			}
		})
	}
}

func TestGaps(t *testing.T) {
	tests := []struct {
		name  string
		in    []Window
		until string
		want  []Window
	}{
		{"none", nil, "", nil},
		{"adjacent", []Window{{"2026-01-01", "2026-01-31"}, {"2026-02-01", "2026-02-28"}}, "", nil},
		{"overlapping, out of order", []Window{{"2026-01-20", "2026-02-28"}, {"2026-01-01", "2026-01-31"}}, "", nil},
		{"one day", []Window{{"2026-01-01", "2026-01-30"}, {"2026-02-01", "2026-02-28"}}, "", []Window{{"2026-01-31", "2026-01-31"}}},
		{"inside a long window", []Window{{"2026-01-01", "2026-03-31"}, {"2026-02-01", "2026-02-10"}, {"2026-04-05", "2026-04-30"}}, "",
			[]Window{{"2026-04-01", "2026-04-04"}}},
		{"cut at until", []Window{{"2026-01-01", "2026-01-10"}, {"2026-01-20", "2026-01-31"}, {"2026-03-01", "2026-03-31"}}, "2026-01-15",
			[]Window{{"2026-01-11", "2026-01-15"}}},
		{"bad dates ignored", []Window{{"x", "2026-01-10"}, {"2026-01-20", "2026-01-10"}}, "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, Gaps(tt.in, tt.until)); diff != "" {
				t.Errorf("gaps (-want +got):\n%s", diff)
			}
		})
	}
}

func TestStatementDifference(t *testing.T) {
	s := Statement{Currency: "USD", Balance: dec("250.00"), Opening: dec("100"), Ticked: dec("149.995")}
	if got := s.Difference().String(); got != "0.005" {
		t.Errorf("difference %s, want 0.005 (never rounded)", got)
	}
	s.Ticked = dec("150")
	if got := s.Difference().String(); got != "0.00" {
		t.Errorf("difference %s, want 0.00", got)
	}
	if got := s.Cleared().String(); got != "250.00" {
		t.Errorf("cleared %s, want 250.00", got)
	}
}
