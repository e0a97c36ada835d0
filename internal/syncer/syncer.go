// Package syncer is the bank feed: it fetches each account's new lines from
// its bank over OFX Direct Connect and puts them in the store without ever
// losing or doubling one.
//
// A sync run covers one account. It asks for the window from the end of the
// last committed statement, less an overlap, to now (90 days on the first
// sync), reads and dedupes the answer, and commits the lines, the account's
// cursor and the run record in one transaction. A run that fails commits its
// record alone, with its failure class, so a failed sync writes no line.
//
// Politeness: at most one run per account at a time and a bounded number
// per institution (leases in the store, so several workers share them);
// rejected credentials stop the connection at once and are never retried
// by themselves; a bank-side failure opens the institution's circuit, which
// pauses its other connections until one probe finds it back. When to try
// again is scheduler.Policy's decision, from the account's history.
package syncer

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"sync"
	"time"

	"github.com/bankfeed/bankfeed"
	"github.com/bankfeed/bankfeed/internal/importer"
	"github.com/bankfeed/bankfeed/internal/procid"
	"github.com/bankfeed/bankfeed/internal/scheduler"
	"github.com/bankfeed/bankfeed/internal/secret"
	"github.com/bankfeed/bankfeed/internal/source/ofxdirect"
	"github.com/bankfeed/bankfeed/internal/store"
)

// Defaults.
const (
	DefaultOverlap          = 7 * 24 * time.Hour
	DefaultFirstWindow      = 90 * 24 * time.Hour
	DefaultInstitutionLimit = 2
	DefaultLeaseTTL         = 10 * time.Minute
)

// passwordAAD binds a sealed password to its use.
const passwordAAD = "bankfeed connection password"

// Options configure a Syncer; zero values take the defaults.
type Options struct {
	// Overlap is how far before the last statement's end a window starts,
	// to catch lines the bank posted late.
	Overlap time.Duration
	// FirstWindow is how far back the first sync of an account asks.
	FirstWindow time.Duration
	// InstitutionLimit bounds the syncs running at once per institution.
	InstitutionLimit int
	// LeaseTTL is how long a worker holds an account before another may
	// take it; longer than any one run.
	LeaseTTL time.Duration
	// Policy decides retries; scheduler.DefaultPolicy(time.Local) when
	// zero.
	Policy scheduler.Policy
	// HTTP, when set, sends every request (tests, a proxy); otherwise each
	// connection's client trusts the system roots plus its CA file.
	HTTP ofxdirect.Client
	// Logger logs runs; nothing is logged when nil.
	Logger *slog.Logger
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// Rand returns a number in [0, 1) for jitter; math/rand when nil.
	Rand func() float64
	// Progress, when set, hears of each account's progress. It is called
	// from several goroutines and must be quick.
	Progress func(Event)
	// Review, when set, reviews each account's new lines in the
	// transaction that writes them (importer.Options.Review).
	Review func(ctx context.Context, tx *store.Tx, importID bankfeed.ImportID, ds []importer.Delivered) error
}

// Syncer syncs connections into one store. It is safe for concurrent use.
type Syncer struct {
	db     *store.DB
	key    *secret.Key
	im     *importer.Importer
	opts   Options
	log    *slog.Logger
	holder string
	slots  slots
	claims claims

	mu      sync.Mutex
	clients map[string]*ofxdirect.Client // by CA file
}

