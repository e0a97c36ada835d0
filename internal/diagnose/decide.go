package diagnose

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/bankfeed/bankfeed"
)

// Facts is what the decision path found about a connection: its record
// (runs, circuit, the other connections at its bank) and the probes'
// results. Decide turns it into a verdict.
type Facts struct {
	Now         time.Time
	Connection  *bankfeed.Connection
	Institution string
	// Runs are the connection's recent runs, newest first.
	Runs    []*bankfeed.SyncRun
	Circuit *bankfeed.Circuit
	// Siblings are the other connections at the same institution.
	Siblings []Sibling
	Probes   []Probe
	// FailingSince is the first failure of the current run of failures;
	// BusinessFailing is how long that is in business hours, and
	// EscalateAfter the business time after which to call for help (0:
	// never).
	FailingSince    time.Time
	BusinessFailing time.Duration
	EscalateAfter   time.Duration
}

// Sibling is another connection at the same institution, as its latest
// runs left it.
type Sibling struct {
	Name string
	// Class is its latest run's failure class; "" when that run went
	// through, and Synced false when it never ran.
	Class  bankfeed.FailureClass
	At     time.Time
	Synced bool
}

// Priors are the likelihoods before any evidence. Bank-side trouble is, in
// the field, maintenance about 70 % of the time, a notice the user has not
// acknowledged 20 % and a restriction on the account 10 %; every other
// class starts with a small share of its own.
var (
	priorOther    = 0.02
	bankSideTotal = 1 - priorOther*float64(len(bankfeed.FailureClasses)-3)
	priors        = func() map[bankfeed.FailureClass]float64 {
		p := map[bankfeed.FailureClass]float64{}
		for _, c := range bankfeed.FailureClasses {
			p[c] = priorOther
		}
		p[bankfeed.FailMaintenance] = 0.70 * bankSideTotal
		p[bankfeed.FailActionRequired] = 0.20 * bankSideTotal
		p[bankfeed.FailAccountNotFound] = 0.10 * bankSideTotal
		return p
	}()
)

// Evidence weights: how much more likely a finding is under the class it
// points to than under the others. A classified failure (the bank's own
// status code, an HTTP status, a page's words) is near proof; a probe that
// works now makes a class unlikely without proving it never happened.
const (
	strong  = 200.0  // a classified signal: the last failure
	current = 1000.0 // a probe's failure: classified, and true now
	clear   = 20.0   // a page that says so
	some    = 3.0    // leaning: the other connections at the bank
	unlike  = 0.3    // weighs against
	ruleOut = 0.01   // a probe that works rules a class out
)

// posterior accumulates the evidence.
type posterior struct {
	w        map[bankfeed.FailureClass]float64
	evidence []Evidence
	ruled    map[bankfeed.FailureClass]string
	// last is the class the last failure was given from the bank's own
	// answer: a probe that passes now does not rule it out (it may have
	// cleared), it only weighs against it.
	last bankfeed.FailureClass
	// cleared says which probe found the last failure's cause gone.
	cleared string
}

func newPosterior() *posterior {
	w := make(map[bankfeed.FailureClass]float64, len(priors))
	for c, p := range priors {
		w[c] = p
	}
	return &posterior{w: w, ruled: map[bankfeed.FailureClass]string{}}
}

// weigh multiplies the likelihood of each class by its factor and, for a
// factor that rules a class out, keeps why.
func (p *posterior) weigh(why string, factors map[bankfeed.FailureClass]float64) {
	for c, f := range factors {
		if f <= ruleOut && c == p.last {
			p.w[c] *= unlike
			if p.cleared == "" {
				p.cleared = why
			}
			continue
		}
		p.w[c] *= f
		if f <= ruleOut && p.ruled[c] == "" {
			p.ruled[c] = why
		}
	}
}

func (p *posterior) note(source, finding string, pointsTo bankfeed.FailureClass) {
	p.evidence = append(p.evidence, Evidence{Source: source, Finding: finding, PointsTo: string(pointsTo)})
}

func each(f float64, cs ...bankfeed.FailureClass) map[bankfeed.FailureClass]float64 {
	m := make(map[bankfeed.FailureClass]float64, len(cs))
	for _, c := range cs {
		m[c] = f
	}
	return m
}

