package diagnose

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/bankfeed/bankfeed"
	"github.com/bankfeed/bankfeed/internal/source/ofxdirect"
	"github.com/bankfeed/bankfeed/internal/syncer"
)

// maxSkew is how far this computer's clock may be from the bank's before
// it is named: certificates are checked against it.
const maxSkew = 5 * time.Minute

// maxPage bounds the portal page read.
const maxPage = 256 << 10

// probeRun is one diagnosis's probes of a bank.
type probeRun struct {
	opts   *Options
	conn   *bankfeed.Connection
	client *ofxdirect.Client
	tls    *tls.Config
	// signOn says whether the sign-on probe may run, and why not.
	signOn   bool
	noSignOn string
	// quiet, when set, says why the bank's servers are not asked
	// (portal, profile, sign-on).
	quiet     string
	creds     func(ctx context.Context) (ofxdirect.Credentials, error)
	mu        sync.Mutex
	results   map[string]Probe
	target    *url.URL
	targetErr error
}

func (r *probeRun) set(p Probe) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.results[p.Name] = p
}

// timed runs a probe and fills its name and time.
func timed(name string, fn func() Probe) Probe {
	start := time.Now()
	p := fn()
	p.Name = name
	p.TookMS = time.Since(start).Milliseconds()
	return p
}

// probeOrder is the order probes are reported in: the decision path's.
var probeOrder = []string{"proxy", "dns", "connect", "tls", "clock", "portal", "profile", "signon", "internet"}

// run runs every probe, in three chains at once (the network path to the
// bank, its web site, its OFX server), within ctx.
func (r *probeRun) run(ctx context.Context) []Probe {
	r.results = map[string]Probe{}
	r.target, r.targetErr = url.Parse(r.conn.Profile.URL)
	if r.targetErr == nil && r.target.Host == "" {
		r.targetErr = errors.New("no host in it")
	}
	var wg sync.WaitGroup
	wg.Go(func() { r.networkPath(ctx) })
	if r.quiet != "" {
		for _, n := range []string{"portal", "profile", "signon"} {
			r.set(Probe{Name: n, Status: ProbeSkipped, Detail: r.quiet})
		}
	} else {
		wg.Go(func() { r.set(timed("portal", func() Probe { return r.portal(ctx) })) })
		wg.Go(func() { r.ofxServer(ctx) })
	}
	wg.Go(func() { r.set(timed("internet", func() Probe { return r.internet(ctx) })) })
	r.set(timed("proxy", r.proxy))
	wg.Wait()
	out := make([]Probe, 0, len(r.results))
	for _, name := range probeOrder {
		if p, ok := r.results[name]; ok {
			out = append(out, p)
		}
	}
	return out
}

func (r *probeRun) hostPort() (host, port string) {
	host, port = r.target.Hostname(), r.target.Port()
	if port == "" {
		port = "443"
		if r.target.Scheme == "http" {
			port = "80"
		}
	}
	return host, port
}

// networkPath resolves the bank's host, connects, shakes hands and reads
// the clock; a step that fails skips those after it.
func (r *probeRun) networkPath(ctx context.Context) {
	skip := func(names []string, why string) {
		for _, n := range names {
			r.set(Probe{Name: n, Status: ProbeSkipped, Detail: why})
		}
	}
	if r.targetErr != nil {
		skip([]string{"dns", "connect", "tls", "clock"}, "the OFX URL "+r.conn.Profile.URL+" cannot be read: "+r.targetErr.Error())
		return
	}
	host, port := r.hostPort()
	var addrs []string
	dns := timed("dns", func() Probe {
		if ip := net.ParseIP(host); ip != nil {
			addrs = []string{host}
			return Probe{Status: ProbeOK, Detail: host + " is an address: no lookup needed"}
		}
		var err error
		addrs, err = r.opts.resolver().LookupHost(ctx, host)
		if err != nil {
			return Probe{Status: ProbeFailed, Class: string(bankfeed.FailDNS), Detail: "the bank's host name " + host + " does not resolve: " + err.Error()}
		}
		return Probe{Status: ProbeOK, Detail: host + " resolves to " + strings.Join(addrs, ", ")}
	})
	r.set(dns)
	if dns.Status != ProbeOK {
		skip([]string{"connect", "tls", "clock"}, "the host name does not resolve")
		return
	}
	addr := net.JoinHostPort(host, port)
	connect := timed("connect", func() Probe {
		d := net.Dialer{Timeout: r.opts.stepTimeout()}
		c, err := d.DialContext(ctx, "tcp", addr)
		if err != nil {
			class := ofxdirect.ClassifyTransport(err)
			return Probe{Status: ProbeFailed, Class: string(class), Detail: "no connection to " + addr + ": " + err.Error()}
		}
		c.Close()
		return Probe{Status: ProbeOK, Detail: "connected to " + addr}
	})
	r.set(connect)
	if connect.Status != ProbeOK {
		skip([]string{"tls", "clock"}, "no connection to the bank's server")
		return
	}
	if r.target.Scheme == "https" {
		r.set(timed("tls", func() Probe { return r.handshake(ctx, host, addr) }))
	} else {
		r.set(Probe{Name: "tls", Status: ProbeSkipped, Detail: "the OFX URL is not https"})
	}
	r.set(timed("clock", func() Probe { return r.clock(ctx) }))
}

