package ofxdirect

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/bankfeed/bankfeed"
	"github.com/bankfeed/bankfeed/internal/ofx"
)

// ofxAnswer writes an OFX answer to req: a sign-on with signon's STATUS
// and, when it is OK, a checking statement whose wrapper carries stmt (or
// no statement when noStatement).
func ofxAnswer(t *testing.T, w io.Writer, req *ofx.Request, signon, stmt ofx.Status, noStatement bool) {
	t.Helper()
	rw, err := ofx.NewResponseWriter(w, ofx.WriteOptions{})
	if err != nil {
		t.Error(err)
		return
	}
	day := ofx.Date{Time: testNow, Valid: true, HasTime: true}
	if err := rw.Signon(ofx.Signon{Status: signon, DTServer: day, Org: "T", FID: "1"}); err != nil {
		t.Error(err)
	}
	if signon.OK() && !noStatement && len(req.Statements) > 0 {
		sr := req.Statements[0]
		st := &ofx.Statement{Kind: sr.Kind, TRNUID: sr.TRNUID, Status: stmt, Currency: "USD", Account: sr.Account,
			Start: day, End: day, Ledger: ofx.Balance{Set: true, Amount: bankfeed.NewDecimal(100, 0), AsOf: day}}
		txns := []ofx.Transaction{{TrnType: "DEBIT", FITID: "1", Posted: day, Amount: bankfeed.NewDecimal(-5, 0), AmountSet: true, Name: "X"}}
		if stmt.OK() || strings.EqualFold(stmt.Severity, "WARN") {
			err = rw.Statement(st, func(yield func(ofx.Transaction) bool) {
				for _, tx := range txns {
					if !yield(tx) {
						return
					}
				}
			})
		} else {
			err = rw.StatementError(sr.Kind, sr.TRNUID, stmt)
		}
		if err != nil {
			t.Error(err)
		}
	}
	if err := rw.Close(); err != nil {
		t.Error(err)
	}
}

