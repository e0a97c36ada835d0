package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bankfeed/bankfeed"
)

// namedStatement writes a statement whose lines are "FITID date amount
// NAME…" into dir and returns its path.
func namedStatement(t *testing.T, dir, name string, lines ...string) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("OFXHEADER:100\nDATA:OFXSGML\nVERSION:102\n\n<OFX><SIGNONMSGSRSV1><SONRS><STATUS><CODE>0<SEVERITY>INFO</STATUS>" +
		"<DTSERVER>20260201<LANGUAGE>ENG<FI><ORG>B1<FID>10898</FI></SONRS></SIGNONMSGSRSV1>\n<BANKMSGSRSV1><STMTTRNRS><TRNUID>1" +
		"<STATUS><CODE>0<SEVERITY>INFO</STATUS><STMTRS><CURDEF>USD<BANKACCTFROM><BANKID>021000021<ACCTID>5500" +
		"<ACCTTYPE>CHECKING</BANKACCTFROM>\n<BANKTRANLIST><DTSTART>20260101<DTEND>20260131\n")
	for _, l := range lines {
		f := strings.SplitN(l, " ", 4)
		fmt.Fprintf(&b, "<STMTTRN><TRNTYPE>DEBIT<DTPOSTED>%s<TRNAMT>%s<FITID>%s<NAME>%s</STMTTRN>\n", f[1], f[2], f[0], f[3])
	}
	b.WriteString("</BANKTRANLIST><LEDGERBAL><BALAMT>100.00<DTASOF>20260131</LEDGERBAL></STMTRS></STMTTRNRS></BANKMSGSRSV1></OFX>\n")
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestReviewLearnsFromConfirmedDecisions(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("BANKFEED_ACTOR", "ann")
	must := func(args ...string) string {
		t.Helper()
		code, out, errOut := bankfeedIn(t, dir, args...)
		if code != 0 {
			t.Fatalf("bankfeed %s: exit %d\n%s%s", strings.Join(args, " "), code, out, errOut)
		}
		return out
	}
	must("import", namedStatement(t, dir, "jan.ofx",
		"J1 20260105 -4.50 SQ *BLUE BOTTLE 0113 OAKLAND CA",
		"J2 20260112 -5.25 SQ *BLUE BOTTLE 0257 OAKLAND CA",
		"J3 20260119 -4.75 SQ *BLUE BOTTLE 0113 OAKLAND CA",
		"J4 20260120 -60.00 CITY WATER"))
	out := must("review")
	if !strings.Contains(out, "4 lines For Review") {
		t.Fatalf("review:\n%s", out)
	}
	for _, id := range []string{"1", "2", "3"} {
		must("review", "add", id, "--category", "Expenses:Meals", "--payee", "Blue Bottle")
	}
	// Three agreeing decisions: a learned rule, visible and enabled, and a
	// proposed one, disabled.
	rules := must("rules", "list")
	if !strings.Contains(rules, "Learned: Blue Bottle") || !strings.Contains(rules, "Proposed: ") {
		t.Fatalf("rules after three decisions:\n%s", rules)
	}
	// The next Blue Bottle line is added by itself to Expenses:Meals.
	must("import", namedStatement(t, dir, "feb.ofx", "F1 20260126 -4.50 SQ *BLUE BOTTLE 0999 OAKLAND CA"))
	all := must("review", "--all")
	if !strings.Contains(all, "SQ *BLUE BOTTLE 0999") {
		t.Fatalf("review --all:\n%s", all)
	}
	entries := must("entry", "list")
	if strings.Count(entries, "Expenses:Meals") != 4 {
		t.Fatalf("entries (want 4 to Expenses:Meals):\n%s", entries)
	}
	audit := must("audit", "--limit", "0")
	for _, want := range []string{"ann       review.add", "bankfeed  rule.learn", "bankfeed  review.auto_add"} {
		if !strings.Contains(audit, want) {
			t.Errorf("audit lacks %q:\n%s", want, audit)
		}
	}
	// Bad input is named and changes nothing.
	code, _, errOut := bankfeedIn(t, dir, "review", "add", "x12")
	if code != exitUsage || !strings.Contains(errOut, `line "x12": not a line id`) {
		t.Errorf("review add x12: exit %d, %s", code, errOut)
	}
	code, _, errOut = bankfeedIn(t, dir, "review", "add", "4")
	if code != exitFailure || !strings.Contains(errOut, "category: required to add line 4 (review proposes no category); give --category ACCOUNT") {
		t.Errorf("review add 4 without a category: exit %d, %s", code, errOut)
	}
	code, _, errOut = bankfeedIn(t, dir, "entry", "add", "--date", "2026-13-01", "--account", "Assets:Nope", "--amount", "x", "--category", "Expenses:A")
	if code != exitUsage || !strings.Contains(errOut, `--amount "x": not a number`) {
		t.Errorf("entry add with bad flags: exit %d, %s", code, errOut)
	}
	if after := must("entry", "list"); after != entries {
		t.Errorf("entries changed by refused commands:\n%s\nwas\n%s", after, entries)
	}
}

func TestProposal(t *testing.T) {
	entry := bankfeed.EntryID(7)
	tests := []struct {
		name string
		in   bankfeed.Review
		want string
	}{
		{"a suggestion", bankfeed.Review{Suggestion: &entry, Score: 7, Payee: "Blue Bottle"},
			"match entry 7 (score 7.0); payee Blue Bottle"},
		{"a possible duplicate", bankfeed.Review{Suggestion: &entry, Score: 7, SetBy: map[string]string{"suggestion": "duplicate"}},
			"possible duplicate of entry 7, typed after bankfeed added this line: match it, or add the line again (score 7.0)"},
		{"a category", bankfeed.Review{Category: "Expenses:Meals", SetBy: map[string]string{"category": "learned"}},
			"add to Expenses:Meals (learned)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := proposal(&tt.in); got != tt.want {
				t.Errorf("proposal = %q, want %q", got, tt.want)
			}
		})
	}
}
