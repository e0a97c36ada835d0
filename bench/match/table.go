package main

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
)

// Row is a configuration's figures, each the mean over its seeds (a seed
// with nothing to measure for a ratio is left out of its mean; -1 when no
// seed had anything).
type Row struct {
	Noise string
	Mode  Mode
	Seeds int

	Events, Lines float64 // a seed, on average

	Redelivery       float64 // share of re-delivered records deduped
	RedeliveryMerges int     // merges made on re-delivered records, all seeds

	Duplicates, FalseMerges float64 // per event
	AutoPrecision           float64
	AutoRecall              float64
	Review                  float64 // lines touched per line
	TransferPrecision       float64
	TransferRecall          float64
	Category, Abstain       float64
	Drift                   float64 // money, a seed

	Unmerged   float64 // extra live lines per line
	AutoAdds   float64 // a seed
	Violations int     // all seeds
	LeftOpen   int     // all seeds

	// For -v, over all seeds: examples of each failure, the person's
	// decisions by kind, duplicates by the origins of their entries, auto
	// recall misses by kind, zone and score, and the counts they are of.
	Examples                               map[string][]string
	Decisions, DupKinds, RecallMisses      map[string]int
	DuplicateCount, RecallBaseCount, LineN int
}

func mean(ms []*Metrics, f func(*Metrics) float64) float64 {
	sum, n := 0.0, 0
	for _, m := range ms {
		if v := f(m); v >= 0 {
			sum += v
			n++
		}
	}
	if n == 0 {
		return -1
	}
	return sum / float64(n)
}

func summarize(c Config, runs, repeats []*Metrics) Row {
	r := Row{Noise: c.Noise.Name, Mode: c.Noise.Mode, Seeds: len(c.Seeds), Examples: map[string][]string{}, Decisions: map[string]int{}, DupKinds: map[string]int{}, RecallMisses: map[string]int{}}
	r.Events = mean(runs, func(m *Metrics) float64 { return float64(m.Events) })
	r.Lines = mean(runs, func(m *Metrics) float64 { return float64(m.Lines) })
	r.Redelivery = mean(repeats, func(m *Metrics) float64 { return ratio(m.RepeatDeduped, m.RepeatRecords) })
	r.Duplicates = mean(runs, func(m *Metrics) float64 { return ratio(m.Duplicates, m.Events) })
	r.FalseMerges = mean(runs, func(m *Metrics) float64 { return ratio(m.FalseMerges, m.Events) })
	r.AutoPrecision = mean(runs, func(m *Metrics) float64 { return ratio(m.AutoMatchesOK, m.AutoMatches) })
	r.AutoRecall = mean(runs, func(m *Metrics) float64 { return ratio(m.RecallHit, m.RecallBase) })
	r.Review = mean(runs, func(m *Metrics) float64 { return ratio(m.Touched, m.Lines) })
	r.TransferPrecision = mean(runs, func(m *Metrics) float64 { return ratio(m.TransfersOK, m.TransfersMade) })
	r.TransferRecall = mean(runs, func(m *Metrics) float64 { return ratio(m.TransfersHit, m.TrueTransfers) })
	r.Category = mean(runs, func(m *Metrics) float64 { return ratio(m.CatHit, m.CatBase) })
	r.Abstain = mean(runs, func(m *Metrics) float64 { return ratio(m.CatAbstain, m.CatBase) })
	r.Drift = mean(runs, func(m *Metrics) float64 { return float64(m.Drift) / 100 })
	r.Unmerged = mean(runs, func(m *Metrics) float64 { return ratio(m.Unmerged, m.Lines) })
	r.AutoAdds = mean(runs, func(m *Metrics) float64 { return float64(m.AutoAdds) })
	for _, m := range repeats {
		r.RedeliveryMerges += m.RepeatMerges
		r.Violations += m.Violations
	}
	for _, m := range slices.Concat(runs, repeats) {
		for k, ex := range m.Examples {
			if k == "re-delivery merge" || !slices.Contains(repeats, m) {
				r.Examples[k] = append(r.Examples[k], ex...)
			}
		}
	}
	for _, m := range runs {
		r.Violations += m.Violations
		r.LeftOpen += m.LeftOpen
		r.DuplicateCount += m.Duplicates
		r.RecallBaseCount += m.RecallBase
		r.LineN += m.Lines
		for k, n := range m.Decisions {
			r.Decisions[k] += n
		}
		for k, n := range m.DupKinds {
			r.DupKinds[k] += n
		}
		for k, n := range m.RecallMisses {
			r.RecallMisses[k] += n
		}
	}
	return r
}

// A target is one figure's bar.
type target struct {
	name string
	text string
	get  func(Row) float64
	ok   func(float64) bool
}

// targets are the design note's (§8); they are not to be moved to make a
// run pass.
var targets = []target{
	{"re-delivery", "100 %, 0 merges", func(r Row) float64 { return r.Redelivery }, nil},
	{"duplicates", "≤ 0.5 %", func(r Row) float64 { return r.Duplicates }, func(v float64) bool { return v <= 0.005 }},
	{"false merges", "≤ 0.2 %", func(r Row) float64 { return r.FalseMerges }, func(v float64) bool { return v <= 0.002 }},
	{"auto precision", "≥ 99 %", func(r Row) float64 { return r.AutoPrecision }, func(v float64) bool { return v >= 0.99 }},
	{"auto recall", "≥ 80 %", func(r Row) float64 { return r.AutoRecall }, func(v float64) bool { return v >= 0.80 }},
	{"review load", "≤ 15 %", func(r Row) float64 { return r.Review }, func(v float64) bool { return v <= 0.15 }},
	{"transfer precision", "≥ 99 %", func(r Row) float64 { return r.TransferPrecision }, func(v float64) bool { return v >= 0.99 }},
	{"transfer recall", "≥ 95 %", func(r Row) float64 { return r.TransferRecall }, func(v float64) bool { return v >= 0.95 }},
	{"category top-1", "≥ 90 %", func(r Row) float64 { return r.Category }, func(v float64) bool { return v >= 0.90 }},
}

