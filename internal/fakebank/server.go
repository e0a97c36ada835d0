// Package fakebank is a bank simulator that speaks real OFX: institutions,
// users and accounts from a scenario, statements from a seeded generator,
// a web portal per institution, and faults switched on by schedule or at run
// time. Tests start it on 127.0.0.1; `bankfeed fakebank` runs it standalone.
package fakebank

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// Options configure a Server. The zero value listens on 127.0.0.1 with free
// ports, the real clock and a CA made in memory.
type Options struct {
	// Host is the address every listener binds; 127.0.0.1 when empty.
	Host string
	// AdminPort is the admin API's port; a free one when zero.
	AdminPort int
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// Logger logs each request; nothing is logged when nil.
	Logger *slog.Logger
	// TLSDir keeps the CA (ca.pem, ca.key): read when there, else made and
	// written. Empty keeps it in memory.
	TLSDir string
	// MaxHang bounds the hang fault; 10 minutes when zero.
	MaxHang time.Duration
	// MaxRequests is how many request records are kept; 100000 when zero.
	MaxRequests int
}

// Server is a running fakebank.
type Server struct {
	sc    *Scenario
	book  *Book
	opts  Options
	now   func() time.Time
	log   *slog.Logger
	certs *certs

	closing  chan struct{}
	closeErr error
	once     sync.Once
	wg       sync.WaitGroup

	admin *listener
	insts map[string]*instServer
	order []*instServer

	mu       sync.Mutex
	faults   []*fault
	faultSeq int
	rng      uint64
	users    map[userKey]*userState
	sessions map[string]userKey
	reqs     requestLog
}

// instServer is one institution's listener.
type instServer struct {
	in *Institution
	ln *listener
}

type userKey struct{ inst, user string }

// userState is what the bank remembers of a user between requests.
type userState struct {
	badSignons int
	locked     bool
	password   string          // set when changed in the portal
	clientUIDs map[string]bool // approved in the portal
	pending    []string        // CLIENTUIDs seen and not yet approved
}

// Start serves the scenario: one listener per institution (OFX at /ofx and
// the portal at /, HTTP and HTTPS on the same port) and one for the admin
// API. The scenario must be validated (LoadScenario and ParseScenario do it).
func Start(sc *Scenario, opts Options) (*Server, error) {
	s, err := newServer(sc, opts)
	if err != nil {
		return nil, err
	}
	fail := func(err error) (*Server, error) {
		s.Close()
		return nil, err
	}
	// Every listener opens, and the maps are filled, before any serves.
	for _, in := range sc.Institutions {
		is := &instServer{in: in}
		conf := &tls.Config{
			MinVersion:     tls.VersionTLS12,
			GetCertificate: func(h *tls.ClientHelloInfo) (*tls.Certificate, error) { return s.certFor(in, h) },
			// A resumed session skips GetCertificate, and so the TLS faults.
			SessionTicketsDisabled: true,
		}
		is.ln, err = s.listen(in.Port, conf, s.institutionHandler(is))
		if err != nil {
			return fail(fmt.Errorf("fakebank: %s: %w", in.ID, err))
		}
		s.insts[in.ID] = is
		s.order = append(s.order, is)
	}
	adminConf := &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{s.certs.good}}
	if s.admin, err = s.listen(s.opts.AdminPort, adminConf, s.adminHandler()); err != nil {
		return fail(fmt.Errorf("fakebank: admin: %w", err))
	}
	for _, l := range append(s.listeners(), s.admin) {
		s.serve(l)
	}
	return s, nil
}

