package web

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/bankfeed/bankfeed"
	"github.com/bankfeed/bankfeed/internal/advice"
	"github.com/bankfeed/bankfeed/internal/diagnose"
	"github.com/bankfeed/bankfeed/internal/syncer"
)

func init() {
	routeSets = append(routeSets, (*Server).dashboardRoutes)
	// The feed pages' template helpers.
	funcs["feedState"] = feedStateLabel
	funcs["feedCardNext"] = cardNextText
	funcs["feedPercent"] = func(p float64) string { return strconv.Itoa(int(p*100+0.5)) + "%" }
}

func (s *Server) dashboardRoutes() {
	s.handle("GET /", Viewer, s.dashboardPage)
	s.handle("GET /api/v1/status", Viewer, s.apiStatus)
	s.handle("GET /api/v1/balances", Viewer, s.apiBalances)
}

// statusView is the health board: per institution, connection and
// account, where each feed stands, how stale it is, and, for each
// connection that is not fine, its card.
type statusView struct {
	At           time.Time          `json:"at"`
	Institutions []*institutionView `json:"institutions"`
	// Cards explain the connections that are not fine, worst first.
	Cards []*advice.Card `json:"cards"`
	// Unreviewed counts every line waiting for review.
	Unreviewed int64 `json:"unreviewed"`
}

type institutionView struct {
	ID          bankfeed.InstitutionID `json:"id"`
	Name        string                 `json:"name"`
	FID         string                 `json:"fid,omitempty"`
	Circuit     *bankfeed.Circuit      `json:"circuit,omitempty"`
	Connections []*connectionView      `json:"connections"`
}

type connectionView struct {
	ID         bankfeed.ConnectionID    `json:"id"`
	Name       string                   `json:"name"`
	UserID     string                   `json:"user_id"`
	State      bankfeed.ConnectionState `json:"state"`
	StateLabel string                   `json:"state_label"`
	Reason     string                   `json:"reason,omitempty"`
	Next       time.Time                `json:"next_attempt_at,omitzero"`
	NextText   string                   `json:"next_attempt"`
	Disabled   bool                     `json:"disabled"`
	Card       *advice.Card             `json:"card,omitempty"`
	// CardNext says when the card's next attempt is, in words.
	CardNext string         `json:"-"`
	Accounts []*accountView `json:"accounts"`
}

type accountView struct {
	*syncer.AccountStatus
	StateLabel string    `json:"state_label"`
	NextText   string    `json:"next_attempt"`
	Staleness  staleness `json:"staleness"`
}

// staleness is how long ago a feed last synced, and how much that
// matters, knowing the deadlines.
type staleness struct {
	// Seconds since the last sync that worked; -1 when never.
	Seconds int64 `json:"seconds"`
	// Text says it in words: "last synced 3 h ago".
	Text string `json:"text"`
	// Level is low, medium, high or critical (diagnose.Assess).
	Level    string                `json:"level"`
	Why      string                `json:"why"`
	Cost     string                `json:"cost,omitempty"`
	Deadline *diagnose.DeadlineRef `json:"deadline,omitempty"`
}

// feedStateLabel is a state in words.
func feedStateLabel(st bankfeed.ConnectionState) string {
	switch st {
	case bankfeed.ConnWaitingForBank:
		return "waiting for bank"
	case bankfeed.ConnNeedsAction:
		return "needs your action"
	case "":
		return "unknown"
	}
	return string(st)
}

// feedNextText says when the next attempt is, in words.
func feedNextText(st bankfeed.ConnectionState, next time.Time) string {
	switch {
	case st == bankfeed.ConnDisabled:
		return "none (disabled)"
	case st == bankfeed.ConnNeedsAction:
		return "when you act"
	}
	return untilText(next)
}

// syncer returns the server's syncer, or says there is none.
func (s *Server) feedSyncer() (*syncer.Syncer, error) {
	if s.opts.Syncer == nil {
		return nil, bankfeed.Errorf(bankfeed.EConflict, "this server syncs nothing: it was started without a syncer")
	}
	return s.opts.Syncer, nil
}

