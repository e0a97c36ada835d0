package match

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func leg(key, account int64, day Day, amt int64, text string) Line {
	return Line{Key: key, Account: account, Day: day, Amount: amt, Text: text}
}

func TestTransfers(t *testing.T) {
	rule := func(l Line) Line { l.Text = "RULE " + l.Text; return l }
	tests := []struct {
		name    string
		lines   []Line
		entries []Entry
		pairs   map[[2]int64]bool
		want    []Transfer
	}{
		{
			name: "auto: transfer words on both sides",
			lines: []Line{
				leg(1, 1, D0, -50000, "ONLINE BANKING TRANSFER TO SAV 1234"),
				leg(2, 2, D0+1, 50000, "TRANSFER FROM CHK 5678"),
			},
			want: []Transfer{{Out: 1, In: 2, Auto: true}},
		},
		{
			name: "auto: card payment",
			lines: []Line{
				leg(1, 1, D0, -120000, "CHASE CREDIT CRD AUTOPAY"),
				leg(2, 3, D0+2, 120000, "PAYMENT THANK YOU - WEB"),
			},
			want: []Transfer{{Out: 1, In: 2, Auto: true}},
		},
		{
			name: "suggested: a word on one side only",
			lines: []Line{
				leg(1, 1, D0, -50000, "XFER TO 1234"),
				leg(2, 2, D0, 50000, "DEPOSIT"),
			},
			want: []Transfer{{Out: 1, In: 2}},
		},
		{
			name: "suggested: no word, one candidate each way",
			lines: []Line{
				leg(1, 1, D0, -50000, "WITHDRAWAL"),
				leg(2, 2, D0+4, 50000, "DEPOSIT"),
			},
			want: []Transfer{{Out: 1, In: 2}},
		},
		{
			name: "auto: an account pair confirmed before",
			lines: []Line{
				leg(1, 1, D0, -50000, "WITHDRAWAL"),
				leg(2, 2, D0, 50000, "DEPOSIT"),
			},
			pairs: map[[2]int64]bool{{2, 1}: true},
			want:  []Transfer{{Out: 1, In: 2, Auto: true}},
		},
		{
			name: "auto: a rule says transfer",
			lines: []Line{
				rule(leg(1, 1, D0, -50000, "WITHDRAWAL")),
				leg(2, 2, D0, 50000, "DEPOSIT"),
			},
			want: []Transfer{{Out: 1, In: 2, Auto: true}},
		},
		{
			name: "ambiguous with words: the nearer one suggested",
			lines: []Line{
				leg(1, 1, D0, -50000, "TRANSFER TO SAVINGS"),
				leg(2, 2, D0+3, 50000, "TRANSFER FROM CHECKING"),
				leg(3, 3, D0+1, 50000, "TRANSFER FROM CHECKING"),
			},
			want: []Transfer{{Out: 1, In: 3}},
		},
		{
			name: "ambiguous without words: not paired",
			lines: []Line{
				leg(1, 1, D0, -50000, "WITHDRAWAL"),
				leg(2, 2, D0+3, 50000, "DEPOSIT"),
				leg(3, 3, D0+1, 50000, "DEPOSIT"),
			},
		},
		{
			name: "five days apart: not paired",
			lines: []Line{
				leg(1, 1, D0, -50000, "TRANSFER"),
				leg(2, 2, D0+5, 50000, "TRANSFER"),
			},
		},
		{
			name: "one account: not paired",
			lines: []Line{
				leg(1, 1, D0, -50000, "TRANSFER"),
				leg(2, 1, D0, 50000, "TRANSFER"),
			},
		},
		{
			name: "other amounts: not paired",
			lines: []Line{
				leg(1, 1, D0, -50000, "TRANSFER"),
				leg(2, 2, D0, 50001, "TRANSFER"),
			},
		},
		{
			name: "a leg with a ledger candidate is matched, not paired",
			lines: []Line{
				leg(1, 1, D0, -50000, "TRANSFER TO SAVINGS"),
				leg(2, 2, D0, 50000, "TRANSFER FROM CHECKING"),
			},
			entries: []Entry{{Key: 10, Account: 2, Day: D0, Amount: 50000, Payee: "Transfer from checking", Transfer: true}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := &Batch{Open: tt.lines, Entries: tt.entries, TransferPairs: tt.pairs, Labeler: transferRule{}}
			p := Process(b)
			if diff := cmp.Diff(tt.want, p.Transfers, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("transfers (-want +got):\n%s", diff)
			}
		})
	}
}

// transferRule marks lines whose descriptor starts with RULE a transfer,
// and adds every line on its own.
type transferRule struct{}

func (transferRule) Label(l *Line) Labels {
	lb := Labels{AutoAdd: true}
	if len(l.Text) > 4 && l.Text[:4] == "RULE" {
		lb.Transfer = "Savings"
	}
	return lb
}