// TestHTTPAnswers covers answers fakebank does not give, from a test
// server on 127.0.0.1 (plain HTTP, allowed to this machine).
func TestHTTPAnswers(t *testing.T) {
	ok := ofx.Status{Set: true, Code: 0, Severity: "INFO"}
	dateRetry := time.Date(2026, time.November, 24, 18, 30, 0, 0, time.UTC)
	page := func(status int, text string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.WriteHeader(status)
			_, _ = io.WriteString(w, "<!DOCTYPE html><html><head><title>t</title><style>p{}</style></head><body><p>"+text+"</p></body></html>")
		}
	}
	answer := func(status int, ctype string, signon, stmt ofx.Status, noStatement bool) func(*testing.T) http.HandlerFunc {
		return func(t *testing.T) http.HandlerFunc {
			return func(w http.ResponseWriter, r *http.Request) {
				req, err := ofx.ReadRequest(r.Body)
				if err != nil {
					t.Error(err)
					return
				}
				var buf bytes.Buffer
				ofxAnswer(t, &buf, req, signon, stmt, noStatement)
				w.Header().Set("Content-Type", ctype)
				w.WriteHeader(status)
				_, _ = w.Write(buf.Bytes())
			}
		}
	}
	fixed := func(h http.HandlerFunc) func(*testing.T) http.HandlerFunc {
		return func(*testing.T) http.HandlerFunc { return h }
	}
	for _, tc := range []struct {
		name    string
		handler func(t *testing.T) http.HandlerFunc
		class   bankfeed.FailureClass // "" for a statement
		retry   time.Time
		check   func(t *testing.T, ex *Exchange, err error)
	}{
		{name: "401", handler: fixed(page(401, "Unauthorized")), class: bankfeed.FailInvalidCredentials},
		{name: "404", handler: fixed(page(404, "Not Found")), class: bankfeed.FailUnsupported},
		{name: "302 not followed", handler: fixed(func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "https://new.example/ofx", http.StatusFound)
		}), class: bankfeed.FailUnsupported, check: func(t *testing.T, ex *Exchange, err error) {
			if !strings.Contains(err.Error(), "new.example") || ex.Status != 302 {
				t.Errorf("error %v, status %d", err, ex.Status)
			}
		}},
		{name: "307 to plain HTTP elsewhere not followed", handler: fixed(func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "http://bank.example/ofx", http.StatusTemporaryRedirect)
		}), class: bankfeed.FailUnsupported},
		{name: "307 followed with the body", handler: func(t *testing.T) http.HandlerFunc {
			next := answer(200, "application/x-ofx", ok, ok, false)(t)
			return func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path == "/ofx" {
					http.Redirect(w, r, "/moved", http.StatusTemporaryRedirect)
					return
				}
				next(w, r)
			}
		}},
		{name: "502 with an HTTP date", handler: fixed(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Retry-After", dateRetry.Format(http.TimeFormat))
			w.WriteHeader(502)
		}), class: bankfeed.FailMaintenance, retry: dateRetry},
		{name: "504 bare", handler: fixed(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(504) }),
			class: bankfeed.FailMaintenance},
		{name: "429 X-RateLimit-Reset", handler: fixed(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("X-RateLimit-Reset", "1795537800")
			w.WriteHeader(429)
		}), class: bankfeed.FailRateLimited, retry: time.Unix(1795537800, 0)},
		{name: "403 plain", handler: fixed(func(w http.ResponseWriter, r *http.Request) { http.Error(w, "Forbidden", http.StatusForbidden) }),
			class: bankfeed.FailBlockedClient},
		{name: "400 Cloudflare", handler: fixed(page(400, "Attention Required! | Cloudflare")), class: bankfeed.FailBlockedClient},
		{name: "400 with OFX 15500", handler: answer(400, "application/x-ofx", ofx.Status{Set: true, Code: 15500, Severity: "ERROR", Message: "Bad password"}, ok, false),
			class: bankfeed.FailInvalidCredentials, check: func(t *testing.T, ex *Exchange, err error) {
				if fe := fetchError(t, err); fe.HTTPStatus != 400 || fe.Message != "Bad password" {
					t.Errorf("error %+v", fe)
				}
			}},
		{name: "200 Incapsula", handler: fixed(page(200, "Request unsuccessful. Incapsula incident ID: 1")), class: bankfeed.FailBlockedClient},
		{name: "200 web page", handler: fixed(page(200, "Welcome to online banking")), class: bankfeed.FailServerError},
		{name: "200 not OFX", handler: fixed(func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "ERROR 42") }),
			class: bankfeed.FailServerError},
		{name: "200 plain maintenance notice", handler: fixed(func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.WriteString(w, "System down for maintenance. Back in 30 minutes.")
		}), class: bankfeed.FailMaintenance, retry: testNow.Add(30 * time.Minute)},
		{name: "200 OFX as text/plain", handler: answer(200, "text/plain", ok, ok, false), check: func(t *testing.T, ex *Exchange, err error) {
			if len(ex.Notes) != 1 || !strings.Contains(ex.Notes[0], "text/plain") {
				t.Errorf("notes %q", ex.Notes)
			}
		}},
		{name: "statement with a warning", handler: answer(200, "application/x-ofx", ok, ofx.Status{Set: true, Code: 2000, Severity: "WARN", Message: "partial"}, false),
			check: func(t *testing.T, ex *Exchange, err error) {
				if !strings.Contains(ex.ResponseBody, "<CODE>2000") {
					t.Errorf("no warning sent:\n%s", ex.ResponseBody)
				}
			}},
		{name: "statement error 2004", handler: answer(200, "application/x-ofx", ok, ofx.Status{Set: true, Code: 2004, Severity: "ERROR"}, false),
			class: bankfeed.FailAccountNotFound},
		{name: "no statement", handler: answer(200, "application/x-ofx", ok, ok, true), class: bankfeed.FailServerError},
		{name: "body cut off", handler: fixed(func(w http.ResponseWriter, r *http.Request) {
			c, buf, err := http.NewResponseController(w).Hijack()
			if err != nil {
				return
			}
			_, _ = buf.WriteString("HTTP/1.1 200 OK\r\nContent-Type: application/x-ofx\r\nContent-Length: 10000\r\n\r\nOFXHEADER:100\r\n")
			_ = buf.Flush()
			_ = c.Close()
		}), class: bankfeed.FailDataIncomplete},
		{name: "long page cut in the transcript", handler: fixed(page(200, strings.Repeat("unavailable ", 10000))),
			class: bankfeed.FailMaintenance, check: func(t *testing.T, ex *Exchange, err error) {
				if !ex.BodyCut || len(ex.ResponseBody) != maxTranscriptBody || ex.ResponseSize <= maxTranscriptBody || len(ex.Notes) == 0 {
					t.Errorf("cut %v, kept %d of %d, notes %q", ex.BodyCut, len(ex.ResponseBody), ex.ResponseSize, ex.Notes)
				}
				if n := len([]rune(fetchError(t, err).Message)); n > maxMessage+1 {
					t.Errorf("message of %d characters", n)
				}
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(tc.handler(t))
			defer srv.Close()
			c := &Client{Now: func() time.Time { return testNow }, HTTP: srv.Client()}
			in := Institution{URL: srv.URL + "/ofx", Org: "T", FID: "1", BankID: "021000021"}
			r, ex, err := c.Statement(t.Context(), in, Credentials{UserID: "bob", Password: pwBob}, bankfeed.KindBank,
				ofx.AccountRef{AcctID: "1", AcctType: "CHECKING"}, testNow.AddDate(0, 0, -7), testNow)
			assertNoPassword(t, ex, err)
			if ex == nil {
				t.Fatal("no exchange")
			}
			switch {
			case tc.class == "" && err != nil:
				t.Fatalf("error %v, want a statement", err)
			case tc.class == "" && len(r.Statements) != 1:
				t.Fatalf("statements %+v", r.Statements)
			case tc.class != "":
				fe := fetchError(t, err)
				if fe.Class != tc.class || !fe.RetryAfter.Equal(tc.retry) {
					t.Fatalf("got %s retry %v, want %s retry %v: %v", fe.Class, fe.RetryAfter, tc.class, tc.retry, err)
				}
			}
			if tc.check != nil {
				tc.check(t, ex, err)
			}
		})
	}
}

