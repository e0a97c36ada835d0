// Package ofxdirect is bankfeed's OFX Direct Connect client: it signs on to
// a bank's OFX server, asks for the account list, a statement or the
// profile, and classifies every failure where it sees it, so that callers
// switch on a bankfeed.FailureClass. Each call also returns the transcript of
// its HTTP exchange (*Exchange), password taken out, to keep and to show; it
// is nil only when nothing was sent.
//
// Every failure is a *FetchError, with one exception: a cancelled context
// returns the context's error wrapped and unclassified (ClassOf gives ""),
// since a sync stopped on purpose is no failure of the bank. A context
// deadline is a bank that did not answer in time: net.unreachable, wrapping
// context.DeadlineExceeded.
//
// Classification, in the order it is decided:
//   - transport: *net.DNSError → net.dns; no route to any network → net.offline;
//     a failed TLS handshake → tls.untrusted for an expired, misnamed or
//     unknown-issuer certificate, net.unreachable when the connection broke or
//     timed out, else tls.incompatible (protocol, cipher, alert, SHA-1,
//     a server that does not speak TLS); anything else (refused, reset,
//     timeout, EOF) → net.unreachable;
//   - the body: cut off in transit → data.incomplete (a timeout →
//     net.unreachable); over Client.MaxBody → data.incomplete (not taken
//     whole; a narrower window may fit);
//   - an HTTP error whose body is OFX with a non-zero STATUS → by that STATUS;
//     else 502/503/504 → bank.maintenance, 429 → rate_limited (Retry-After,
//     then X-RateLimit-Reset, then the text), 401 → auth.invalid_credentials,
//     403 → bank.blocked_client, 400 with a firewall page → bank.blocked_client,
//     404/405/410 → provider.unsupported, a redirect not followed →
//     provider.unsupported, 407 → net.unreachable, others → bank.server_error;
//   - a 200 that is not OFX: empty → bank.server_error; an HTML page →
//     bank.blocked_client for a firewall's, bank.maintenance for one that
//     mentions maintenance or unavailability, else bank.server_error; OFX cut
//     short → data.incomplete, unless the body holds a server's stack trace
//     (bank.server_error); other unreadable OFX → bank.server_error. A wrong
//     Content-Type on readable OFX is tolerated and noted in the Exchange;
//   - OFX STATUS, the sign-on's first, then the request's own wrapper's:
//     15500, 15508 → auth.invalid_credentials; 15502 → auth.locked; 3000,
//     3001, 15511 → auth.mfa_required; 15000, 15510, 15512, 15513 →
//     bank.action_required; 15501 → rate_limited (the reset time read from
//     the message); 2003–2005 → account.not_found; 2019 → engine.internal;
//     2021, 2025, 2027, 13504, 15503–15507 → provider.unsupported; other
//     155xx → auth.invalid_credentials (never retried); 2000 by its message:
//     maintenance or unavailable → bank.maintenance, "no longer supported"
//     or "upgrade" → bank.blocked_client, an unknown ORG/FID →
//     provider.unsupported, accept, terms, log in, verify, website, access
//     code → bank.action_required, else bank.server_error ("try again
//     later" alone is no maintenance: every error says it); any other code
//     → bank.server_error. A wrapper's INFO or WARN beside its statement is
//     no failure.
//
// A password goes over HTTPS, or over plain HTTP to this machine only; 307
// and 308 redirects, which resend it, are followed over HTTPS only.
package ofxdirect

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/bankfeed/bankfeed"
	"github.com/bankfeed/bankfeed/internal/ofx"
)

// Defaults of Institution and Client.
const (
	DefaultVersion   = "102"
	DefaultAppID     = "QWIN"
	DefaultAppVer    = "2500"
	DefaultUserAgent = "InetClntApp/3.0" // what Quicken sends; many banks refuse others
	DefaultMaxBody   = 32 << 20
)

