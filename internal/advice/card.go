package advice

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/bankfeed/bankfeed"
	"github.com/bankfeed/bankfeed/internal/diagnose"
	"github.com/bankfeed/bankfeed/internal/store"
	"github.com/bankfeed/bankfeed/internal/syncer"
)

// Facts are what cards need beyond the status board.
type Facts struct {
	Lines   map[bankfeed.AccountID]int64     // lines per feed account
	Portals map[bankfeed.ConnectionID]string // the bank's web site per connection
	// Verdicts are the latest diagnoses of connections whose last one
	// found a problem.
	Verdicts map[bankfeed.ConnectionID]*diagnose.Verdict
}

// LoadFacts reads the facts of every connection.
func LoadFacts(ctx context.Context, db *store.DB) (*Facts, error) {
	accts, err := db.Accounts(ctx, bankfeed.AccountFilter{})
	if err != nil {
		return nil, err
	}
	conns, err := db.Connections(ctx, store.ConnectionFilter{})
	if err != nil {
		return nil, err
	}
	f := &Facts{Lines: make(map[bankfeed.AccountID]int64, len(accts)), Portals: map[bankfeed.ConnectionID]string{},
		Verdicts: map[bankfeed.ConnectionID]*diagnose.Verdict{}}
	for _, a := range accts {
		f.Lines[a.ID] = a.Lines
	}
	for _, c := range conns {
		f.Portals[c.ID] = c.Profile.PortalURL
		d, err := db.LatestDiagnosis(ctx, c.ID)
		if err != nil {
			return nil, err
		}
		var v diagnose.Verdict
		if d != nil && d.Class != diagnose.ClassOK && json.Unmarshal(d.Verdict, &v) == nil {
			f.Verdicts[c.ID] = &v
		}
	}
	return f, nil
}

// Actions a card offers its user.
const (
	ActionNone     = ""         // nothing to press: bankfeed retries by itself
	ActionResume   = "resume"   // the user did what the bank asked: resume and sync
	ActionPassword = "password" // the bank rejected the password: set a new one
)

// Card explains a connection that is not fine: what happened, the bank's
// own words, that the data is safe, what to do, and when bankfeed tries
// again. Times are left for each face to write.
type Card struct {
	ConnectionID bankfeed.ConnectionID    `json:"connection_id"`
	Connection   string                   `json:"connection"`
	Institution  string                   `json:"institution"`
	State        bankfeed.ConnectionState `json:"state"`
	// AccountID is the worst account, whose state the card tells; 0 when
	// the connection lists none.
	AccountID bankfeed.AccountID    `json:"account_id,omitempty"`
	Class     bankfeed.FailureClass `json:"failure_class,omitempty"`
	// Code is the class's stable short code (BF-301).
	Code string `json:"code,omitempty"`
	// What says what happened, with the class.
	What string `json:"what"`
	// BankSaid is the bank's own words, when it answered; Error the
	// failure's words otherwise.
	BankSaid string `json:"bank_said,omitempty"`
	Error    string `json:"error,omitempty"`
	// RunID is the failed run the card tells of; 0 when none.
	RunID    bankfeed.SyncRunID `json:"run_id,omitempty"`
	DataSafe string             `json:"data_safe"`
	Todo     string             `json:"todo"`
	// Action is what to press: resume, password, or nothing.
	Action string `json:"action,omitempty"`
	// Next is the next automatic attempt; zero when none. WaitsForYou
	// says no attempt comes until the user acts; AtBankTime that the
	// attempt is when the bank said it would be back.
	Next        time.Time  `json:"next_attempt_at,omitzero"`
	WaitsForYou bool       `json:"waits_for_you"`
	AtBankTime  bool       `json:"at_bank_time,omitempty"`
	Diagnosis   *Diagnosis `json:"diagnosis,omitempty"`
}

// Diagnosis is the latest diagnosis, in short.
type Diagnosis struct {
	CheckedAt   time.Time `json:"checked_at"`
	Title       string    `json:"title"`
	Code        string    `json:"code"`
	Class       string    `json:"class"`
	Likelihood  float64   `json:"likelihood"` // of the most likely class, 0 to 1
	Findings    int       `json:"findings"`
	Escalate    bool      `json:"escalate"`
	EscalateWhy string    `json:"escalate_why,omitempty"`
}

