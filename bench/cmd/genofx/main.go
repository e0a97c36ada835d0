// Command genofx writes a realistic OFX statement of any size, for benchmarks
// and trials:
//
//	go run ./bench/cmd/genofx -n 100000 -format xml -kind card -o card.qfx
//
// It prints what the file holds (count, exact sum, ledger balance, size) as
// one JSON object on stderr, so a reader's output can be checked against it.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/bankfeed/bankfeed/internal/ofx/ofxgen"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "genofx:", err)
		os.Exit(1)
	}
}

func run(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("genofx", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		n       = fs.Int("n", 1000, "number of transactions")
		format  = fs.String("format", "sgml", "sgml (OFX 1.02) or xml (OFX 2.1.1)")
		kind    = fs.String("kind", "bank", "bank or card")
		seed    = fs.Uint64("seed", 1, "seed: the same seed gives the same file")
		start   = fs.String("start", "2026-01-01", "first day of the statement period")
		days    = fs.Int("days", 0, "days in the period (0: 30 + n/20, at most 3650)")
		intuBID = fs.String("intu-bid", "", "add <INTU.BID> to the sign-on, as .qfx and .qbo files carry")
		crlf    = fs.Bool("crlf", false, "end lines with CR LF")
		out     = fs.String("o", "-", "output file (- for stdout)")
		ascii   = fs.Bool("ascii", false, "fold accented payees to ASCII (CAFÉ → CAFE), which ofxgo and ofxparse need")
		quiet   = fs.Bool("q", false, "do not print the summary on stderr")
	)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	opts := ofxgen.Options{N: *n, Seed: *seed, Days: *days, IntuBID: *intuBID, CRLF: *crlf, ASCII: *ascii}
	var err error
	if opts.Format, err = ofxgen.ParseFormat(*format); err != nil {
		return err
	}
	if opts.Kind, err = ofxgen.ParseKind(*kind); err != nil {
		return err
	}
	if opts.Start, err = time.Parse(time.DateOnly, *start); err != nil {
		return fmt.Errorf("-start: %w", err)
	}

	w := stdout
	var f *os.File
	if *out != "-" {
		if f, err = os.Create(*out); err != nil {
			return err
		}
		defer f.Close()
		w = f
	}
	sum, err := ofxgen.Write(w, opts) // Write buffers and flushes itself
	if err == nil && f != nil {
		err = f.Close()
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", *out, err)
	}
	if *quiet {
		return nil
	}
	return json.NewEncoder(stderr).Encode(map[string]any{
		"file":         *out,
		"format":       sum.Format.String(),
		"kind":         sum.Kind.String(),
		"account_id":   sum.AcctID,
		"currency":     sum.Currency,
		"transactions": sum.Count,
		"sum":          sum.Sum(),
		"ledger":       sum.Ledger(),
		"bytes":        sum.Bytes,
	})
}
