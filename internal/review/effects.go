package review

import (
	"context"
	"sync"

	"github.com/bankfeed/bankfeed"
)

// Effect is what a round did to a line, as its audit entry names it
// (review.auto_add, review.auto_match, review.reopen, ...).
type Effect struct {
	LineID bankfeed.LineID `json:"line_id"`
	Action string          `json:"action"`
}

// Effects collects what the rounds run under a context did to lines: the
// lines a decision's round decided besides the one decided (a rule it
// taught adding the payee's other waiting lines), so that a page can show
// them without reloading.
type Effects struct {
	mu   sync.Mutex
	list []Effect
}

type effectsKey struct{}

// WithEffects returns a context whose rounds report to the Effects
// returned.
func WithEffects(ctx context.Context) (context.Context, *Effects) {
	e := &Effects{}
	return context.WithValue(ctx, effectsKey{}, e), e
}

// Except lists what was done last to each line other than line, in the
// order the lines were first touched.
func (e *Effects) Except(line bankfeed.LineID) []Effect {
	e.mu.Lock()
	defer e.mu.Unlock()
	last := map[bankfeed.LineID]int{}
	var out []Effect
	for _, f := range e.list {
		if f.LineID == line {
			continue
		}
		if i, ok := last[f.LineID]; ok {
			out[i] = f
			continue
		}
		last[f.LineID] = len(out)
		out = append(out, f)
	}
	return out
}

// report tells ctx's Effects, if any, of a round's audit rows about lines.
// It runs as the round writes them; a transaction that then fails leaves
// them reported, so a caller reads them only after a decision succeeded.
func report(ctx context.Context, rows []auditRow) {
	e, _ := ctx.Value(effectsKey{}).(*Effects)
	if e == nil {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, a := range rows {
		if a.line != 0 {
			e.list = append(e.list, Effect{LineID: a.line, Action: a.action})
		}
	}
}
