// Package peertest runs the tools exports are written for (hledger,
// ledger, beancount, libofx's ofxdump) from tests and reads what they
// report. A missing tool skips the test, except in CI (CI=true), where it
// fails it: a skipped test proves nothing.
package peertest

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Tool returns the path of a tool, skipping the test when it is missing but
// failing it in CI.
func Tool(t testing.TB, name, debianPackage string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s (Debian package %s) is required in CI", name, debianPackage)
		}
		t.Skipf("%s not installed (Debian package %s)", name, debianPackage)
	}
	return path
}

// Run runs a tool and returns its standard output; a failure, or anything
// on standard error, fails the test.
func Run(t testing.TB, name string, args ...string) string {
	t.Helper()
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(name, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s: %v\n%s%s", filepath.Base(name), strings.Join(args, " "), err, stderr.String(), stdout.String())
	}
	if stderr.Len() > 0 {
		t.Errorf("%s %s says:\n%s", filepath.Base(name), strings.Join(args, " "), stderr.String())
	}
	return stdout.String()
}

// Txn is a transaction as ofxdump reports it.
type Txn struct {
	Account string // "BANKID  ACCTID" for a bank account, the ACCTID for a card
	FITID   string
	Date    string // YYYY-MM-DD posted
	Amount  string // as ofxdump prints it: two places
}

// Dump is what ofxdump read of a file.
type Dump struct {
	Transactions []Txn
	Balances     map[string]string // ledger balance by account, as in Txn
}

// OFXDump runs ofxdump on the file at path, fails the test on every error
// it reports, and returns the transactions and balances it read. libofx
// checks a document against its OFX DTD, so elements out of order are
// errors too (OpenSP ":E:" lines); "non SGML character" of a byte of
// Windows-1252 text is not an error of the document.
func OFXDump(t testing.TB, ofxdump, path string) Dump {
	t.Helper()
	cmd := exec.Command(ofxdump, path)
	cmd.Env = append(os.Environ(), "TZ=UTC") // dates are printed in local time
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("ofxdump %s: %v\n%s", path, err, out)
	}
	d := Dump{Balances: map[string]string{}}
	var cur *Txn
	var block, stmtAccount string
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.Contains(line, ":E:") && !strings.Contains(line, "non SGML character number"),
			strings.Contains(line, "LibOFX ERROR") && !strings.Contains(line, "OpenSP parser"):
			t.Errorf("ofxdump %s: %s", filepath.Base(path), line)
		case strings.HasSuffix(line, "():"):
			if cur != nil {
				d.Transactions = append(d.Transactions, *cur)
				cur = nil
			}
			block, stmtAccount = line, ""
			if block == "ofx_proc_transaction():" {
				cur = &Txn{}
			}
			continue
		}
		key, value, ok := strings.Cut(strings.TrimSpace(line), ":")
		if !ok {
			continue
		}
		key, value = strings.TrimSpace(key), strings.TrimSpace(value)
		switch {
		case cur != nil && key == "Account ID":
			cur.Account = value
		case cur != nil && key == "Financial institution's ID for this transaction":
			cur.FITID = value
		case cur != nil && key == "Total money amount":
			cur.Amount = value
		case cur != nil && key == "Date posted":
			cur.Date = day(t, value)
		case block == "ofx_proc_statement():" && key == "Account ID":
			stmtAccount = value
		case block == "ofx_proc_statement():" && key == "Ledger balance":
			d.Balances[stmtAccount] = value
		}
	}
	if cur != nil {
		d.Transactions = append(d.Transactions, *cur)
	}
	return d
}

// day reads ofxdump's "Thu Jan  1 10:59:00 2026 UTC" as YYYY-MM-DD.
func day(t testing.TB, s string) string {
	t.Helper()
	tm, err := time.Parse("Mon Jan _2 15:04:05 2006 MST", s)
	if err != nil {
		t.Errorf("ofxdump date %q: %v", s, err)
		return s
	}
	return tm.Format(time.DateOnly)
}