var (
	netClasses  = []bankfeed.FailureClass{bankfeed.FailOffline, bankfeed.FailDNS, bankfeed.FailUnreachable}
	tlsClasses  = []bankfeed.FailureClass{bankfeed.FailTLSUntrusted, bankfeed.FailTLSIncompatible}
	credClasses = []bankfeed.FailureClass{bankfeed.FailInvalidCredentials, bankfeed.FailLocked, bankfeed.FailMFARequired}
	userClasses = []bankfeed.FailureClass{bankfeed.FailInvalidCredentials, bankfeed.FailLocked, bankfeed.FailMFARequired,
		bankfeed.FailActionRequired, bankfeed.FailConsentExpired, bankfeed.FailAccountNotFound}
)

// latestFailure returns the newest failed run among each account's latest
// run, and whether any account's latest run failed at all.
func latestFailure(runs []*bankfeed.SyncRun) *bankfeed.SyncRun {
	seen := map[bankfeed.AccountID]bool{}
	var out *bankfeed.SyncRun
	for _, r := range runs { // newest first
		if seen[r.AccountID] || r.Outcome == "running" {
			continue
		}
		seen[r.AccountID] = true
		if r.Outcome == bankfeed.OutcomeFailed && (out == nil || r.StartedAt.After(out.StartedAt)) {
			out = r
		}
	}
	return out
}

// Decide weighs the facts and returns the verdict: the most likely class
// first, the evidence, what was ruled out and why, and what to do. It is a
// pure function of f.
func Decide(f *Facts) *Verdict {
	v := &Verdict{CheckedAt: f.Now, Institution: f.Institution, Probes: f.Probes}
	if f.Connection != nil {
		v.Connection, v.ConnectionID = f.Connection.Name, f.Connection.ID
	}
	p := newPosterior()
	last := latestFailure(f.Runs)
	probeFailed := false
	for _, pr := range f.Probes {
		if pr.Status == ProbeFailed && pr.Class != "" {
			probeFailed = true
		}
	}

	if last != nil {
		class := bankfeed.FailureClass(last.FailureClass)
		p.last = class
		p.weigh("", each(strong, class))
		p.note("last_sync", lastFinding(last), class)
		v.BankMessage = last.BankMessage
		if last.FinishedAt != nil && last.FinishedAt.Sub(last.StartedAt) < 2*time.Second {
			v.FailedImmediately = true
			p.note("last_sync", "it failed at once ("+last.FinishedAt.Sub(last.StartedAt).Round(time.Millisecond).String()+
				"): the bank, or something on the way, answered rather than timing out", "")
		} else if last.FinishedAt != nil {
			p.note("last_sync", "it failed after "+last.FinishedAt.Sub(last.StartedAt).Round(time.Millisecond).String(), "")
		}
	} else {
		p.note("last_sync", lastOKFinding(f.Runs), "")
	}

	weighProbes(p, f, last)
	weighSiblings(p, f)
	if p.cleared != "" {
		p.note("now", "what failed works now ("+p.cleared+"): the cause may have cleared, and the next sync may go through", "")
	}

	if !f.FailingSince.IsZero() && last != nil {
		t := f.FailingSince
		v.FailingSince = &t
		p.note("history", fmt.Sprintf("failing since %s (%s of business hours)", t.UTC().Format(time.RFC3339),
			hours(f.BusinessFailing)), "")
		if f.EscalateAfter > 0 && f.BusinessFailing >= f.EscalateAfter {
			v.Escalate = true
			v.EscalateWhy = fmt.Sprintf("failing for %s of business hours, more than the %s after which the bank or an expert should look",
				hours(f.BusinessFailing), hours(f.EscalateAfter))
		}
	}
	if f.Circuit != nil && f.Circuit.Open {
		p.note("circuit", fmt.Sprintf("the bank's circuit is open since %s after %d failures (%s): its connections wait for one probe",
			f.Circuit.OpenedAt.UTC().Format(time.RFC3339), f.Circuit.Failures, f.Circuit.Class), f.Circuit.Class)
	}

	v.Evidence = p.evidence
	if last == nil && !probeFailed {
		// Nothing failed: the verdict is that all is well, and the probes
		// say whether the bank still answers.
		v.Class, v.Code, v.Title = ClassOK, "BF-OK", "Syncing normally"
		v.DataRisk = "Nothing is at risk: every account's latest sync went through."
		v.Likelihoods = []Likelihood{{Class: ClassOK, P: 1}}
		v.Steps = []string{}
		v.RuledOut = []RuledOut{}
		v.NextRetryAt = nextRetry(f)
		return v
	}

	v.Likelihoods = p.likelihoods()
	top := bankfeed.FailureClass(v.Likelihoods[0].Class)
	info := top.Info()
	v.Class, v.Code, v.Title, v.Transient = string(top), info.Code, info.Title, info.Transient
	v.DataAtRisk, v.DataRisk = false, info.DataRisk
	v.Steps = slices.Clone(info.Steps)
	if v.Escalate {
		v.Steps = append(v.Steps, "Call the bank, or an expert, with the diagnostic bundle: bankfeed diagnose "+
			v.Connection+" --bundle diagnosis.zip (it holds no password).")
	}
	v.RuledOut = []RuledOut{}
	for _, c := range bankfeed.FailureClasses {
		if why := p.ruled[c]; why != "" && c != top {
			v.RuledOut = append(v.RuledOut, RuledOut{Class: string(c), Why: why})
		}
	}
	v.NextRetryAt = nextRetry(f)
	return v
}