// status builds the health board.
func (s *Server) status(ctx context.Context) (*statusView, error) {
	sy, err := s.feedSyncer()
	if err != nil {
		return nil, err
	}
	board, err := sy.Status(ctx)
	if err != nil {
		return nil, err
	}
	facts, err := advice.LoadFacts(ctx, s.db)
	if err != nil {
		return nil, err
	}
	deadlines, err := s.db.Deadlines(ctx)
	if err != nil {
		return nil, err
	}
	v := &statusView{At: board.At, Institutions: []*institutionView{}, Cards: []*advice.Card{}}
	if v.Unreviewed, err = s.db.CountUnreviewed(ctx); err != nil {
		return nil, err
	}
	for _, is := range board.Institutions {
		iv := &institutionView{ID: is.Institution.ID, Name: is.Institution.Name, FID: is.Institution.FID,
			Circuit: is.Circuit, Connections: []*connectionView{}}
		if iv.Name == "" {
			iv.Name = is.Institution.Key
		}
		for _, cs := range is.Connections {
			cv := &connectionView{ID: cs.ID, Name: cs.Name, UserID: cs.UserID, State: cs.State, StateLabel: feedStateLabel(cs.State),
				Reason: cs.Reason, Next: cs.Next, NextText: feedNextText(cs.State, cs.Next), Disabled: cs.Disabled,
				Accounts: []*accountView{}}
			if c := advice.CardFor(is, cs, facts, advice.Web); c != nil {
				cv.Card = c
				cv.CardNext = cardNextText(c)
				v.Cards = append(v.Cards, c)
			}
			for _, a := range cs.Accounts {
				av := &accountView{AccountStatus: a, StateLabel: feedStateLabel(a.State), NextText: feedNextText(a.State, a.Next)}
				needsHuman := a.State == bankfeed.ConnNeedsAction || a.State == bankfeed.ConnEscalate
				sev := diagnose.Assess(board.At, a.LastSuccess, needsHuman, deadlines, nil)
				av.Staleness = staleness{Seconds: -1, Text: "never synced", Level: sev.Level, Why: sev.Why, Cost: sev.Cost,
					Deadline: sev.Deadline}
				if !a.LastSuccess.IsZero() {
					av.Staleness.Seconds = int64(board.At.Sub(a.LastSuccess) / time.Second)
					av.Staleness.Text = "last synced " + agoText(a.LastSuccess)
				}
				if a.State == bankfeed.ConnDisabled {
					av.Staleness.Level = diagnose.LevelLow
				}
				cv.Accounts = append(cv.Accounts, av)
			}
			iv.Connections = append(iv.Connections, cv)
		}
		v.Institutions = append(v.Institutions, iv)
	}
	sortCards(v.Cards)
	return v, nil
}

// sortCards puts the cards that need the user first.
func sortCards(cards []*advice.Card) {
	for i := 1; i < len(cards); i++ {
		for j := i; j > 0 && advice.StateRank(cards[j].State) > advice.StateRank(cards[j-1].State); j-- {
			cards[j], cards[j-1] = cards[j-1], cards[j]
		}
	}
}

// cardNextText says when a card's connection is tried again.
func cardNextText(c *advice.Card) string {
	if c.WaitsForYou {
		return "not by itself: it waits for you"
	}
	when := feedNextText(c.State, c.Next)
	if c.AtBankTime {
		when += ", when the bank said it would be back"
	}
	return when
}

func (s *Server) apiStatus(w http.ResponseWriter, r *http.Request) error {
	v, err := s.status(r.Context())
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, v)
}

// dashboardView is the dashboard page's data.
type dashboardView struct {
	*statusView
	Charts []*chart
}

func (s *Server) dashboardPage(w http.ResponseWriter, r *http.Request) error {
	if r.URL.Path != "/" {
		return bankfeed.Errorf(bankfeed.ENotFound, "no page %s", r.URL.Path)
	}
	v, err := s.status(r.Context())
	if err != nil {
		return err
	}
	bal, err := s.balances(r.Context(), 0, chartDays)
	if err != nil {
		return err
	}
	return s.page(w, r, "dashboard", pageData{Title: "Dashboard", Nav: "dashboard",
		Data: dashboardView{statusView: v, Charts: balanceCharts(bal)}})
}