// nxdomainResolver answers every DNS question "no such host", in process.
func nxdomainResolver() *net.Resolver {
	return &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, address string) (net.Conn, error) {
		client, server := net.Pipe()
		go serveNXDOMAIN(server)
		return client, nil
	}}
}

// serveNXDOMAIN answers DNS over a stream (two-byte lengths) with NXDOMAIN.
func serveNXDOMAIN(c net.Conn) {
	defer c.Close()
	for {
		var n [2]byte
		if _, err := io.ReadFull(c, n[:]); err != nil {
			return
		}
		q := make([]byte, binary.BigEndian.Uint16(n[:]))
		if _, err := io.ReadFull(c, q); err != nil || len(q) < 12 {
			return
		}
		i := 12
		for i < len(q) && q[i] != 0 {
			i += int(q[i]) + 1
		}
		end := min(i+5, len(q)) // the name's zero byte, QTYPE, QCLASS
		resp := append([]byte(nil), q[:end]...)
		resp[2] = 0x80 | 0x04 | q[2]&0x01 // QR, AA, RD as asked
		resp[3] = 0x80 | 3                // RA, NXDOMAIN
		clear(resp[6:12])                 // no answers, authority or extras
		binary.BigEndian.PutUint16(n[:], uint16(len(resp)))
		if _, err := c.Write(append(n[:], resp...)); err != nil {
			return
		}
	}
}

// TestDNS: a host under .invalid never resolves.
func TestDNS(t *testing.T) {
	d := &net.Dialer{Timeout: 2 * time.Second, Resolver: nxdomainResolver()}
	c := &Client{HTTP: &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DialContext: d.DialContext}}}
	in := Institution{URL: "https://ofx.bankfeed-test.invalid/ofx", Org: "X", FID: "1"}
	_, ex, err := c.Accounts(t.Context(), in, Credentials{UserID: "bob", Password: pwBob})
	assertNoPassword(t, ex, err)
	var dnsErr *net.DNSError
	if ClassOf(err) != bankfeed.FailDNS || !errors.As(err, &dnsErr) || !dnsErr.IsNotFound {
		t.Fatalf("error %v", err)
	}
}