// anonymousUser is the USERID and USERPASS of an anonymous sign-on, as the
// OFX specification gives them for profile requests.
const anonymousUser = "anonymous00000000000000000000000"

// Institution is how to reach a bank's OFX server.
type Institution struct {
	URL, Org, FID, BankID string
	// Version is the OFX version sent: 102 (default), 103, 151, 160 (SGML)
	// or 200–220 (XML).
	Version string
	// AppID and AppVer name the client application; QWIN and 2500 when empty.
	AppID, AppVer string
	// UserAgent is the HTTP User-Agent; InetClntApp/3.0, as Quicken sends,
	// when empty.
	UserAgent string
	// ClientUIDRequired says the bank wants a CLIENTUID (its profile's
	// CLIENTUIDREQ); a sign-on without one is refused before it is sent.
	ClientUIDRequired bool
}

func (in Institution) withDefaults() Institution {
	if in.Version == "" {
		in.Version = DefaultVersion
	}
	if in.AppID == "" {
		in.AppID = DefaultAppID
	}
	if in.AppVer == "" {
		in.AppVer = DefaultAppVer
	}
	if in.UserAgent == "" {
		in.UserAgent = DefaultUserAgent
	}
	return in
}

// Credentials sign a user on. ClientUID is sent when set.
type Credentials struct {
	UserID    string
	Password  ofx.Password
	ClientUID string
}

// Client talks OFX Direct Connect. The zero value is ready to use, and a
// Client is safe for concurrent use.
type Client struct {
	// HTTP sends the requests; NewHTTPClient(nil) when nil. Its redirect
	// policy is narrowed: 307 and 308 are followed over HTTPS only (they
	// resend the password), other redirects are answered as failures.
	HTTP *http.Client
	// Now is the clock (DTCLIENT, Retry-After); time.Now when nil.
	Now func() time.Time
	// MaxBody bounds the answer read; DefaultMaxBody (32 MiB) when zero.
	// A longer answer fails as data.incomplete: it was not taken whole.
	MaxBody int64
}

// NewHTTPClient returns an HTTP client with the timeouts a bank deserves:
// 10 s to connect, 10 s for the TLS handshake, 60 s for the answer's
// headers, 2 minutes in all. tlsConfig is cloned; nil means the system's
// roots and TLS 1.2 or later.
func NewHTTPClient(tlsConfig *tls.Config) *http.Client {
	conf := &tls.Config{MinVersion: tls.VersionTLS12}
	if tlsConfig != nil {
		conf = tlsConfig.Clone()
	}
	d := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
	return &http.Client{
		Timeout: 2 * time.Minute,
		Transport: &http.Transport{
			Proxy:                 http.ProxyFromEnvironment,
			DialContext:           d.DialContext,
			TLSClientConfig:       conf,
			TLSHandshakeTimeout:   10 * time.Second,
			ResponseHeaderTimeout: 60 * time.Second,
			ExpectContinueTimeout: time.Second,
			IdleConnTimeout:       90 * time.Second,
			MaxIdleConnsPerHost:   2,
			ForceAttemptHTTP2:     true,
		},
	}
}

var defaultHTTP = NewHTTPClient(nil)

func (c *Client) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

func (c *Client) maxBody() int64 {
	if c.MaxBody > 0 {
		return c.MaxBody
	}
	return DefaultMaxBody
}

// httpClient returns a copy of the client's HTTP client with the redirect
// policy narrowed (see Client.HTTP).
func (c *Client) httpClient() *http.Client {
	base := c.HTTP
	if base == nil {
		base = defaultHTTP
	}
	hc := *base
	inner := base.CheckRedirect
	hc.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if req.Response != nil {
			switch req.Response.StatusCode {
			case http.StatusTemporaryRedirect, http.StatusPermanentRedirect:
			default:
				return http.ErrUseLastResponse // a POST turned GET: answer the redirect
			}
		}
		if !safeScheme(req.URL) {
			return http.ErrUseLastResponse // never resend the password in the clear
		}
		if len(via) >= 5 {
			return http.ErrUseLastResponse
		}
		if inner != nil {
			return inner(req, via)
		}
		return nil
	}
	return &hc
}