// handshake shakes hands as a sync would, and describes the certificate.
func (r *probeRun) handshake(ctx context.Context, host, addr string) Probe {
	conf := r.tls.Clone()
	conf.ServerName = host
	d := tls.Dialer{NetDialer: &net.Dialer{Timeout: r.opts.stepTimeout()}, Config: conf}
	c, err := d.DialContext(ctx, "tcp", addr)
	if err == nil {
		defer c.Close()
		st := c.(*tls.Conn).ConnectionState()
		return Probe{Status: ProbeOK, Detail: describeCert(st.PeerCertificates, tls.VersionName(st.Version))}
	}
	class := ofxdirect.ClassifyTLS(err)
	detail := "the TLS handshake failed: " + err.Error()
	// Look at the certificate without trusting it, to say what is wrong.
	insecure := r.tls.Clone()
	insecure.ServerName, insecure.InsecureSkipVerify = host, true
	d.Config = insecure
	if c, err2 := d.DialContext(ctx, "tcp", addr); err2 == nil {
		certs := c.(*tls.Conn).ConnectionState().PeerCertificates
		c.Close()
		detail += "; the server shows " + describeCert(certs, "")
		if len(certs) > 0 && r.opts.now().After(certs[0].NotAfter) {
			detail += "; it expired " + certs[0].NotAfter.UTC().Format(time.RFC3339)
		}
	}
	return Probe{Status: ProbeFailed, Class: string(class), Detail: detail}
}

func describeCert(certs []*x509.Certificate, version string) string {
	if len(certs) == 0 {
		return "no certificate"
	}
	c := certs[0]
	names := c.DNSNames
	for _, ip := range c.IPAddresses {
		names = append(names, ip.String())
	}
	s := fmt.Sprintf("a certificate for %s issued by %q, valid %s to %s", strings.Join(names, ", "), c.Issuer.CommonName,
		c.NotBefore.UTC().Format("2006-01-02"), c.NotAfter.UTC().Format("2006-01-02"))
	if version != "" {
		s += ", " + version
	}
	return s
}

// clock compares this computer's clock with the Date the bank's server
// sends.
func (r *probeRun) clock(ctx context.Context) Probe {
	u := *r.target
	u.Path, u.RawQuery = "/", ""
	if r.conn.Profile.PortalURL != "" {
		if pu, err := url.Parse(r.conn.Profile.PortalURL); err == nil && pu.Host != "" {
			u = *pu
		}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodHead, u.String(), nil)
	if err != nil {
		return Probe{Status: ProbeSkipped, Detail: err.Error()}
	}
	resp, err := r.httpClient().Do(req)
	if err != nil {
		return Probe{Status: ProbeSkipped, Detail: "no answer to read a Date from"}
	}
	resp.Body.Close()
	date, err := http.ParseTime(resp.Header.Get("Date"))
	if err != nil {
		return Probe{Status: ProbeSkipped, Detail: "the server sends no Date"}
	}
	skew := r.opts.now().Sub(date)
	if skew > maxSkew || skew < -maxSkew {
		return Probe{Status: ProbeOK, Signal: "skew", Detail: fmt.Sprintf("this computer's clock is %s %s the bank's: certificates may look expired or not yet valid",
			skew.Abs().Round(time.Second), map[bool]string{true: "ahead of", false: "behind"}[skew > 0])}
	}
	return Probe{Status: ProbeOK, Detail: fmt.Sprintf("this computer's clock agrees with the bank's (within %s)", skew.Abs().Round(time.Second))}
}

