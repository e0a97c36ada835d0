package web

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/bankfeed/bankfeed"
	"github.com/bankfeed/bankfeed/internal/store"
)

// chartDays is how many days the dashboard's charts show; maxChartDays
// bounds what the API gives.
const (
	chartDays    = 90
	maxChartDays = 366
)

// balancesView is the balance history of the feed accounts, and their
// total per currency.
type balancesView struct {
	From     string             `json:"from"`
	To       string             `json:"to"`
	Days     int                `json:"days"`
	Accounts []*accountBalances `json:"accounts"`
	Totals   []*totalBalances   `json:"totals"`
}

type accountBalances struct {
	Number      string               `json:"number"`
	Name        string               `json:"name"`
	Kind        bankfeed.AccountKind `json:"kind"`
	Institution string               `json:"institution"`
	*store.BalanceHistory
}

type totalBalances struct {
	Currency string             `json:"currency"`
	Days     []store.BalanceDay `json:"days"`
}

// balances reads the balance history of one account (acct not 0) or of
// every account that has lines, over the last days days up to today.
func (s *Server) balances(ctx context.Context, acct bankfeed.AccountID, days int) (*balancesView, error) {
	loc, err := s.location(ctx)
	if err != nil {
		return nil, err
	}
	today := s.db.Now().In(loc)
	to := today.Format(store.DateLayout)
	from := today.AddDate(0, 0, 1-days).Format(store.DateLayout)
	v := &balancesView{From: from, To: to, Days: days, Accounts: []*accountBalances{}, Totals: []*totalBalances{}}
	accts, err := s.db.ChartAccounts(ctx, acct)
	if err != nil {
		return nil, err
	}
	if acct != 0 && len(accts) == 0 {
		return nil, bankfeed.Errorf(bankfeed.ENotFound, "account %d: no such feed account", acct)
	}
	totals := map[string]*totalBalances{}
	for _, a := range accts {
		if !a.HasLines && acct == 0 {
			continue
		}
		h, err := s.db.BalanceHistory(ctx, a.ID, from, to)
		if err != nil {
			return nil, err
		}
		v.Accounts = append(v.Accounts, &accountBalances{Number: a.Number, Name: a.Name, Kind: a.Kind,
			Institution: a.Institution, BalanceHistory: h})
		t := totals[h.Currency]
		if t == nil {
			t = &totalBalances{Currency: h.Currency, Days: make([]store.BalanceDay, len(h.Days))}
			for i, d := range h.Days {
				t.Days[i] = store.BalanceDay{On: d.On}
			}
			totals[h.Currency] = t
			v.Totals = append(v.Totals, t)
		}
		for i, d := range h.Days {
			t.Days[i].Balance = t.Days[i].Balance.Add(d.Balance)
			t.Days[i].Lines += d.Lines
		}
	}
	for _, t := range v.Totals {
		places := bankfeed.CurrencyPlaces(t.Currency)
		for i := range t.Days {
			t.Days[i].Balance = t.Days[i].Balance.Canonical(places)
		}
	}
	return v, nil
}

func (s *Server) apiBalances(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	var acct int64
	if a := q.Get("account"); a != "" {
		id, err := strconv.ParseInt(a, 10, 64)
		if err != nil || id <= 0 {
			return bankfeed.Errorf(bankfeed.EInvalid, "account %q: not a positive number", a)
		}
		acct = id
	}
	days := chartDays
	if d := q.Get("days"); d != "" {
		n, err := strconv.Atoi(d)
		if err != nil || n < 1 || n > maxChartDays {
			return bankfeed.Errorf(bankfeed.EInvalid, "days %q: want a number from 1 to %d", d, maxChartDays)
		}
		days = n
	}
	v, err := s.balances(r.Context(), bankfeed.AccountID(acct), days)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, v)
}

// chart is a balance series drawn as inline SVG. Amounts are exact; only
// the coordinates are floating point.
type chart struct {
	Title    string
	Currency string
	// AccountID is the account charted; 0 for a total.
	AccountID bankfeed.AccountID
	W, H      int
	// Line and Area are SVG path data; ZeroY is the y of the zero line,
	// or -1 when zero is out of range.
	Line, Area string
	ZeroY      float64
	From, To   string
	Min, Max   bankfeed.Decimal
	Last       bankfeed.Decimal
	Anchored   bool
	Label      string
}

// The charts' size in SVG units.
const (
	chartW = 600
	chartH = 140
	chartP = 6 // padding above and below the line
)

// balanceCharts draws the totals first, then each account.
func balanceCharts(v *balancesView) []*chart {
	var out []*chart
	for _, t := range v.Totals {
		if len(v.Accounts) < 2 && len(v.Totals) == 1 {
			break // the total is the one account
		}
		title := "All accounts"
		if len(v.Totals) > 1 || t.Currency != "" {
			title += " (" + t.Currency + ")"
		}
		c := drawChart(title, t.Currency, t.Days)
		c.Anchored = true
		for _, a := range v.Accounts {
			if a.Currency == t.Currency && !a.Anchored {
				c.Anchored = false
			}
		}
		out = append(out, c)
	}
	for _, a := range v.Accounts {
		title := a.Number
		if a.Name != "" {
			title = a.Name + " " + maskNumber(a.Number)
		}
		c := drawChart(title, a.Currency, a.Days)
		c.AccountID, c.Anchored = a.AccountID, a.Anchored
		out = append(out, c)
	}
	return out
}

// drawChart draws a series of daily balances.
func drawChart(title, currency string, days []store.BalanceDay) *chart {
	c := &chart{Title: title, Currency: currency, W: chartW, H: chartH, ZeroY: -1}
	if len(days) == 0 {
		return c
	}
	c.From, c.To = days[0].On, days[len(days)-1].On
	c.Min, c.Max, c.Last = days[0].Balance, days[0].Balance, days[len(days)-1].Balance
	for _, d := range days {
		if d.Balance.Cmp(c.Min) < 0 {
			c.Min = d.Balance
		}
		if d.Balance.Cmp(c.Max) > 0 {
			c.Max = d.Balance
		}
	}
	lo, hi := decimalFloat(c.Min), decimalFloat(c.Max)
	if hi == lo {
		hi, lo = hi+1, lo-1
	}
	y := func(v float64) float64 { return chartP + (hi-v)/(hi-lo)*(chartH-2*chartP) }
	step := float64(chartW)
	if len(days) > 1 {
		step = float64(chartW) / float64(len(days)-1)
	}
	var line strings.Builder
	for i, d := range days {
		cmd := "L"
		if i == 0 {
			cmd = "M"
		}
		fmt.Fprintf(&line, "%s%.1f,%.1f ", cmd, float64(i)*step, y(decimalFloat(d.Balance)))
	}
	if len(days) == 1 {
		fmt.Fprintf(&line, "L%d,%.1f", chartW, y(decimalFloat(days[0].Balance)))
	}
	c.Line = strings.TrimSpace(line.String())
	base := float64(chartH)
	if lo <= 0 && hi >= 0 {
		c.ZeroY = y(0)
		base = c.ZeroY
	}
	c.Area = fmt.Sprintf("%s L%d,%.1f L0,%.1f Z", c.Line, chartW, base, base)
	c.Label = fmt.Sprintf("%s: balance from %s to %s, lowest %s, highest %s, last %s %s", title, c.From, c.To,
		c.Min.String(), c.Max.String(), c.Last.String(), currency)
	return c
}

// decimalFloat is an amount as a float, for drawing only.
func decimalFloat(d bankfeed.Decimal) float64 {
	f, _ := strconv.ParseFloat(d.String(), 64)
	return f
}