// safeScheme reports whether a password may travel to u: over HTTPS, or
// over HTTP to this machine only.
func safeScheme(u *url.URL) bool {
	switch u.Scheme {
	case "https":
		return true
	case "http":
		host := u.Hostname()
		if host == "localhost" {
			return true
		}
		ip := net.ParseIP(host)
		return ip != nil && ip.IsLoopback()
	}
	return false
}

// Accounts lists the accounts of a login (ACCTINFORQ).
func (c *Client) Accounts(ctx context.Context, in Institution, cr Credentials) ([]ofx.AccountInfo, *Exchange, error) {
	trnuid := newUID()
	req := &ofx.Request{AccountInfo: &ofx.AccountInfoRequest{TRNUID: trnuid}}
	r, ex, err := c.do(ctx, in, cr, req, "list accounts")
	if err != nil {
		return nil, ex, err
	}
	if ferr := checkStatuses(r, "ACCTINFOTRNRS", trnuid, c.now()); ferr != nil {
		return nil, ex, redactError(ferr, cr.Password.Reveal())
	}
	if r.AccountInfo == nil {
		return []ofx.AccountInfo{}, ex, nil
	}
	return r.AccountInfo, ex, nil
}

// Statement fetches one account's statement over [start, end] (bank or card
// by kind); a zero start or end is left out of the request. The bank ID of a
// bank account is the institution's when acct has none. The statement's
// figures are not checked: lines that do not add up to the balance are the
// caller's to find.
func (c *Client) Statement(ctx context.Context, in Institution, cr Credentials, kind bankfeed.AccountKind,
	acct ofx.AccountRef, start, end time.Time) (*ofx.Response, *Exchange, error) {
	wrapper := ""
	switch kind {
	case bankfeed.KindBank:
		wrapper = "STMTTRNRS"
		if acct.BankID == "" {
			acct.BankID = in.BankID
		}
	case bankfeed.KindCreditCard:
		wrapper = "CCSTMTTRNRS"
	default:
		return nil, nil, &FetchError{Class: bankfeed.FailUnsupported,
			Err: fmt.Errorf("fetch statement: %q accounts cannot be fetched by OFX Direct Connect here", kind)}
	}
	trnuid := newUID()
	req := &ofx.Request{Statements: []ofx.StatementRequest{
		{TRNUID: trnuid, Kind: kind, Account: acct, Start: start, End: end, Include: true}}}
	r, ex, err := c.do(ctx, in, cr, req, "fetch statement")
	if err != nil {
		return nil, ex, err
	}
	if ferr := checkStatuses(r, wrapper, trnuid, c.now()); ferr != nil {
		return nil, ex, redactError(ferr, cr.Password.Reveal())
	}
	for _, st := range r.Statements {
		if st.Kind == kind {
			return r, ex, nil
		}
	}
	return nil, ex, &FetchError{Class: bankfeed.FailServerError, OFX: statuses(r),
		Err: fmt.Errorf("fetch statement: the answer holds no %s statement", kind)}
}

// Profile fetches the institution's profile, signing on anonymously as OFX
// specifies.
func (c *Client) Profile(ctx context.Context, in Institution) (*ofx.Profile, *Exchange, error) {
	trnuid := newUID()
	cr := Credentials{UserID: anonymousUser, Password: anonymousUser}
	in.ClientUIDRequired = false // an anonymous sign-on has no application to register
	req := &ofx.Request{Profile: &ofx.ProfileRequest{TRNUID: trnuid}}
	r, ex, err := c.do(ctx, in, cr, req, "fetch profile")
	if err != nil {
		return nil, ex, err
	}
	if ferr := checkStatuses(r, "PROFTRNRS", trnuid, c.now()); ferr != nil {
		return nil, ex, ferr
	}
	if r.Profile == nil {
		return nil, ex, &FetchError{Class: bankfeed.FailServerError, OFX: statuses(r),
			Err: errors.New("fetch profile: the answer holds no profile")}
	}
	return r.Profile, ex, nil
}