// newServer makes a server that does not listen yet.
func newServer(sc *Scenario, opts Options) (*Server, error) {
	if opts.Host == "" {
		opts.Host = "127.0.0.1"
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.MaxHang == 0 {
		opts.MaxHang = 10 * time.Minute
	}
	if opts.MaxRequests == 0 {
		opts.MaxRequests = 100000
	}
	s := &Server{
		sc: sc, book: NewBook(sc), opts: opts, now: opts.Now, log: opts.Logger,
		closing:  make(chan struct{}),
		insts:    map[string]*instServer{},
		rng:      sc.Seed ^ 0x9e3779b97f4a7c15,
		users:    map[userKey]*userState{},
		sessions: map[string]userKey{},
	}
	s.reqs.max = opts.MaxRequests
	// The leaf is valid for the loopback names, and for the host when it
	// is another.
	hosts := []string{"127.0.0.1", "::1", "localhost"}
	if ip := net.ParseIP(opts.Host); opts.Host != "localhost" && (ip == nil || !ip.IsLoopback() && !ip.IsUnspecified()) {
		hosts = append(hosts, opts.Host)
	}
	var err error
	// Clients check certificates against the real clock, not the simulated one.
	if s.certs, err = loadCerts(opts.TLSDir, hosts, time.Now()); err != nil {
		return nil, fmt.Errorf("fakebank: certificates: %w", err)
	}
	for _, in := range sc.Institutions {
		for _, fs := range in.Faults {
			if _, err := s.addFault(fs); err != nil {
				return nil, fmt.Errorf("fakebank: %s: %w", in.ID, err)
			}
		}
	}
	return s, nil
}

// listen opens a listener on the host and port that will answer HTTP and
// HTTPS with h once served.
func (s *Server) listen(port int, conf *tls.Config, h http.Handler) (*listener, error) {
	inner, err := net.Listen("tcp", net.JoinHostPort(s.opts.Host, strconv.Itoa(port)))
	if err != nil {
		return nil, err
	}
	l := &listener{inner: inner, conf: conf, conns: make(chan net.Conn), done: make(chan struct{}),
		pending: map[net.Conn]struct{}{}, wg: &s.wg}
	l.srv = &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 30 * time.Second,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
		BaseContext:       func(net.Listener) context.Context { return context.Background() },
	}
	return l, nil
}

// serve starts accepting on a listener.
func (s *Server) serve(l *listener) {
	s.wg.Add(2)
	go func() { defer s.wg.Done(); l.run() }()
	go func() { defer s.wg.Done(); _ = l.srv.Serve(l) }()
}

// Close stops every listener and ends hanging requests.
func (s *Server) Close() error {
	s.once.Do(func() {
		close(s.closing)
		// Requests in flight end at once (closing); what Shutdown may wait
		// for is a connection a client opened and never used (Go's client
		// dials a spare), which is closed after a short grace.
		ctx, cancel := context.WithTimeout(context.Background(), 250*time.Millisecond)
		defer cancel()
		var errs []error
		for _, l := range append(s.listeners(), s.admin) {
			if l == nil {
				continue
			}
			_ = l.Close()
			if err := l.srv.Shutdown(ctx); err != nil {
				if !errors.Is(err, context.DeadlineExceeded) {
					errs = append(errs, err)
				}
				_ = l.srv.Close()
			}
		}
		s.wg.Wait()
		s.closeErr = errors.Join(errs...)
	})
	return s.closeErr
}

func (s *Server) listeners() []*listener {
	var ls []*listener
	for _, is := range s.order {
		ls = append(ls, is.ln)
	}
	return ls
}

// Scenario returns the scenario served.
func (s *Server) Scenario() *Scenario { return s.sc }

// Book returns the generated history served.
func (s *Server) Book() *Book { return s.book }

// CACertPEM returns the CA certificate clients must trust, in PEM.
func (s *Server) CACertPEM() []byte { return s.certs.caPEM }

// CertPool returns a pool holding the CA, for Go clients.
func (s *Server) CertPool() *x509.CertPool { return s.certs.pool }

// AdminURL returns the admin API's base URL (http://host:port).
func (s *Server) AdminURL() string {
	if s.admin == nil {
		return ""
	}
	return "http://" + urlHost(s.admin.inner.Addr())
}

// Addr returns an institution's host:port, or "" when there is no such
// institution.
func (s *Server) Addr(id string) string {
	is := s.insts[id]
	if is == nil || is.ln == nil {
		return ""
	}
	return urlHost(is.ln.inner.Addr())
}

