package bankfeed

import (
	"bytes"
	"cmp"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// RenderErrorsMarkdown returns docs/errors.md: the catalogue of failure
// classes as a page, with an index, one section per class, and a table
// from every other system's code to its class. A test keeps the file in
// step with the catalogue.
func RenderErrorsMarkdown() []byte {
	var b bytes.Buffer
	cards := Catalog()
	// By code, so that each family is together.
	slices.SortFunc(cards, func(x, y ClassInfo) int { return strings.Compare(x.Code, y.Code) })
	b.WriteString(`<!-- Generated from the catalogue in catalog.go by RenderErrorsMarkdown; do not edit.
     After changing the catalogue: go test . -run TestErrorsDoc -update -->

# Why a sync failed, and what to do

When a sync with a bank fails, bankfeed says why with a **failure class**: what the bank or the
network did, in words you can act on, whichever code the bank used to say it. Each class has a
short code that never changes (` + "`BF-301`" + ` is always "the bank is down for maintenance"), so you
can look it up here, in ` + "`bankfeed status`" + ` and in ` + "`bankfeed errors`" + `.

**Your data is never at risk.** A sync is all or nothing for each account: its new lines and how
far the account is synced are saved together, in one transaction, or not at all. A failed sync
writes no line, and the next sync that gets through asks again from where the last one ended,
so no line is missed or doubled.

**Some failures fix themselves, some need you.** bankfeed retries by itself when retrying can
help (the bank is down, the network failed), and waits for you when only you can help (a
rejected password is never retried: banks lock a login after a few failed sign-ins).

**Look up any code**, ours or another program's, from the command line:

` + "```sh" + `
bankfeed errors              # every class, as a table
bankfeed errors 102          # QuickBooks "Error 102": maintenance, or a server error at the bank
bankfeed errors BF-401       # one of ours
bankfeed errors OL-301       # QuickBooks Desktop
bankfeed errors 15500        # an OFX status code
bankfeed errors ITEM_LOCKED  # a Plaid error code
bankfeed errors --json 102   # the same, as JSON
` + "```" + `

Or find your code in [Find your error](#find-your-error) below: QuickBooks, OFX, Plaid,
SimpleFIN, GoCardless and HTTP codes are all there.

## The classes

| Code | Class | What happened | Fixes itself? | Automatic retry |
| --- | --- | --- | --- | --- |
`)
	for _, c := range cards {
		fmt.Fprintf(&b, "| %s | [`%s`](#%s) | %s | %s | %s |\n", c.Code, c.Class, anchor(c.Class),
			cell(c.Title), yesNo(c.Transient), retryLabel(c.Retry))
	}
	b.WriteString(`
Codes go by family: BF-1xx the network, BF-2xx the secure connection, BF-3xx the bank's
server, BF-4xx your login and permission, BF-5xx the account and the connection's setup,
BF-6xx the data, BF-9xx bankfeed itself. A code is never reused or renumbered.
`)
	for _, c := range cards {
		writeCard(&b, c)
	}
	writeFindYourError(&b, cards)
	return b.Bytes()
}

func writeCard(b *bytes.Buffer, c ClassInfo) {
	fmt.Fprintf(b, "\n<a id=\"%s\"></a>\n\n## %s: %s\n\n", anchor(c.Class), c.Code, c.Title)
	fmt.Fprintf(b, "Class `%s` · fixes itself: %s · automatic retry: %s · hits every login at this bank: %s · "+
		"a problem with your login: %s\n\n",
		c.Class, yesNo(c.Transient), retryLabel(c.Retry), yesNo(c.BankSide), yesNo(c.NeedsUser))
	fmt.Fprintf(b, "**What happened.** %s\n\n", c.Cause)
	fmt.Fprintf(b, "**Is your data at risk?** No. %s\n\n", c.DataRisk)
	b.WriteString("**What to do**\n\n")
	for i, s := range c.Steps {
		fmt.Fprintf(b, "%d. %s\n", i+1, commands(s))
	}
	fmt.Fprintf(b, "\n**When bankfeed retries.** %s.\n\n", commands(capitalize(c.RetryWords)))
	fmt.Fprintf(b, "**In `bankfeed status`** the reason starts \"%s\".\n\n", c.Reason)
	fmt.Fprintf(b, "**Time to fix.** %s.\n\n", capitalize(c.TimeToFix))
	fmt.Fprintf(b, "**When to call the bank or an expert.** %s\n\n", commands(c.Escalate))
	if len(c.Equivalents) == 0 {
		b.WriteString("**Other programs' codes.** None: no other system has a code of its own for this.\n")
		return
	}
	b.WriteString("**Other programs' codes for it**\n\n| System | Code | What it means there |\n| --- | --- | --- |\n")
	for _, e := range c.Equivalents {
		fmt.Fprintf(b, "| %s | %s | %s |\n", e.System, cell(e.Code), cell(e.Meaning))
	}
}

// writeFindYourError writes the table from every other system's code to
// its class, by system and then by code.
func writeFindYourError(b *bytes.Buffer, cards []ClassInfo) {
	type row struct {
		e Equivalent
		c ClassInfo
	}
	var rows []row
	for _, c := range cards {
		for _, e := range c.Equivalents {
			rows = append(rows, row{e, c})
		}
	}
	systems := []string{sysQuickBooks, sysOFX, sysPlaid, sysSimpleFIN, sysGoCardless, sysHTTP}
	slices.SortStableFunc(rows, func(x, y row) int {
		return cmp.Or(
			cmp.Compare(systemRank(systems, x.e.System), systemRank(systems, y.e.System)),
			compareCodes(x.e.Code, y.e.Code))
	})
	b.WriteString(`
<a id="find-your-error"></a>

## Find your error

Another program's code, and the class bankfeed gives the same failure. Some codes mean
different things depending on the bank's message, so they lead to more than one class:
QuickBooks Error 102 is the bank down for maintenance, or its server failing. QuickBooks
meanings marked "reported by third-party sites" are not confirmed by Intuit.

| Code | What it means there | bankfeed class |
| --- | --- | --- |
`)
	for _, r := range rows {
		name := r.e.System + " " + r.e.Code
		if r.e.System == sysQuickBooks && !strings.HasPrefix(r.e.Code, "OL-") {
			name = "QuickBooks Error " + r.e.Code
		}
		fmt.Fprintf(b, "| %s | %s | [%s `%s`](#%s) |\n", cell(name), cell(r.e.Meaning),
			r.c.Code, r.c.Class, anchor(r.c.Class))
	}
}

func systemRank(systems []string, s string) int {
	if i := slices.Index(systems, s); i >= 0 {
		return i
	}
	return len(systems)
}

// compareCodes orders numbers by value, before other codes in
// alphabetical order.
func compareCodes(x, y string) int {
	nx, errx := strconv.Atoi(x)
	ny, erry := strconv.Atoi(y)
	switch {
	case errx == nil && erry == nil:
		return cmp.Compare(nx, ny)
	case errx == nil:
		return -1
	case erry == nil:
		return 1
	}
	return strings.Compare(x, y)
}

// commandRE matches the commands and flags the cards name.
var commandRE = regexp.MustCompile(`bankfeed (?:connection (?:password|resume|reset|remove|disable|enable) NAME|` +
	`sync --connection NAME|sync|runs show ID|status|import|errors|--help)|--link NEWNUMBER=FEEDACCOUNT|--[a-z][a-z-]*`)

// commands sets the commands and flags in s as code.
func commands(s string) string {
	return commandRE.ReplaceAllString(s, "`$0`")
}

// anchor is a class's anchor in the page: "bank.maintenance" is
// "bank-maintenance".
func anchor(c FailureClass) string {
	return strings.NewReplacer(".", "-", "_", "-").Replace(string(c))
}

// cell escapes a table cell's pipes.
func cell(s string) string { return strings.ReplaceAll(s, "|", `\|`) }

func yesNo(v bool) string {
	if v {
		return "yes"
	}
	return "no"
}

func retryLabel(r RetryMode) string {
	switch r {
	case RetryQuickThenBackoff:
		return "quick retries, then backoff"
	case RetryBackoff:
		return "backoff"
	case RetryNever:
		return "none, waits for you"
	}
	return string(r)
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
