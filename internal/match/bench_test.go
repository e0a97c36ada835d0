package match

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

// genBooks makes a synthetic book: nEntries open entries over 20 accounts
// and 5 years, payees from a pool of a few thousand (a few categories of
// business shared between them), amounts log-normal around each payee's
// usual amount (often exactly it: subscriptions, the same coffee), 3% of
// them checks; and nLines bank lines, 70% the bank's record of an entry
// (date shifted, descriptor as banks write it, now and then a fee or a
// tip), the rest purchases nobody entered. truth maps a line's key to its
// entry's key.
func genBooks(seed uint64, nEntries, nLines int) (b *Batch, truth map[int64]int64) {
	r := rand.New(rand.NewPCG(seed, 1))
	const accounts, days = 20, 5 * 365
	syll := []string{"ka", "lo", "mi", "ra", "te", "su", "no", "vi", "be", "do", "ga", "pe", "zu", "ri", "an", "el", "or", "ix"}
	kinds := []string{"Cafe", "Market", "Pharmacy", "Gas", "Restaurant", "Store", "Inc", "Hardware", "Books", "Bakery", "", "", "", ""}
	cities := []string{"SEATTLE WA", "AUSTIN TX", "BOSTON MA", "DENVER CO", "CHICAGO IL", ""}
	type payee struct {
		name  string
		usual int64
	}
	payees := make([]payee, 3000)
	for i := range payees {
		var sb strings.Builder
		for range 2 + r.IntN(2) {
			sb.WriteString(syll[r.IntN(len(syll))])
		}
		name := strings.ToUpper(sb.String()[:1]) + sb.String()[1:]
		if r.IntN(3) == 0 {
			name += " " + strings.ToUpper(syll[r.IntN(len(syll))]) + syll[r.IntN(len(syll))]
		}
		if k := kinds[r.IntN(len(kinds))]; k != "" {
			name += " " + k
		}
		usual := int64(math.Exp(r.NormFloat64()*1.0+3.2) * 100)
		if r.IntN(20) == 0 {
			usual = -usual * 20 // income: salaries, refunds
		}
		payees[i] = payee{name, usual}
	}
	pick := func() *payee { f := r.Float64(); return &payees[int(f*f*float64(len(payees)))] }

	b = &Batch{Today: Day(20000 + days)}
	b.Entries = make([]Entry, nEntries)
	checkNo := make([]int, accounts+1)
	for i := range b.Entries {
		p := pick()
		amt := p.usual
		if r.IntN(10) >= 4 {
			amt = int64(float64(amt) * (0.5 + r.Float64()))
		}
		if amt == 0 {
			amt = 1
		}
		e := Entry{
			Key:     int64(i + 1),
			Account: int64(1 + r.IntN(accounts)),
			Day:     Day(20000 + r.IntN(days)),
			Amount:  -amt,
			Payee:   p.name,
		}
		if r.IntN(33) == 0 && e.Amount < 0 {
			checkNo[e.Account]++
			e.Check = fmt.Sprint(1000 + checkNo[e.Account])
		}
		b.Entries[i] = e
	}

	truth = map[int64]int64{}
	byAccount := map[int64][]Line{}
	perm := r.Perm(nEntries)
	for i := range nLines {
		l := Line{Key: int64(i + 1), IDs: []string{fmt.Sprintf("FIT%07d", i)}}
		if r.IntN(10) < 7 {
			e := &b.Entries[perm[i]]
			truth[l.Key] = e.Key
			l.Account, l.Amount, l.Check = e.Account, e.Amount, e.Check
			shift := 0
			switch f := r.IntN(100); {
			case e.Check != "":
				shift = 3 + r.IntN(40)
			case f < 60:
			case f < 85:
				shift = 1
			case f < 95:
				shift = 2 + r.IntN(2)
			default:
				shift = 4 + r.IntN(7)
			}
			if r.IntN(5) == 0 && e.Check == "" {
				shift = -shift
			}
			l.Day = e.Day + Day(shift)
			switch f := r.IntN(100); {
			case f < 4 && l.Amount < 0:
				l.Amount -= int64(100 + r.IntN(201)) // a fee
			case f < 7 && l.Amount < 0:
				l.Amount = l.Amount * int64(110+r.IntN(16)) / 100 // a tip
			}
			l.Text = bankText(r, e.Payee, cities)
			if e.Check != "" {
				l.Text = "CHECK " + e.Check
			}
		} else {
			p := pick()
			l.Account = int64(1 + r.IntN(accounts))
			l.Day = Day(20000 + r.IntN(days))
			l.Amount = -int64(float64(p.usual) * (0.5 + r.Float64()))
			if l.Amount == 0 {
				l.Amount = -1
			}
			l.Text = bankText(r, p.name, cities)
		}
		byAccount[l.Account] = append(byAccount[l.Account], l)
	}
	for a := int64(1); a <= accounts; a++ {
		d := Delivery{Account: a, From: 20000, To: b.Today, New: byAccount[a]}
		for _, l := range d.New {
			d.Present = append(d.Present, l.IDs...)
		}
		b.Deliveries = append(b.Deliveries, d)
	}
	return b, truth
}

// bankText writes a payee the way a bank's descriptor does.
func bankText(r *rand.Rand, payee string, cities []string) string {
	s := strings.ToUpper(payee)
	switch r.IntN(4) {
	case 0:
		s = "POS DEBIT " + s
	case 1:
		s = "CHECKCARD " + fmt.Sprintf("%04d", r.IntN(10000)) + " " + s
	case 2:
		if f := strings.Fields(s); len(f) > 1 {
			s = f[0] + "*" + strings.Join(f[1:], "")
		}
	}
	return s + fmt.Sprintf(" #%d ", r.IntN(9000)) + cities[r.IntN(len(cities))]
}

// BenchmarkMatch100kVs1M is review's worst day: 100,000 new lines against
// 1,000,000 open entries. s/run is the time of one Process; auto% the
// share of lines matched without review, autoprec% how many of those are
// right, recall% how many of the lines that have an entry got it (auto or
// suggested).
func BenchmarkMatch100kVs1M(b *testing.B) {
	batch, truth := genBooks(1, 1_000_000, 100_000)
	var plan *Plan
	start := time.Now()
	runs := 0
	for b.Loop() {
		plan = Process(batch)
		runs++
	}
	b.ReportMetric(time.Since(start).Seconds()/float64(runs), "s/run")
	q := quality(plan, truth)
	b.ReportMetric(q.auto, "auto%")
	b.ReportMetric(q.autoPrec, "autoprec%")
	b.ReportMetric(q.recall, "recall%")
}

type planQuality struct{ auto, autoPrec, recall, review float64 }

func quality(plan *Plan, truth map[int64]int64) planQuality {
	var auto, autoOK, found, review int
	for _, p := range plan.Lines {
		want, has := truth[p.Line]
		switch p.Zone {
		case ZoneAuto:
			auto++
			if has && p.Entry == want {
				autoOK++
			}
		case ZoneSuggest:
			review++
		}
		if has && p.Zone != ZoneNew && p.Entry == want {
			found++
		}
	}
	pct := func(a, b int) float64 {
		if b == 0 {
			return 0
		}
		return 100 * float64(a) / float64(b)
	}
	return planQuality{
		auto:     pct(auto, len(plan.Lines)),
		autoPrec: pct(autoOK, auto),
		recall:   pct(found, len(truth)),
		review:   pct(review, len(plan.Lines)),
	}
}