// misses are a row's targets missed, as "name figure (target)".
func (r Row) misses() []string {
	var out []string
	if r.Redelivery != 1 || r.RedeliveryMerges != 0 {
		out = append(out, fmt.Sprintf("re-delivery %s, %d merges (target 100 %%, 0 merges)", pct(r.Redelivery), r.RedeliveryMerges))
	}
	for _, t := range targets[1:] {
		if v := t.get(r); v >= 0 && !t.ok(v) {
			out = append(out, fmt.Sprintf("%s %s (target %s)", t.name, pct(v), t.text))
		}
	}
	return out
}

func pct(v float64) string {
	if v < 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.1f%%", 100*v)
}

func pct2(v float64) string {
	if v < 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.2f%%", 100*v)
}

func verdict(ok bool) string {
	if ok {
		return "PASS"
	}
	return "FAIL"
}

// WriteTable prints the rows as a Markdown table, a targets line first.
func WriteTable(w io.Writer, rows []Row) {
	head := []string{"noise", "mode", "events", "re-delivery", "duplicates", "false merges", "auto P", "auto R",
		"review", "transfer P", "transfer R", "category (abstain)", "drift $", "unmerged", "auto adds"}
	fmt.Fprintln(w, "| "+strings.Join(head, " | ")+" |")
	fmt.Fprintln(w, "|"+strings.Repeat("---|", len(head)))
	tl := []string{"**target**", "", ""}
	for _, t := range targets {
		tl = append(tl, t.text)
	}
	tl = append(tl, "", "", "")
	fmt.Fprintln(w, "| "+strings.Join(tl, " | ")+" |")
	for _, r := range rows {
		cell := func(i int, s string) string {
			t := targets[i]
			v := t.get(r)
			if v < 0 {
				return "n/a"
			}
			return s + " " + verdict(t.ok(v))
		}
		redeliv := fmt.Sprintf("%s, %d merges %s", pct(r.Redelivery), r.RedeliveryMerges,
			verdict(r.Redelivery == 1 && r.RedeliveryMerges == 0))
		cells := []string{r.Noise, string(r.Mode), fmt.Sprintf("%.0f", r.Events), redeliv,
			cell(1, pct2(r.Duplicates)), cell(2, pct2(r.FalseMerges)),
			cell(3, pct(r.AutoPrecision)), cell(4, pct(r.AutoRecall)), cell(5, pct(r.Review)),
			cell(6, pct(r.TransferPrecision)), cell(7, pct(r.TransferRecall)),
			cell(8, pct(r.Category)) + " (" + pct(r.Abstain) + ")",
			fmt.Sprintf("%.2f", r.Drift), pct2(r.Unmerged), fmt.Sprintf("%.0f", r.AutoAdds)}
		fmt.Fprintln(w, "| "+strings.Join(cells, " | ")+" |")
	}
	for _, r := range rows {
		if r.Violations > 0 || r.LeftOpen > 0 {
			fmt.Fprintf(w, "\n%s/%s: %d plans broke the contract, %d lines left For Review at the end", r.Noise, r.Mode, r.Violations, r.LeftOpen)
		}
	}
	fmt.Fprintln(w)
}

func writeExamples(w io.Writer, r Row) {
	fmt.Fprintf(w, "\n## %s / %s\n", r.Noise, r.Mode)
	if m := r.misses(); len(m) > 0 {
		fmt.Fprintf(w, "missed: %s\n", strings.Join(m, "; "))
	}
	var ds []string
	for k := range r.Decisions {
		ds = append(ds, k)
	}
	slices.Sort(ds)
	fmt.Fprintf(w, "\nthe person's decisions, per line delivered:")
	for _, k := range ds {
		fmt.Fprintf(w, " %s %s;", k, pct(ratio(r.Decisions[k], r.LineN)))
	}
	fmt.Fprintln(w)
	if r.DuplicateCount > 0 {
		fmt.Fprintf(w, "duplicates by the origins of their entries (oldest first; rule: auto-added, feed: added in review, user: typed):")
		for _, k := range slices.Sorted(maps.Keys(r.DupKinds)) {
			fmt.Fprintf(w, " %s %d;", k, r.DupKinds[k])
		}
		fmt.Fprintln(w)
	}
	if len(r.RecallMisses) > 0 {
		fmt.Fprintf(w, "auto recall misses (of %d lines offered their true entry) by kind, zone and score of the last plan:", r.RecallBaseCount)
		keys := slices.Sorted(maps.Keys(r.RecallMisses))
		slices.SortStableFunc(keys, func(a, b string) int { return r.RecallMisses[b] - r.RecallMisses[a] })
		for _, k := range keys {
			fmt.Fprintf(w, " %s: %d;", k, r.RecallMisses[k])
		}
		fmt.Fprintln(w)
	}
	var kinds []string
	for k := range r.Examples {
		kinds = append(kinds, k)
	}
	slices.Sort(kinds)
	for _, k := range kinds {
		ex := r.Examples[k]
		fmt.Fprintf(w, "\n%s (%d shown):\n", k, min(len(ex), maxExamples))
		for _, e := range ex[:min(len(ex), maxExamples)] {
			fmt.Fprintf(w, "  - %s\n", e)
		}
	}
}