func TestTransferNewAndOpen(t *testing.T) {
	// A new line of one account and an open line of another: paired, and
	// neither is added on its own.
	b := &Batch{
		Today: D0,
		Deliveries: []Delivery{{Account: 1, From: D0 - 5, To: D0, Present: []string{"A"},
			New: []Line{{Key: 1, Account: 1, IDs: []string{"A"}, Day: D0, Amount: -2500, Text: "TFR TO 9876"}}}},
		Open:    []Line{leg(2, 2, D0-2, 2500, "TFR FROM 1234")},
		Labeler: transferRule{},
	}
	p := Process(b)
	if diff := cmp.Diff([]Transfer{{Out: 1, In: 2, Auto: true}}, p.Transfers); diff != "" {
		t.Errorf("transfers (-want +got):\n%s", diff)
	}
	for _, lp := range p.Lines {
		if lp.Add {
			t.Errorf("line %d in a transfer is added on its own", lp.Line)
		}
	}
}

func TestHasTransferWord(t *testing.T) {
	for text, want := range map[string]bool{
		"ONLINE BANKING TRANSFER TO CHK 1234": true,
		"Xfer to savings":                     true,
		"TFR 0042":                            true,
		"PAYMENT - THANK YOU":                 true,
		"AUTOPAY 240105":                      true,
		"CAPITAL ONE CRD PMT":                 true,
		"TRANSFERWISE":                        false,
		"PAYMENT":                             false,
		"STARBUCKS":                           false,
	} {
		if got := HasTransferWord(text); got != want {
			t.Errorf("HasTransferWord(%q) = %v, want %v", text, got, want)
		}
	}
}

func TestMirrorLegsWithoutWords(t *testing.T) {
	mirror := func(key, account int64, day Day, amt int64) Entry {
		return Entry{Key: key, Account: account, Day: day, Amount: amt, Transfer: true}
	}
	entries := []Entry{mirror(10, 1, D0, -70000), mirror(11, 2, D0, 70000)}
	out := leg(1, 1, D0, -70000, "WITHDRAWAL 4822277")
	in := leg(2, 2, D0+1, 70000, "DEPOSIT 4822277")
	zones := func(b *Batch) []Zone {
		var zs []Zone
		for _, lp := range Process(b).Lines {
			zs = append(zs, lp.Zone)
		}
		return zs
	}
	// Both legs delivered: each is a transfer, and takes its mirror leg.
	both := &Batch{Deliveries: []Delivery{{Account: 1, New: []Line{out}}, {Account: 2, New: []Line{in}}}, Entries: entries}
	if got := zones(both); !cmp.Equal(got, []Zone{ZoneAuto, ZoneAuto}) {
		t.Errorf("both legs: zones %v, want auto, auto", got)
	}
	// The other leg stored already (booked the day before): the same.
	stored := &Batch{Deliveries: []Delivery{{Account: 2, New: []Line{in}}}, Stored: []Line{out}, Entries: entries}
	if got := zones(stored); !cmp.Equal(got, []Zone{ZoneAuto}) {
		t.Errorf("other leg stored: zones %v, want auto", got)
	}
	// One leg alone, or a pending other leg: the typed transfer stands for
	// the payee when nothing else claims the line (MirrorDays).
	p := out
	p.Pending = true
	for name, b := range map[string]*Batch{
		"alone":   {Deliveries: []Delivery{{Account: 2, New: []Line{in}}}, Entries: entries},
		"pending": {Deliveries: []Delivery{{Account: 2, New: []Line{in}}}, Stored: []Line{p}, Entries: entries},
	} {
		if got := zones(b); !cmp.Equal(got, []Zone{ZoneAuto}) {
			t.Errorf("%s: zones %v, want auto", name, got)
		}
	}
	// Alone, a deposit that may be something else: suggested only.
	late, check, twin := in, in, in
	late.Day = D0 + MirrorDays + 1
	check.Check = "1042"
	twin.Key = 3
	for name, b := range map[string]*Batch{
		"dated after MirrorDays": {Deliveries: []Delivery{{Account: 2, New: []Line{late}}}, Entries: entries},
		"dated before the entry": {Deliveries: []Delivery{{Account: 2, New: []Line{leg(2, 2, D0-1, 70000, "DEPOSIT 4822277")}}}, Entries: entries},
		"a check deposited":      {Deliveries: []Delivery{{Account: 2, New: []Line{check}}}, Entries: entries},
		"a payee the person confirmed": {Deliveries: []Delivery{{Account: 2, New: []Line{in}}}, Entries: entries,
			PayeeOf: func(text string) string { return "Acme Corp" }},
	} {
		if got := zones(b); !cmp.Equal(got, []Zone{ZoneSuggest}) {
			t.Errorf("%s: zones %v, want suggest", name, got)
		}
	}
	// Two deposits of the amount: neither is sure.
	b := &Batch{Deliveries: []Delivery{{Account: 2, New: []Line{in, twin}}}, Entries: entries}
	if got := zones(b); !cmp.Equal(got, []Zone{ZoneSuggest, ZoneNew}) {
		t.Errorf("two deposits: zones %v, want suggest, new", got)
	}
}