// New returns a Syncer writing to db that opens passwords with key.
func New(db *store.DB, key *secret.Key, opts Options) *Syncer {
	if opts.Overlap == 0 {
		opts.Overlap = DefaultOverlap
	}
	if opts.FirstWindow == 0 {
		opts.FirstWindow = DefaultFirstWindow
	}
	if opts.InstitutionLimit <= 0 {
		opts.InstitutionLimit = DefaultInstitutionLimit
	}
	if opts.LeaseTTL == 0 {
		opts.LeaseTTL = DefaultLeaseTTL
	}
	if opts.Policy.Daily == 0 {
		opts.Policy = scheduler.DefaultPolicy(time.Local)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Rand == nil {
		opts.Rand = rand.Float64
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Syncer{db: db, key: key, im: importer.New(db), opts: opts, log: log, holder: procid.New(),
		clients: map[string]*ofxdirect.Client{}}
	s.slots.limit = opts.InstitutionLimit
	return s
}

// Holder is the name this syncer takes leases under.
func (s *Syncer) Holder() string { return s.holder }

func (s *Syncer) now() time.Time { return s.opts.Now().UTC() }

// client returns the OFX client for a profile: the one given in Options, or
// one trusting the system roots and the profile's CA file.
func (s *Syncer) client(p bankfeed.Profile) (*ofxdirect.Client, error) {
	if s.opts.HTTP.HTTP != nil {
		c := s.opts.HTTP
		if c.Now == nil {
			c.Now = s.opts.Now
		}
		return &c, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if c := s.clients[p.CAFile]; c != nil {
		return c, nil
	}
	var conf *tls.Config
	if p.CAFile != "" {
		pem, err := os.ReadFile(p.CAFile)
		if err != nil {
			return nil, bankfeed.Errorf(bankfeed.EInvalid, "read the bank's CA file: %v", err)
		}
		pool, err := x509.SystemCertPool()
		if err != nil || pool == nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM(pem) {
			return nil, bankfeed.Errorf(bankfeed.EInvalid, "the bank's CA file %s holds no PEM certificate", p.CAFile)
		}
		conf = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	}
	c := &ofxdirect.Client{HTTP: ofxdirect.NewHTTPClient(conf), Now: s.opts.Now}
	s.clients[p.CAFile] = c
	return c, nil
}

// institution is how ofxdirect reaches a profile's bank.
func institution(p bankfeed.Profile) ofxdirect.Institution {
	return ofxdirect.Institution{URL: p.URL, Org: p.Org, FID: p.FID, BankID: p.BankID, Version: p.Version,
		AppID: p.AppID, AppVer: p.AppVer, UserAgent: p.UserAgent, ClientUIDRequired: p.ClientUIDRequired}
}

// openCredentials opens a connection's sealed password: its credentials.
func (s *Syncer) openCredentials(c *bankfeed.Connection, sealed []byte) (ofxdirect.Credentials, error) {
	pw, err := s.key.OpenString(sealed, passwordAAD)
	if err != nil {
		if errors.Is(err, secret.ErrWrongKey) {
			return ofxdirect.Credentials{}, bankfeed.Errorf(bankfeed.EInternal,
				"connection %s: its password was sealed with another key (is BANKFEED_KEY or BANKFEED_KEY_FILE the one it was set up with?)", c.Name)
		}
		return ofxdirect.Credentials{}, fmt.Errorf("connection %s: open password: %w", c.Name, err)
	}
	return ofxdirect.Credentials{UserID: c.UserID, Password: pw, ClientUID: c.ClientUID}, nil
}

// Event is one step of an account's sync, for progress displays.
type Event struct {
	Connection *bankfeed.Connection
	Account    *bankfeed.ConnectionAccount // nil for connection-wide steps
	// Step is waiting (for a slot), fetching, importing, done, failed or
	// skipped.
	Step string
	Run  *bankfeed.SyncRun // for done and failed
	// Why says why an account was skipped.
	Why string
}

func (s *Syncer) progress(e Event) {
	if s.opts.Progress != nil {
		s.opts.Progress(e)
	}
}

// Due lists the connections whose next automatic sync is due at now.
func (s *Syncer) Due(ctx context.Context, now time.Time) ([]bankfeed.ConnectionID, error) {
	cs, err := s.db.Connections(ctx, store.ConnectionFilter{DueBy: now})
	if err != nil {
		return nil, err
	}
	ids := make([]bankfeed.ConnectionID, 0, len(cs))
	for _, c := range cs {
		ids = append(ids, c.ID)
	}
	return ids, nil
}

// Client returns the OFX client a sync of a connection with profile p uses
// (its HTTP client trusts the same roots), for diagnosis.
func (s *Syncer) Client(p bankfeed.Profile) (*ofxdirect.Client, error) { return s.client(p) }

// Institution is how a sync reaches a profile's bank.
func Institution(p bankfeed.Profile) ofxdirect.Institution { return institution(p) }

// Credentials opens a connection's password, for a diagnosis's sign-on.
func (s *Syncer) Credentials(ctx context.Context, c *bankfeed.Connection) (ofxdirect.Credentials, error) {
	sealed, err := s.db.SealedPassword(ctx, c.ID)
	if err != nil {
		return ofxdirect.Credentials{}, err
	}
	return s.openCredentials(c, sealed)
}
