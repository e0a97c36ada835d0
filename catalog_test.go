package bankfeed

import (
	"bytes"
	"flag"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files")

// classCodes fixes every class's code: a code is never renumbered, so a
// change here is a change to what users have written down.
var classCodes = map[FailureClass]string{
	FailOffline:            "BF-101",
	FailDNS:                "BF-102",
	FailUnreachable:        "BF-103",
	FailTLSUntrusted:       "BF-201",
	FailTLSIncompatible:    "BF-202",
	FailMaintenance:        "BF-301",
	FailServerError:        "BF-302",
	FailBlockedClient:      "BF-303",
	FailActionRequired:     "BF-304",
	FailRateLimited:        "BF-305",
	FailInvalidCredentials: "BF-401",
	FailLocked:             "BF-402",
	FailMFARequired:        "BF-403",
	FailConsentExpired:     "BF-404",
	FailAccountNotFound:    "BF-501",
	FailUnsupported:        "BF-502",
	FailDataIncomplete:     "BF-601",
	FailInternal:           "BF-901",
}

// noEquivalents are the classes no other system has a code for: they
// happen on this side (offline), or other programs fold them into others.
var noEquivalents = []FailureClass{FailOffline, FailTLSUntrusted, FailTLSIncompatible}

func TestCatalogCards(t *testing.T) {
	cards := Catalog()
	if len(cards) != len(FailureClasses) {
		t.Fatalf("%d cards for %d classes", len(cards), len(FailureClasses))
	}
	if len(classCodes) != len(FailureClasses) {
		t.Errorf("classCodes has %d classes, FailureClasses %d", len(classCodes), len(FailureClasses))
	}
	codes := map[string]FailureClass{}
	systems := []string{"QuickBooks", "OFX", "Plaid", "SimpleFIN", "GoCardless", "HTTP"}
	for i, c := range cards {
		t.Run(string(FailureClasses[i]), func(t *testing.T) {
			if c.Class != FailureClasses[i] {
				t.Fatalf("card %d is %s, want %s (FailureClasses order)", i, c.Class, FailureClasses[i])
			}
			if want := classCodes[c.Class]; c.Code != want {
				t.Errorf("code %q, want %q: codes are never renumbered", c.Code, want)
			}
			if prev, dup := codes[c.Code]; dup {
				t.Errorf("code %s also belongs to %s", c.Code, prev)
			}
			codes[c.Code] = c.Class
			for name, v := range map[string]string{"Title": c.Title, "Cause": c.Cause, "RetryWords": c.RetryWords,
				"Reason": c.Reason, "DataRisk": c.DataRisk, "TimeToFix": c.TimeToFix, "Escalate": c.Escalate} {
				if strings.TrimSpace(v) == "" {
					t.Errorf("%s is empty", name)
				}
				if low := strings.ToLower(v); strings.Contains(low, "todo") || strings.Contains(low, "tbd") ||
					strings.Contains(low, "lorem") || strings.Contains(low, "xxx") {
					t.Errorf("%s looks like a placeholder: %q", name, v)
				}
			}
			if !slices.Contains([]RetryMode{RetryQuickThenBackoff, RetryBackoff, RetryNever}, c.Retry) {
				t.Errorf("retry mode %q", c.Retry)
			}
			if c.NeedsUser && c.Retry != RetryNever {
				t.Errorf("needs the user but retried (%s): retrying a rejected password locks the login", c.Retry)
			}
			if c.Transient && c.Retry == RetryNever {
				t.Errorf("transient but never retried")
			}
			if !strings.HasPrefix(c.DataRisk, "Nothing was ") {
				t.Errorf("DataRisk %q does not say nothing was written", c.DataRisk)
			}
			if len(c.Steps) < 2 {
				t.Errorf("%d steps, want at least 2", len(c.Steps))
			}
			for _, s := range c.Steps {
				if strings.TrimSpace(s) == "" || !strings.HasSuffix(s, ".") {
					t.Errorf("step %q: empty, or not a sentence", s)
				}
			}
			if len(c.Equivalents) == 0 && !slices.Contains(noEquivalents, c.Class) {
				t.Errorf("no equivalents")
			}
			seen := map[string]bool{}
			for _, e := range c.Equivalents {
				if !slices.Contains(systems, e.System) || e.Code == "" || e.Meaning == "" {
					t.Errorf("equivalent %+v: unknown system, or a field empty", e)
				}
				if k := e.System + " " + e.Code; seen[k] {
					t.Errorf("equivalent %s listed twice", k)
				} else {
					seen[k] = true
				}
			}
		})
	}
}

// TestCatalogProperties: the methods read the cards, and unknown classes
// are neither transient, nor the user's, nor the bank's.
func TestCatalogProperties(t *testing.T) {
	for _, c := range FailureClasses {
		ci := c.Info()
		if c.Transient() != ci.Transient || c.NeedsUser() != ci.NeedsUser || c.BankSide() != ci.BankSide {
			t.Errorf("%s: methods (%v, %v, %v) disagree with the card (%v, %v, %v)", c,
				c.Transient(), c.NeedsUser(), c.BankSide(), ci.Transient, ci.NeedsUser, ci.BankSide)
		}
	}
	// What the rest of the program was built on.
	want := map[string][]FailureClass{
		"transient": {FailOffline, FailDNS, FailUnreachable, FailMaintenance, FailServerError, FailRateLimited, FailDataIncomplete},
		"needsUser": {FailInvalidCredentials, FailLocked, FailMFARequired, FailActionRequired, FailConsentExpired},
		"bankSide":  {FailDNS, FailUnreachable, FailTLSUntrusted, FailTLSIncompatible, FailMaintenance, FailServerError, FailBlockedClient},
	}
	for _, c := range FailureClasses {
		if got := c.Transient(); got != slices.Contains(want["transient"], c) {
			t.Errorf("%s.Transient() = %v", c, got)
		}
		if got := c.NeedsUser(); got != slices.Contains(want["needsUser"], c) {
			t.Errorf("%s.NeedsUser() = %v", c, got)
		}
		if got := c.BankSide(); got != slices.Contains(want["bankSide"], c) {
			t.Errorf("%s.BankSide() = %v", c, got)
		}
	}
	odd := FailureClass("bank.new_kind")
	if odd.Transient() || odd.NeedsUser() || odd.BankSide() {
		t.Errorf("an unknown class has properties")
	}
	ci := odd.Info()
	if ci.Code != "BF-000" || ci.Retry != RetryBackoff || ci.Class != odd || !strings.Contains(ci.Title, "bank.new_kind") ||
		ci.Reason != "the sync failed (bank.new_kind)" || len(ci.Steps) == 0 || ci.DataRisk == "" {
		t.Errorf("unknown class's card: %+v", ci)
	}
}

// TestCatalogCopies: a caller cannot change the catalogue.
func TestCatalogCopies(t *testing.T) {
	cards := Catalog()
	cards[0].Steps[0] = "changed"
	cards[0].Equivalents = append(cards[0].Equivalents, Equivalent{System: "x"})
	cards[5].Equivalents[0].Code = "changed"
	info := FailMaintenance.Info()
	info.Steps[0] = "changed"
	if !reflect.DeepEqual(Catalog(), catalog) {
		t.Errorf("a caller changed the catalogue")
	}
}

func TestLookupClasses(t *testing.T) {
	tests := []struct {
		q    string
		want []FailureClass
	}{
		{"bank.maintenance", []FailureClass{FailMaintenance}},
		{"BANK.MAINTENANCE", []FailureClass{FailMaintenance}},
		{"rate_limited", []FailureClass{FailRateLimited}},
		{"BF-301", []FailureClass{FailMaintenance}},
		{"bf-301", []FailureClass{FailMaintenance}},
		{"bf301", []FailureClass{FailMaintenance}},
		{" BF 401 ", []FailureClass{FailInvalidCredentials}},
		{"bankfeed BF-901", []FailureClass{FailInternal}},
		{"102", []FailureClass{FailMaintenance, FailServerError}},
		{"Error 102", []FailureClass{FailMaintenance, FailServerError}},
		{"error-102", []FailureClass{FailMaintenance, FailServerError}},
		{"QuickBooks 102", []FailureClass{FailMaintenance, FailServerError}},
		{"QuickBooks Online error 102", []FailureClass{FailMaintenance, FailServerError}},
		{"QBO Banking Error 103", []FailureClass{FailInvalidCredentials}},
		{"Error 324", []FailureClass{FailAccountNotFound}},
		{"OL-301", []FailureClass{FailActionRequired}},
		{"ol301", []FailureClass{FailActionRequired}},
		{"QuickBooks Desktop error OL-393", []FailureClass{FailServerError}},
		{"15500", []FailureClass{FailInvalidCredentials}},
		{"OFX 15502", []FailureClass{FailLocked}},
		{"ITEM_LOCKED", []FailureClass{FailLocked}},
		{"item_locked", []FailureClass{FailLocked}},
		{"ITEM_LOGIN_REQUIRED", []FailureClass{FailMFARequired, FailConsentExpired}},
		{"Plaid RATE_LIMIT_EXCEEDED", []FailureClass{FailRateLimited}},
		{"act.missingdata", []FailureClass{FailDataIncomplete}},
		{"HTTP 503", []FailureClass{FailMaintenance}},
		{"503", []FailureClass{FailMaintenance}},
		{"HTTP 403", []FailureClass{FailBlockedClient}},
		{"403", []FailureClass{FailBlockedClient, FailConsentExpired}},
		{"GoCardless EX", []FailureClass{FailConsentExpired}},
		{"2000", []FailureClass{FailMaintenance, FailServerError, FailBlockedClient, FailActionRequired}},
		{"QuickBooks 503", nil}, // a system named limits the match to its codes
		{"nonsense", nil},
		{"BF-000", nil},
		{"error", nil},
		{"", nil},
		{" - ", nil},
	}
	for _, tt := range tests {
		t.Run(tt.q, func(t *testing.T) {
			var got []FailureClass
			for _, c := range LookupClasses(tt.q) {
				got = append(got, c.Class)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("LookupClasses(%q) = %v, want %v", tt.q, got, tt.want)
			}
		})
	}
	if got := LookupClasses("nonsense"); got != nil {
		t.Errorf("no match is %#v, want nil", got)
	}
}

// TestErrorsDoc holds docs/errors.md to the catalogue; -update rewrites it.
func TestErrorsDoc(t *testing.T) {
	const path = "docs/errors.md"
	doc := RenderErrorsMarkdown()
	if *update {
		if err := os.WriteFile(path, doc, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test . -run TestErrorsDoc -update writes it)", err)
	}
	if !bytes.Equal(got, doc) {
		gl, wl := strings.Split(string(got), "\n"), strings.Split(string(doc), "\n")
		i := 0
		for i < len(gl) && i < len(wl) && gl[i] == wl[i] {
			i++
		}
		var g, w string
		if i < len(gl) {
			g = gl[i]
		}
		if i < len(wl) {
			w = wl[i]
		}
		t.Fatalf("%s is out of date (go test . -run TestErrorsDoc -update); first difference at line %d:\n got: %s\nwant: %s",
			path, i+1, g, w)
	}
	// Every class has its anchor, and every other system's code is findable.
	for _, c := range Catalog() {
		if !bytes.Contains(doc, []byte(`<a id="`+anchor(c.Class)+`"></a>`)) {
			t.Errorf("no anchor for %s", c.Class)
		}
		for _, e := range c.Equivalents {
			if !bytes.Contains(doc, []byte(e.System+" ")) || !bytes.Contains(doc, []byte(e.Code+" | "+cell(e.Meaning)+" | ["+c.Code)) {
				t.Errorf("%s %s is not in Find your error", e.System, e.Code)
			}
		}
	}
	if !bytes.Contains(doc, []byte("QuickBooks Error 102")) {
		t.Errorf("no row a search for QuickBooks Error 102 finds")
	}
}
