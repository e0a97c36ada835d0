// Command match measures the matching engine (internal/match) on simulated
// bank feeds: a generator makes a true ledger and what the bank delivers
// of it under noise (re-keyed ids, a re-link, pending lines, tips, twins,
// late checks, date shifts), in-memory books apply the engine's plans, an
// oracle bookkeeper resolves the review queue from the truth, and the books
// are scored against the truth:
//
//	go run ./bench/match                          # held-out seeds 101-110, every noise, both modes
//	go run ./bench/match -noise churn -mode daily -seeds 101-103 -v
//
// README.md says what each figure means and the targets.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "match:", err)
		os.Exit(2)
	}
}

func run(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("match", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		seeds   = fs.String("seeds", "101-110", "seeds: a range 101-110 or a list 101,105 (1-10 are the tuning seeds)")
		mode    = fs.String("mode", "both", "daily, monthly or both")
		noise   = fs.String("noise", "all", "a noise setting ("+strings.Join(noiseNames(), ", ")+"), a list, or all")
		ndays   = fs.Int("days", reportDays, "days of events")
		verbose = fs.Bool("v", false, "print examples of each failure after the table")
	)
	if err := fs.Parse(args); err != nil {
		return err
	}
	ss, err := parseSeeds(*seeds)
	if err != nil {
		return err
	}
	modes := []Mode{Daily, Monthly}
	switch *mode {
	case "both":
	case "daily", "monthly":
		modes = []Mode{Mode(*mode)}
	default:
		return fmt.Errorf("-mode %q: daily, monthly or both", *mode)
	}
	names := append([]string{"tuning"}, heldOut...)
	if *noise != "all" {
		names = strings.Split(*noise, ",")
	}
	var cfgs []Config
	for _, n := range names {
		nz, ok := noises[n]
		if !ok {
			return fmt.Errorf("-noise %q: one of %s", n, strings.Join(noiseNames(), ", "))
		}
		for _, md := range modes {
			nz.Mode = md
			cfgs = append(cfgs, Config{Noise: nz, Seeds: ss, Days: *ndays})
		}
	}
	var rows []Row
	for _, c := range cfgs {
		rows = append(rows, Measure(c))
	}
	fmt.Fprintf(stdout, "seeds %s, %d days of events\n\n", *seeds, *ndays)
	WriteTable(stdout, rows)
	if *verbose {
		for _, r := range rows {
			writeExamples(stdout, r)
		}
	}
	return nil
}

func noiseNames() []string {
	var ns []string
	for n := range noises {
		ns = append(ns, n)
	}
	slices.Sort(ns)
	return ns
}

// parseSeeds reads "101-110" or "1,5,9".
func parseSeeds(s string) ([]uint64, error) {
	var out []uint64
	for part := range strings.SplitSeq(s, ",") {
		lo, hi, isRange := strings.Cut(part, "-")
		a, err := strconv.ParseUint(strings.TrimSpace(lo), 10, 64)
		if err != nil {
			return nil, fmt.Errorf("-seeds %q: %w", s, err)
		}
		b := a
		if isRange {
			if b, err = strconv.ParseUint(strings.TrimSpace(hi), 10, 64); err != nil || b < a {
				return nil, fmt.Errorf("-seeds %q: bad range %q", s, part)
			}
		}
		for x := a; x <= b; x++ {
			out = append(out, x)
		}
	}
	return out, nil
}

// The setting reported by default and held to the targets (TestTargets):
// seeds 101-110 and 180 days of events, as in the design note's benchmark.
var reportSeeds = []uint64{101, 102, 103, 104, 105, 106, 107, 108, 109, 110}

const reportDays = 180

// Config is one row of the table: a noise setting and mode over seeds.
type Config struct {
	Noise Noise
	Seeds []uint64
	Days  int
}

// Measure runs every seed of c (in parallel), each twice: once as it is,
// once with every delivery repeated at once for the re-delivery figures.
func Measure(c Config) Row {
	type job struct {
		i     int
		twice bool
	}
	runs := make([]*Metrics, len(c.Seeds))
	repeats := make([]*Metrics, len(c.Seeds))
	jobs := make(chan job)
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), 2*len(c.Seeds)) {
		wg.Go(func() {
			for j := range jobs {
				m := Run(Generate(c.Seeds[j.i], c.Days, c.Noise), j.twice)
				if j.twice {
					repeats[j.i] = m
				} else {
					runs[j.i] = m
				}
			}
		})
	}
	for i := range c.Seeds {
		jobs <- job{i, false}
		jobs <- job{i, true}
	}
	close(jobs)
	wg.Wait()
	return summarize(c, runs, repeats)
}
