package export

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/bankfeed/bankfeed"
)

var update = flag.Bool("update", false, "rewrite the golden files of testdata/")

func TestWriteGolden(t *testing.T) {
	tests := []struct {
		name   string
		format string
		opts   Options
	}{
		{"all.hledger", "hledger", Options{}},
		{"all.ledger", "ledger", Options{}},
		{"all.beancount", "beancount", Options{}},
		{"all.csv", "csv", Options{}},
		{"all.qbo", "qbo", Options{Now: testNow}},
		{"all.ofx", "ofx", Options{Now: testNow}},
		{"checking-january.hledger", "hledger", Options{Account: checking, From: "2026-01-02", To: "2026-01-31"}},
		{"checking-january.beancount", "beancount", Options{Account: checking, From: "2026-01-02", To: "2026-01-31"}},
		{"visa-february.qbo", "qbo", Options{Account: visa, From: "2026-02-01", IntuBID: "10898", Now: testNow}},
		{"checking-january.ofx", "ofx", Options{Account: checking, From: "2026-01-02", To: "2026-01-31", Now: testNow}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := Write(&buf, tt.format, smallBooks(), tt.opts); err != nil {
				t.Fatal(err)
			}
			golden(t, tt.name, buf.Bytes())
			// The same books write the same bytes.
			var again bytes.Buffer
			if err := Write(&again, tt.format, smallBooks(), tt.opts); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(buf.Bytes(), again.Bytes()) {
				t.Error("a second export differs from the first")
			}
		})
	}
}

// golden compares got with testdata/name, or rewrites it under -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to write it)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s differs (-want +got):\n%s", path, diff)
	}
}

func TestWriteErrors(t *testing.T) {
	unbalanced := smallBooks()
	unbalanced.Entries[2].Splits[0].Amount = bankfeed.MustDecimal("1199.99")
	noFeed := smallBooks()
	clear(noFeed.Feeds)
	tests := []struct {
		name    string
		format  string
		books   *Books
		opts    Options
		wantErr []string
	}{
		{"unknown format", "qif", smallBooks(), Options{}, []string{`unknown format "qif"`, "hledger, ledger, beancount, csv, qbo, ofx"}},
		{"bad from", "csv", smallBooks(), Options{From: "2026-13-01"}, []string{`from "2026-13-01": want a date YYYY-MM-DD`}},
		{"from after to", "csv", smallBooks(), Options{From: "2026-02-01", To: "2026-01-01"}, []string{"from 2026-02-01 is after to 2026-01-01"}},
		{"unknown account", "ledger", smallBooks(), Options{Account: "Assets:Nope"}, []string{`no ledger account named "Assets:Nope"`}},
		{"bad intu bid", "qbo", smallBooks(), Options{IntuBID: "12ab"}, []string{`INTU.BID "12ab": want up to 10 digits`}},
		{"unbalanced", "hledger", unbalanced, Options{}, []string{"entry bf-3: splits sum to -0.01 USD, not zero"}},
		{"no feed for account", "qbo", smallBooks(), Options{Account: "Expenses:Rent"}, []string{"account Expenses:Rent has no feed"}},
		{"feed not read", "ofx", noFeed, Options{}, []string{"account Assets:Bank:Checking: its feed (account 1) is not in the books read"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Write(&bytes.Buffer{}, tt.format, tt.books, tt.opts)
			if err == nil {
				t.Fatal("no error")
			}
			for _, want := range tt.wantErr {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not say %q", err, want)
				}
			}
		})
	}
}

func TestJournalAccount(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Assets:Bank:Checking", "Assets:Bank:Checking"},
		{"Expenses:Food  &\tDining", "Expenses:Food & Dining"},
		{"Expenses:Office; Supplies", "Expenses:Office_ Supplies"},
		{"Expenses:: Rent :", "Expenses:Rent"},
		{"(Virtual):X", "_(Virtual):X"},
		{"[Budget]", "_[Budget]"},
		{"* Starred", "_* Starred"},
		{"Liabilities:Card [Visa]", "Liabilities:Card [Visa]"},
		{"Expenses:Line\nbreak", "Expenses:Line break"},
		{"", "Unnamed"},
	}
	for _, tt := range tests {
		if got := journalAccount(tt.in); got != tt.want {
			t.Errorf("journalAccount(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestBeancountAccount(t *testing.T) {
	tests := []struct {
		in   string
		typ  bankfeed.LedgerAccountType
		want string
	}{
		{"Assets:Bank:Checking", "", "Assets:Bank:Checking"},
		{"Expenses:Food & Dining", "", "Expenses:Food-Dining"},
		{"Expenses:office supplies", "", "Expenses:Office-supplies"},
		{"Expenses:Café", "", "Expenses:Cafe"},
		{"Expenses:Straße", "", "Expenses:Straße"},
		{"Expenses:日本", "", "Expenses:X日本"},
		{"Assets:401(k)", "", "Assets:401-k"},
		{"Expenses:_private_", "", "Expenses:Private"},
		{"Expenses:--", "", "Expenses:Other"},
		{"Bank:Checking", bankfeed.LedgerAsset, "Assets:Bank:Checking"},
		{"Card", bankfeed.LedgerLiability, "Liabilities:Card"},
		{"Stuff", "", "Equity:Stuff"},
		{"Income", "", "Income:Other"},
	}
	for _, tt := range tests {
		if got := beancountAccount(tt.in, tt.typ); got != tt.want {
			t.Errorf("beancountAccount(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestNameMapCollisions(t *testing.T) {
	names := []string{"Expenses:Cafe", "Expenses:Café", "Expenses:Cafe!", "Expenses:Cafe-2", "Expenses:café"}
	clean := func(n string) string { return beancountAccount(n, "") }
	m := newNameMap(names, clean)
	want := nameMap{
		"Expenses:Cafe":   "Expenses:Cafe",
		"Expenses:Cafe-2": "Expenses:Cafe-2",
		"Expenses:Cafe!":  "Expenses:Cafe-3",
		"Expenses:Café":   "Expenses:Cafe-4",
		"Expenses:café":   "Expenses:Cafe-5",
	}
	if diff := cmp.Diff(want, m); diff != "" {
		t.Errorf("names (-want +got):\n%s", diff)
	}
	// The order names come in does not matter.
	reversed := []string{names[4], names[3], names[2], names[1], names[0]}
	if diff := cmp.Diff(m, newNameMap(reversed, clean)); diff != "" {
		t.Errorf("names depend on their order (-first +reversed):\n%s", diff)
	}
}