// likelihoods normalizes the weights: classes of at least 0.1 %, most
// likely first, rounded to three places.
func (p *posterior) likelihoods() []Likelihood {
	total := 0.0
	for _, w := range p.w {
		total += w
	}
	var out []Likelihood
	for c, w := range p.w {
		if pr := w / total; pr >= 0.0005 {
			out = append(out, Likelihood{Class: string(c), P: math.Round(pr*1000) / 1000})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].P != out[j].P {
			return out[i].P > out[j].P
		}
		return p.w[bankfeed.FailureClass(out[i].Class)] > p.w[bankfeed.FailureClass(out[j].Class)] ||
			p.w[bankfeed.FailureClass(out[i].Class)] == p.w[bankfeed.FailureClass(out[j].Class)] && out[i].Class < out[j].Class
	})
	return out
}

func weighProbes(p *posterior, f *Facts, last *bankfeed.SyncRun) {
	internetDown := false
	for _, pr := range f.Probes {
		if pr.Name == "internet" && pr.Status == ProbeFailed {
			internetDown = true
		}
	}
	for _, pr := range f.Probes {
		class := bankfeed.FailureClass(pr.Class)
		switch pr.Status {
		case ProbeSkipped:
			p.note(pr.Name, "not checked: "+pr.Detail, "")
			continue
		case ProbeFailed:
			if internetDown && (class == bankfeed.FailDNS || class == bankfeed.FailUnreachable) {
				class = bankfeed.FailOffline // nothing answers: this computer is offline
			}
			if class != "" {
				p.weigh("", each(current, class))
			}
			p.note(pr.Name, pr.Detail, class)
			continue
		}
		// The probe worked: what it rules out, or what it read.
		switch pr.Name {
		case "dns":
			p.weigh("the bank's host name resolves ("+pr.Detail+")", each(ruleOut, bankfeed.FailDNS))
			p.weigh("", each(unlike, bankfeed.FailOffline))
		case "connect":
			p.weigh("the bank's server accepts connections now", each(ruleOut, bankfeed.FailOffline))
			p.weigh("", each(unlike, bankfeed.FailUnreachable))
		case "tls":
			p.weigh("the bank's certificate is valid and the handshake works ("+pr.Detail+")", each(ruleOut, tlsClasses...))
		case "clock":
			if pr.Signal == "skew" {
				p.weigh("", each(some, bankfeed.FailTLSUntrusted))
			}
		case "internet":
			p.weigh("another host answers ("+pr.Detail+"): this computer is online", each(ruleOut, bankfeed.FailOffline))
		case "portal":
			switch pr.Signal {
			case "maintenance":
				p.weigh("", each(clear, bankfeed.FailMaintenance))
				p.note(pr.Name, pr.Detail, bankfeed.FailMaintenance)
				continue
			case "notice":
				p.weigh("", each(clear, bankfeed.FailActionRequired))
				p.note(pr.Name, pr.Detail, bankfeed.FailActionRequired)
				continue
			case "blocked":
				p.weigh("", each(clear, bankfeed.FailBlockedClient))
				p.note(pr.Name, pr.Detail, bankfeed.FailBlockedClient)
				continue
			}
			p.weigh("", each(unlike, bankfeed.FailMaintenance))
		case "profile":
			p.weigh("the bank's OFX server answered a profile request", each(ruleOut, append(slices.Clone(netClasses), tlsClasses...)...))
			p.weigh("", each(unlike, bankfeed.FailMaintenance, bankfeed.FailServerError))
		case "signon":
			p.weigh("a sign-on with the stored password just worked", each(ruleOut, append(slices.Clone(credClasses),
				bankfeed.FailConsentExpired, bankfeed.FailBlockedClient)...))
			p.weigh("", each(unlike, bankfeed.FailMaintenance, bankfeed.FailServerError, bankfeed.FailActionRequired))
		}
		p.note(pr.Name, pr.Detail, "")
	}
}