// urlHost is the host:port clients use for a listener: a loopback address
// when it listens on every address.
func urlHost(a net.Addr) string {
	tcp, ok := a.(*net.TCPAddr)
	if !ok || !tcp.IP.IsUnspecified() {
		return a.String()
	}
	if tcp.IP.To4() == nil {
		return net.JoinHostPort("::1", strconv.Itoa(tcp.Port))
	}
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(tcp.Port))
}

// OFXURL returns the institution's OFX URL over HTTPS.
func (s *Server) OFXURL(id string) string { return "https://" + s.Addr(id) + "/ofx" }

// PortalURL returns the institution's web portal over HTTPS.
func (s *Server) PortalURL(id string) string { return "https://" + s.Addr(id) + "/" }

// certFor picks the certificate for a handshake: the good one, or the one a
// TLS fault serves.
func (s *Server) certFor(in *Institution, h *tls.ClientHelloInfo) (*tls.Certificate, error) {
	now := s.now()
	f := s.pick(layerTLS, target{institution: in.ID}, now, nil)
	if f == nil {
		return &s.certs.good, nil
	}
	remote := ""
	if h.Conn != nil {
		remote = h.Conn.RemoteAddr().String()
	}
	s.record(&Record{Time: now, Institution: in.ID, Channel: ChannelTLS, Remote: remote, Fault: f.spec.Kind, FaultID: f.spec.ID})
	switch f.spec.Kind {
	case FaultTLSExpired:
		return &s.certs.expired, nil
	case FaultTLSWrongHost:
		return &s.certs.wrongHost, nil
	default:
		return &s.certs.untrusted, nil
	}
}

// listener hands each accepted connection to its http.Server as TLS or
// plain HTTP, by its first byte: 0x16 opens a TLS handshake.
type listener struct {
	inner net.Listener
	conf  *tls.Config
	srv   *http.Server
	conns chan net.Conn
	done  chan struct{}
	once  sync.Once
	wg    *sync.WaitGroup

	mu      sync.Mutex
	pending map[net.Conn]struct{} // accepted, first byte not seen yet
}

func (l *listener) run() {
	for {
		c, err := l.inner.Accept()
		if err != nil {
			return
		}
		l.mu.Lock()
		select {
		case <-l.done:
			l.mu.Unlock()
			_ = c.Close()
			return
		default:
		}
		l.pending[c] = struct{}{}
		l.wg.Add(1)
		l.mu.Unlock()
		go l.classify(c)
	}
}

func (l *listener) classify(c net.Conn) {
	defer l.wg.Done()
	_ = c.SetReadDeadline(time.Now().Add(30 * time.Second))
	br := bufio.NewReader(c)
	first, err := br.Peek(1)
	_ = c.SetReadDeadline(time.Time{})
	l.mu.Lock()
	delete(l.pending, c)
	l.mu.Unlock()
	if err != nil {
		_ = c.Close()
		return
	}
	var conn net.Conn = &peekConn{Conn: c, r: br}
	if first[0] == 0x16 {
		conn = tls.Server(conn, l.conf)
	}
	select {
	case l.conns <- conn:
	case <-l.done:
		_ = c.Close()
	}
}

func (l *listener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

// Close stops accepting and closes the connections that have not said
// anything yet.
func (l *listener) Close() error {
	var err error
	l.once.Do(func() {
		l.mu.Lock()
		close(l.done)
		for c := range l.pending {
			_ = c.Close()
		}
		l.mu.Unlock()
		err = l.inner.Close()
	})
	return err
}

func (l *listener) Addr() net.Addr { return l.inner.Addr() }

// peekConn reads through the buffer that peeked at its first byte.
type peekConn struct {
	net.Conn
	r *bufio.Reader
}

func (c *peekConn) Read(b []byte) (int, error) { return c.r.Read(b) }

// resetConn closes a hijacked connection with a TCP RST.
func resetConn(c net.Conn) {
	if tc, ok := c.(*tls.Conn); ok {
		c = tc.NetConn()
	}
	if pc, ok := c.(*peekConn); ok {
		c = pc.Conn
	}
	if tcp, ok := c.(*net.TCPConn); ok {
		_ = tcp.SetLinger(0)
	}
	_ = c.Close()
}