// portal fetches the bank's web site and reads it: a maintenance splash, a
// notice to act on, a firewall's page.
func (r *probeRun) portal(ctx context.Context) Probe {
	target := r.conn.Profile.PortalURL
	if target == "" {
		if r.targetErr != nil {
			return Probe{Status: ProbeSkipped, Detail: "no portal URL, and the OFX URL cannot be read"}
		}
		target = r.target.Scheme + "://" + r.target.Host + "/"
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return Probe{Status: ProbeSkipped, Detail: "the portal URL cannot be read: " + err.Error()}
	}
	req.Header.Set("User-Agent", "Mozilla/5.0 (compatible; bankfeed diagnose)")
	resp, err := r.httpClient().Do(req)
	if err != nil {
		return Probe{Status: ProbeFailed, Detail: "the bank's web site " + target + " does not answer: " + err.Error()}
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxPage))
	page := ofxdirect.ReadPage(resp.Header.Get("Content-Type"), body, r.opts.now())
	p := Probe{Status: ProbeOK, Message: page.Text}
	words := func(s string) string { return fmt.Sprintf("%s (HTTP %d) %s", target, resp.StatusCode, s) }
	switch {
	case page.Blocked:
		p.Signal, p.Detail = "blocked", words("shows a firewall's page")
	case page.Maintenance:
		p.Signal, p.Detail = "maintenance", words("announces maintenance")
		if !page.RetryAt.IsZero() {
			p.Detail += ", back by " + page.RetryAt.UTC().Format(time.RFC3339)
		}
	case page.Notice:
		p.Signal, p.Detail = "notice", words("asks its users to act")
	case resp.StatusCode >= 500:
		p.Status, p.Detail = ProbeFailed, words("answers with an error")
	default:
		p.Detail = words("shows no maintenance notice or banner")
		p.Message = ""
	}
	return p
}

// ofxServer asks the bank's OFX server for its profile (no credentials),
// then signs on when that may not lock anyone out.
func (r *probeRun) ofxServer(ctx context.Context) {
	in := syncer.Institution(r.conn.Profile)
	prof := timed("profile", func() Probe {
		if r.client == nil {
			return Probe{Status: ProbeSkipped, Detail: "no OFX client"}
		}
		pr, _, err := r.client.Profile(ctx, in)
		if err != nil {
			return failedFetch(err, "the profile request failed: ")
		}
		d := "the bank's OFX server answers a profile request"
		if pr != nil && pr.FIName != "" {
			d += " (" + pr.FIName + ")"
		}
		return Probe{Status: ProbeOK, Detail: d}
	})
	r.set(prof)
	r.set(timed("signon", func() Probe {
		if !r.signOn {
			return Probe{Status: ProbeSkipped, Detail: r.noSignOn}
		}
		cr, err := r.creds(ctx)
		if err != nil {
			return Probe{Status: ProbeSkipped, Detail: "the password cannot be opened: " + err.Error()}
		}
		accts, _, err := r.client.Accounts(ctx, in, cr)
		if err != nil {
			return failedFetch(err, "the sign-on failed: ")
		}
		return Probe{Status: ProbeOK, Detail: fmt.Sprintf("signed on; the bank lists %d %s", len(accts),
			map[bool]string{true: "account", false: "accounts"}[len(accts) == 1])}
	}))
}

func failedFetch(err error, prefix string) Probe {
	class := ofxdirect.ClassOf(err)
	p := Probe{Status: ProbeFailed, Class: string(class), Detail: prefix + err.Error()}
	var fe *ofxdirect.FetchError
	if errors.As(err, &fe) {
		p.Message = fe.Message
	}
	return p
}

// internet checks general connectivity against a second host the user
// configured.
func (r *probeRun) internet(ctx context.Context) Probe {
	host := r.opts.CheckHost
	if host == "" {
		return Probe{Status: ProbeSkipped, Detail: "no second host configured (BANKFEED_CHECK_HOST, host:port)"}
	}
	d := net.Dialer{Timeout: r.opts.stepTimeout()}
	c, err := d.DialContext(ctx, "tcp", host)
	if err != nil {
		return Probe{Status: ProbeFailed, Class: string(bankfeed.FailOffline), Detail: "the second host " + host + " does not answer either: " + err.Error()}
	}
	c.Close()
	return Probe{Status: ProbeOK, Detail: "connected to " + host}
}

// proxy says whether requests to the bank go through a proxy.
func (r *probeRun) proxy() Probe {
	if r.targetErr != nil {
		return Probe{Status: ProbeSkipped, Detail: "the OFX URL cannot be read"}
	}
	req := &http.Request{URL: r.target}
	pu, err := http.ProxyFromEnvironment(req)
	switch {
	case err != nil:
		return Probe{Status: ProbeFailed, Class: string(bankfeed.FailUnreachable), Detail: "the proxy setting cannot be read: " + err.Error()}
	case pu == nil:
		return Probe{Status: ProbeOK, Detail: "no proxy: requests go straight to the bank"}
	}
	return Probe{Status: ProbeOK, Detail: "requests to the bank go through the proxy " + pu.Redacted()}
}

func (r *probeRun) httpClient() *http.Client {
	return &http.Client{
		Timeout: r.opts.stepTimeout(),
		Transport: &http.Transport{Proxy: http.ProxyFromEnvironment, TLSClientConfig: r.tls,
			TLSHandshakeTimeout: r.opts.stepTimeout(), DisableKeepAlives: true},
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) >= 5 {
				return http.ErrUseLastResponse
			}
			return nil
		},
	}
}