// do signs on, sends req and reads the answer as OFX. Every error is a
// *FetchError, except a cancelled ctx, whose error is returned wrapped and
// unclassified: a sync stopped on purpose is no failure of the bank.
func (c *Client) do(ctx context.Context, in Institution, cr Credentials, req *ofx.Request, what string) (*ofx.Response, *Exchange, error) {
	in = in.withDefaults()
	pw := cr.Password.Reveal() // masked in the transcript and errors
	if pw == anonymousUser {
		pw = "" // no secret, and the USERID is the same
	}
	fail := func(class bankfeed.FailureClass, err error) error {
		return &FetchError{Class: class, Err: fmt.Errorf("%s: %w", what, err)}
	}
	u, err := url.Parse(in.URL)
	switch {
	case err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http"):
		return nil, nil, fail(bankfeed.FailUnsupported, fmt.Errorf("the OFX address %q is not an http(s) URL", redactedURL(in.URL)))
	case !safeScheme(u):
		return nil, nil, fail(bankfeed.FailUnsupported, errors.New("the OFX address is plain HTTP: a password is sent over HTTPS only"))
	case in.ClientUIDRequired && cr.ClientUID == "":
		return nil, nil, fail(bankfeed.FailUnsupported, errors.New("the bank requires a CLIENTUID and none is set"))
	}

	req.Signon = ofx.SignonRequest{DTClient: c.now(), UserID: cr.UserID, UserPass: cr.Password,
		Org: in.Org, FID: in.FID, AppID: in.AppID, AppVer: in.AppVer, ClientUID: cr.ClientUID}
	var body bytes.Buffer
	if err := ofx.WriteRequest(&body, req, ofx.WriteOptions{Version: in.Version, NewFileUID: newUID()}); err != nil {
		return nil, nil, fail(bankfeed.FailUnsupported, err)
	}

	hr, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), bytes.NewReader(body.Bytes()))
	if err != nil {
		return nil, nil, fail(bankfeed.FailUnsupported, errors.New("the OFX address cannot be requested"))
	}
	hr.Header.Set("Content-Type", "application/x-ofx")
	hr.Header.Set("Accept", "application/x-ofx, */*")
	hr.Header.Set("User-Agent", in.UserAgent)

	ex := newExchange(hr, body.Bytes(), pw, c.now())
	tr := &tracer{}
	hr = hr.WithContext(tr.attach(ctx))
	began := time.Now()
	resp, err := c.httpClient().Do(hr)
	if err != nil {
		ex.finish(began, tr, err, pw)
		return nil, ex, redactError(transportFailure(ctx, what, err, tr.tlsError()), pw)
	}
	defer resp.Body.Close()
	raw, readErr := readBody(resp, c.maxBody())
	ex.response(resp, raw, pw)
	ex.Raw = raw
	ex.finish(began, tr, readErr, pw)

	r, err := c.answer(ctx, what, resp, raw, readErr, ex)
	if err != nil {
		return nil, ex, redactError(err, pw)
	}
	return r, ex, nil
}

// newUID returns 32 random hex digits, for a TRNUID or NEWFILEUID.
func newUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand.Read)
	return hex.EncodeToString(b[:])
}

// redactedURL returns s with any password in it hidden.
func redactedURL(s string) string {
	if u, err := url.Parse(s); err == nil {
		return u.Redacted()
	}
	if i := strings.LastIndexByte(s, '@'); i >= 0 {
		return "…" + s[i:]
	}
	return s
}