func weighSiblings(p *posterior, f *Facts) {
	var failing, fine, bankSide int
	var names []string
	for _, s := range f.Siblings {
		if !s.Synced {
			continue
		}
		names = append(names, s.Name)
		switch {
		case s.Class == "":
			fine++
		default:
			failing++
			if s.Class.BankSide() || s.Class == bankfeed.FailMaintenance || s.Class == bankfeed.FailServerError {
				bankSide++
			}
		}
	}
	n := failing + fine
	switch {
	case n == 0:
		p.note("other_connections", "no other connection at this bank to compare with", "")
	case bankSide == n:
		p.note("other_connections", fmt.Sprintf("all %d other connections at this bank fail too (%s): the trouble is the bank's",
			n, strings.Join(names, ", ")), "")
		p.weigh("", each(some, bankfeed.FailMaintenance, bankfeed.FailServerError, bankfeed.FailUnreachable,
			bankfeed.FailDNS, bankfeed.FailTLSUntrusted, bankfeed.FailTLSIncompatible, bankfeed.FailBlockedClient))
	case fine == n:
		p.note("other_connections", fmt.Sprintf("the %d other connections at this bank sync fine (%s): the trouble is this login or account",
			n, strings.Join(names, ", ")), "")
		p.weigh("", each(unlike, bankfeed.FailMaintenance, bankfeed.FailServerError, bankfeed.FailUnreachable, bankfeed.FailDNS))
		p.weigh("", each(some, userClasses...))
	default:
		p.note("other_connections", fmt.Sprintf("%d of %d other connections at this bank fail", failing, n), "")
	}
}

func lastFinding(r *bankfeed.SyncRun) string {
	var facts []string
	if r.HTTPStatus != 0 {
		facts = append(facts, fmt.Sprintf("HTTP %d", r.HTTPStatus))
	}
	if r.OFXStatus != "" {
		facts = append(facts, "OFX status "+r.OFXStatus)
	}
	if !r.RetryAt.IsZero() {
		facts = append(facts, "the bank said to come back at "+r.RetryAt.UTC().Format(time.RFC3339))
	}
	s := fmt.Sprintf("the last sync (run %d, %s) failed as %s", r.ID, r.StartedAt.UTC().Format(time.RFC3339), r.FailureClass)
	if len(facts) > 0 {
		s += ": " + strings.Join(facts, "; ")
	}
	return s
}

func lastOKFinding(runs []*bankfeed.SyncRun) string {
	for _, r := range runs {
		if r.Outcome == bankfeed.OutcomeOK {
			return "every account's latest sync went through (the last at " + r.StartedAt.UTC().Format(time.RFC3339) + ")"
		}
	}
	return "no sync has run yet"
}

// nextRetry is the next automatic attempt: the circuit's probe while it is
// open, else the connection's next attempt; nil when none is planned.
func nextRetry(f *Facts) *time.Time {
	var t time.Time
	if f.Connection != nil && !f.Connection.Disabled {
		t = f.Connection.NextAttemptAt
	}
	if f.Circuit != nil && f.Circuit.Open && f.Circuit.NextProbeAt.After(t) && !t.IsZero() {
		t = f.Circuit.NextProbeAt
	}
	if t.IsZero() {
		return nil
	}
	return &t
}

func hours(d time.Duration) string {
	h := d.Hours()
	if h < 1 {
		return fmt.Sprintf("%d min", int(d.Minutes()))
	}
	return fmt.Sprintf("%.1f h", h)
}