// CardFor explains a connection that is not fine, in a face's words; nil
// when it is fine.
func CardFor(is *syncer.InstitutionStatus, cs *syncer.ConnectionStatus, f *Facts, face Face) *Card {
	var acct *syncer.AccountStatus
	var lines int64
	worst := -1
	for _, a := range cs.Accounts {
		lines += f.Lines[a.AccountID]
		r := StateRank(a.State)
		// Of two accounts as bad, the one whose last run failed tells
		// more: the other may not have been tried.
		if r > 0 && (r > worst || r == worst && failedRun(a.LastRun) && !failedRun(acct.LastRun)) {
			worst, acct = r, a
		}
	}
	if acct == nil && StateRank(cs.State) <= 0 {
		return nil
	}
	portal := f.Portals[cs.ID]
	c := &Card{ConnectionID: cs.ID, Connection: cs.Name, Institution: is.Institution.Name, State: cs.State, Next: cs.Next}
	reason := cs.Reason
	var run *bankfeed.SyncRun
	if acct != nil {
		c.State, c.AccountID, c.Next, reason, run = acct.State, acct.AccountID, acct.Next, acct.Reason, acct.LastRun
	}
	if failedRun(run) {
		c.Class = bankfeed.FailureClass(run.FailureClass)
	} else if cir := is.Circuit; cir != nil && cir.Open {
		c.Class = cir.Class
	}
	adv := For(c.Class)
	c.What = reason
	if c.Class != "" {
		c.What = adv.What + " (" + string(c.Class) + ")"
		c.Code = c.Class.Info().Code
	}
	if failedRun(run) {
		c.RunID = run.ID
		if said := BankWords(run); said != "" && (run.HTTPStatus != 0 || run.OFXStatus != "") {
			c.BankSaid = said
		} else if said != "" {
			c.Error = said
		}
	}
	switch {
	case len(cs.Accounts) == 0:
		c.DataSafe = "Your data is safe: the connection is kept, and the first sync that gets through lists its accounts."
	case lines == 0:
		c.DataSafe = "Your data is safe: a failed sync writes no line."
	default:
		c.DataSafe = fmt.Sprintf("Your data is safe: %s %s stay as they are; a failed sync writes no line.",
			countText(lines), theirFeeds(len(cs.Accounts)))
	}
	c.Todo = "nothing: bankfeed retries by itself"
	if c.Class != "" {
		c.Todo = adv.Todo(face, cs.Name, portal)
	} else if c.State == bankfeed.ConnNeedsAction {
		c.Todo = NeedsActionTodo(face, cs.Name)
	}
	if run != nil && !run.RetryAt.IsZero() && !c.Next.IsZero() && c.Next.Sub(run.RetryAt).Abs() < 2*time.Minute {
		c.AtBankTime = true
	}
	if c.State == bankfeed.ConnNeedsAction {
		c.WaitsForYou = true
		c.Action = ActionResume
		if c.Class == bankfeed.FailInvalidCredentials {
			c.Action = ActionPassword
		}
	}
	if v := f.Verdicts[cs.ID]; v != nil && len(v.Likelihoods) > 0 {
		c.Diagnosis = &Diagnosis{CheckedAt: v.CheckedAt, Title: v.Title, Code: v.Code, Class: v.Class,
			Likelihood: v.Likelihoods[0].P, Findings: len(v.Evidence), Escalate: v.Escalate, EscalateWhy: v.EscalateWhy}
	}
	return c
}

func failedRun(r *bankfeed.SyncRun) bool { return r != nil && r.Outcome == bankfeed.OutcomeFailed }

// StateRank orders states by how much they need saying; 0 and below are
// fine.
func StateRank(s bankfeed.ConnectionState) int {
	switch s {
	case bankfeed.ConnRetrying:
		return 1
	case bankfeed.ConnWaitingForBank:
		return 2
	case bankfeed.ConnEscalate:
		return 3
	case bankfeed.ConnNeedsAction:
		return 4
	}
	return 0
}

func theirFeeds(n int) string {
	if n == 1 {
		return "in its feed"
	}
	return "in its feeds"
}

func countText(n int64) string {
	if n == 1 {
		return "1 line"
	}
	return fmt.Sprintf("%d lines", n)
}

// BankWords returns the bank's own words in a failed run's error: what
// follows the class and the codes.
func BankWords(r *bankfeed.SyncRun) string {
	msg := r.Error
	if !strings.HasPrefix(msg, r.FailureClass+": ") {
		return ""
	}
	msg = strings.TrimPrefix(msg, r.FailureClass+": ")
	// "HTTP 503, retry after 2026-11-24T07:13:00Z: words" or "OFX 2000: words"
	if strings.HasPrefix(msg, "HTTP ") || strings.HasPrefix(msg, "OFX ") {
		if _, rest, ok := strings.Cut(msg, ": "); ok {
			return rest
		}
		return ""
	}
	return msg
}
