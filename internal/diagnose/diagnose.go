// Package diagnose runs the decision path a support article would have a
// user run by hand after a failed sync (can the bank's host be found and
// reached, is its certificate good, does its web site announce maintenance
// or want something done, does its OFX server answer, does a sign-on work,
// do the other connections at the bank fail too, for how long has it
// failed) and weighs what it finds into a verdict: the most likely failure
// class first, the evidence, what was ruled out and why, what to do, and
// when bankfeed tries again.
package diagnose

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/bankfeed/bankfeed"
	"github.com/bankfeed/bankfeed/internal/scheduler"
	"github.com/bankfeed/bankfeed/internal/source/ofxdirect"
	"github.com/bankfeed/bankfeed/internal/store"
	"github.com/bankfeed/bankfeed/internal/syncer"
)

// Options tune a Diagnoser. The zero value is ready to use.
type Options struct {
	// Timeout bounds a whole diagnosis: 4.5 s when zero, so a verdict
	// comes in under 5 seconds even when the bank does not answer.
	Timeout time.Duration
	// StepTimeout bounds one network step (a connection, a page): 3 s
	// when zero.
	StepTimeout time.Duration
	// CheckHost is a second host (host:port) that shows whether this
	// computer is online; BANKFEED_CHECK_HOST when empty, none when that
	// is empty too.
	CheckHost string
	// Policy is the retry policy, for escalation; the syncer's default
	// when zero.
	Policy scheduler.Policy
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// Resolver resolves host names; net.DefaultResolver when nil.
	Resolver *net.Resolver
	// Location is where deadlines and "end of the week" are reckoned;
	// time.Local when nil.
	Location *time.Location
}

func (o *Options) now() time.Time {
	if o.Now != nil {
		return o.Now()
	}
	return time.Now()
}

func (o *Options) stepTimeout() time.Duration {
	if o.StepTimeout > 0 {
		return o.StepTimeout
	}
	return 3 * time.Second
}

func (o *Options) resolver() *net.Resolver {
	if o.Resolver != nil {
		return o.Resolver
	}
	return net.DefaultResolver
}

// Diagnoser diagnoses the connections of a store, reaching their banks the
// way a Syncer does.
type Diagnoser struct {
	db   *store.DB
	sync *syncer.Syncer
	opts Options
}

// New returns a Diagnoser.
func New(db *store.DB, s *syncer.Syncer, opts Options) *Diagnoser {
	if opts.Timeout <= 0 {
		opts.Timeout = 4500 * time.Millisecond
	}
	if opts.CheckHost == "" {
		opts.CheckHost = os.Getenv("BANKFEED_CHECK_HOST")
	}
	if opts.Policy.Escalate == 0 && opts.Policy.Daily == 0 {
		opts.Policy = scheduler.DefaultPolicy(time.Local)
	}
	if opts.Location == nil {
		opts.Location = time.Local
	}
	return &Diagnoser{db: db, sync: s, opts: opts}
}

// historyRuns is how many of a connection's runs a diagnosis reads.
const historyRuns = 200

// Diagnose runs the decision path for a connection and returns its
// verdict, which it also keeps in the store.
func (d *Diagnoser) Diagnose(ctx context.Context, id bankfeed.ConnectionID) (*Verdict, error) {
	return d.diagnose(ctx, id, false)
}

// diagnose runs the decision path; auto is a diagnosis after a failed sync,
// which asks nothing of a bank whose circuit is open (its probe does):
// a bank that is down for all is not asked by every connection at once.
func (d *Diagnoser) diagnose(ctx context.Context, id bankfeed.ConnectionID, auto bool) (*Verdict, error) {
	start := time.Now()
	f, run, err := d.facts(ctx, id)
	if err != nil {
		return nil, err
	}
	if auto && f.Circuit != nil && f.Circuit.Open {
		run.quiet = "the bank's circuit is open: it is asked again only by the circuit's probe"
	}
	pctx, cancel := context.WithTimeout(ctx, d.opts.Timeout)
	defer cancel()
	f.Probes = run.run(pctx)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	v := Decide(f)
	deadlines, err := d.db.Deadlines(ctx)
	if err != nil {
		return nil, err
	}
	v.Severity = Assess(f.Now, lastSuccess(f.Runs), v.NeedsHuman(), deadlines, d.opts.Location)
	v.TookMS = time.Since(start).Milliseconds()
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	if err := d.db.SaveDiagnosis(ctx, &store.Diagnosis{ConnectionID: id, CheckedAt: v.CheckedAt, Class: v.Class,
		Escalate: v.Escalate, Verdict: b}); err != nil {
		return nil, err
	}
	return v, nil
}

// facts reads what the store knows of the connection, and readies its
// probes.
func (d *Diagnoser) facts(ctx context.Context, id bankfeed.ConnectionID) (*Facts, *probeRun, error) {
	st, err := d.db.SyncStart(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	c := st.Connection
	now := d.opts.now().UTC()
	f := &Facts{Now: now, Connection: c, Circuit: st.Circuit, EscalateAfter: d.opts.Policy.Escalate}
	insts, err := d.db.Institutions(ctx)
	if err != nil {
		return nil, nil, err
	}
	for _, in := range insts {
		if in.ID == c.InstitutionID {
			f.Institution = in.Name
		}
	}
	if f.Runs, err = d.db.FindSyncRuns(ctx, store.SyncRunFilter{ConnectionID: id, Limit: historyRuns}); err != nil {
		return nil, nil, err
	}
	if f.FailingSince = failingSince(f.Runs); !f.FailingSince.IsZero() {
		f.BusinessFailing = d.opts.Policy.Hours.Between(f.FailingSince, now)
	}
	others, err := d.db.Connections(ctx, store.ConnectionFilter{InstitutionID: c.InstitutionID})
	if err != nil {
		return nil, nil, err
	}
	for _, o := range others {
		if o.ID == c.ID || o.Disabled {
			continue
		}
		runs, err := d.db.FindSyncRuns(ctx, store.SyncRunFilter{ConnectionID: o.ID, Limit: 20})
		if err != nil {
			return nil, nil, err
		}
		s := Sibling{Name: o.Name}
		if len(runs) > 0 {
			s.Synced, s.At = true, runs[0].StartedAt
			if l := latestFailure(runs); l != nil {
				s.Class = bankfeed.FailureClass(l.FailureClass)
			}
		}
		f.Siblings = append(f.Siblings, s)
	}

	run := &probeRun{opts: &d.opts, conn: c, signOn: true}
	if d.sync != nil {
		client, err := d.sync.Client(c.Profile)
		if err != nil {
			return nil, nil, err
		}
		run.client = client
		run.tls = tlsConfigOf(client)
		run.creds = func(ctx context.Context) (ofxdirect.Credentials, error) { return d.sync.Credentials(ctx, c) }
	} else {
		run.signOn, run.noSignOn = false, "no key to open the password"
		run.tls = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	if last := latestFailure(f.Runs); last != nil {
		switch cl := bankfeed.FailureClass(last.FailureClass); cl {
		case bankfeed.FailInvalidCredentials, bankfeed.FailLocked, bankfeed.FailMFARequired:
			run.signOn = false
			run.noSignOn = "the last failure was " + string(cl) + ": signing on again with the same password could lock the login"
		}
	}
	if run.signOn && c.State == bankfeed.ConnNeedsAction && !c.Verified {
		run.signOn, run.noSignOn = false, "the login waits for a new password"
	}
	return f, run, nil
}

// tlsConfigOf returns the TLS settings of an OFX client's HTTP client, so
// the probes trust what a sync trusts.
func tlsConfigOf(c *ofxdirect.Client) *tls.Config {
	if c != nil && c.HTTP != nil {
		if t, ok := c.HTTP.Transport.(*http.Transport); ok && t.TLSClientConfig != nil {
			return t.TLSClientConfig.Clone()
		}
	}
	return &tls.Config{MinVersion: tls.VersionTLS12}
}

// failingSince is the first failure after the latest success, across the
// connection's accounts; zero when the latest run of every account went
// through.
func failingSince(runs []*bankfeed.SyncRun) time.Time {
	if latestFailure(runs) == nil {
		return time.Time{}
	}
	var since time.Time
	for _, r := range runs { // newest first
		if r.Outcome == bankfeed.OutcomeOK {
			break
		}
		if r.Outcome == bankfeed.OutcomeFailed {
			since = r.StartedAt
		}
	}
	return since
}

// lastSuccess is the latest run that went through; zero when none did.
func lastSuccess(runs []*bankfeed.SyncRun) time.Time {
	for _, r := range runs {
		if r.Outcome == bankfeed.OutcomeOK {
			return r.StartedAt
		}
	}
	return time.Time{}
}
