package ofxdirect

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/bankfeed/bankfeed"
	"github.com/bankfeed/bankfeed/internal/ofx"
)

func TestOFXClass(t *testing.T) {
	for _, tc := range []struct {
		code int
		msg  string
		want bankfeed.FailureClass
	}{
		{15500, "", bankfeed.FailInvalidCredentials},
		{15508, "", bankfeed.FailInvalidCredentials},
		{15502, "", bankfeed.FailLocked},
		{3000, "", bankfeed.FailMFARequired},
		{3001, "", bankfeed.FailMFARequired},
		{15511, "", bankfeed.FailMFARequired},
		{15000, "", bankfeed.FailActionRequired},
		{15510, "", bankfeed.FailActionRequired},
		{15512, "", bankfeed.FailActionRequired},
		{15513, "", bankfeed.FailActionRequired},
		{15501, "", bankfeed.FailRateLimited},
		{2003, "", bankfeed.FailAccountNotFound},
		{2004, "", bankfeed.FailAccountNotFound},
		{2005, "", bankfeed.FailAccountNotFound},
		{2019, "", bankfeed.FailInternal},
		{2021, "", bankfeed.FailUnsupported},
		{2025, "", bankfeed.FailUnsupported},
		{2027, "", bankfeed.FailUnsupported},
		{13504, "", bankfeed.FailUnsupported},
		{15505, "", bankfeed.FailUnsupported},
		{15506, "", bankfeed.FailUnsupported},
		{15599, "", bankfeed.FailInvalidCredentials}, // unknown sign-on code
		{10500, "", bankfeed.FailServerError},
		{2000, "General error. Please try again later.", bankfeed.FailServerError},
		{2000, "", bankfeed.FailServerError},
		{2000, "System unavailable for scheduled maintenance. Please try again later.", bankfeed.FailMaintenance},
		{2000, "Service temporarily unavailable", bankfeed.FailMaintenance},
		{2000, "This software version is no longer supported. Please upgrade to a current version.", bankfeed.FailBlockedClient},
		{2000, "Direct Connect is not supported for this application", bankfeed.FailBlockedClient},
		{2000, "Please log in to our website at https://bank/ and accept the updated Terms and Conditions.", bankfeed.FailActionRequired},
		{2000, "To continue, you'll need an Access Code. Sign in at capitalone.com.", bankfeed.FailActionRequired},
		{2000, "Please verify your identity", bankfeed.FailActionRequired},
		{2000, `Unknown financial institution ORG "X" FID "1".`, bankfeed.FailUnsupported},
	} {
		if got, _ := ofxClass(tc.code, tc.msg); got != tc.want {
			t.Errorf("%d %q: %s, want %s", tc.code, tc.msg, got, tc.want)
		}
	}
}

func TestCheckStatuses(t *testing.T) {
	ok := ofx.Status{Set: true}
	r := &ofx.Response{Signon: ofx.Signon{Status: ok}, TxStatuses: []ofx.TxStatus{
		{Wrapper: "STMTTRNRS", TRNUID: "a", Status: ofx.Status{Set: true, Code: 2004, Severity: "ERROR", Message: "Closed\x00\x1b[31m account"}},
		{Wrapper: "STMTTRNRS", TRNUID: "b", Status: ok},
	}}
	if fe := checkStatuses(r, "STMTTRNRS", "b", testNow); fe != nil {
		t.Errorf("another TRNUID's status failed: %v", fe)
	}
	fe := checkStatuses(r, "STMTTRNRS", "a", testNow)
	if fe == nil || fe.Class != bankfeed.FailAccountNotFound || len(fe.OFX) != 2 || fe.OFX[1].Code != 2004 || fe.Message != "Closed [31m account" {
		t.Fatalf("%#v", fe)
	}
	r.Signon.Status = ofx.Status{Set: true, Code: 15501, Message: "Try again in 90 minutes"}
	fe = checkStatuses(r, "STMTTRNRS", "b", testNow)
	if fe == nil || fe.Class != bankfeed.FailRateLimited || !fe.RetryAfter.Equal(testNow.Add(90*time.Minute)) || fe.OFX[0].Code != 15501 {
		t.Fatalf("%#v", fe)
	}
}

func TestFetchErrorText(t *testing.T) {
	fe := &FetchError{Class: bankfeed.FailMaintenance, HTTPStatus: 503, RetryAfter: time.Date(2026, 11, 24, 5, 0, 0, 0, time.UTC),
		Message: "Scheduled maintenance", Err: io.EOF}
	if got, want := fe.Error(), "bank.maintenance: HTTP 503, retry after 2026-11-24T05:00:00Z: Scheduled maintenance"; got != want {
		t.Errorf("%q, want %q", got, want)
	}
	if !errors.Is(fe, io.EOF) || ClassOf(fmt.Errorf("sync: %w", fe)) != bankfeed.FailMaintenance || ClassOf(io.EOF) != "" {
		t.Error("unwrap")
	}
	fe = &FetchError{Class: bankfeed.FailLocked, OFX: []ofx.Status{{Set: true, Code: 15502}}, Err: errors.New("locked")}
	if got, want := fe.Error(), "auth.locked: OFX 15502: locked"; got != want {
		t.Errorf("%q, want %q", got, want)
	}
}

func TestTransportFailure(t *testing.T) {
	urlErr := func(err error) error { return &url.Error{Op: "Post", URL: "https://bank/ofx", Err: err} }
	dial := func(errno syscall.Errno) error {
		return urlErr(&net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", errno)})
	}
	for _, tc := range []struct {
		name   string
		err    error
		tlsErr error
		want   bankfeed.FailureClass
	}{
		{"dns", urlErr(&net.OpError{Op: "dial", Err: &net.DNSError{Err: "no such host", Name: "bank", IsNotFound: true}}), nil, bankfeed.FailDNS},
		{"refused", dial(syscall.ECONNREFUSED), nil, bankfeed.FailUnreachable},
		{"reset", dial(syscall.ECONNRESET), nil, bankfeed.FailUnreachable},
		{"host unreachable", dial(syscall.EHOSTUNREACH), nil, bankfeed.FailUnreachable},
		{"no network", dial(syscall.ENETUNREACH), nil, bankfeed.FailOffline},
		{"eof", urlErr(io.EOF), nil, bankfeed.FailUnreachable},
		{"expired", urlErr(&tls.CertificateVerificationError{Err: x509.CertificateInvalidError{Reason: x509.Expired}}), nil, bankfeed.FailTLSUntrusted},
		{"unknown issuer", urlErr(x509.UnknownAuthorityError{}), nil, bankfeed.FailTLSUntrusted},
		{"wrong host", urlErr(x509.HostnameError{Host: "bank"}), nil, bankfeed.FailTLSUntrusted},
		{"sha1", urlErr(errors.New("x")), x509.InsecureAlgorithmError(x509.SHA1WithRSA), bankfeed.FailTLSIncompatible},
		{"alert", urlErr(tls.AlertError(70)), nil, bankfeed.FailTLSIncompatible},
		{"not TLS", urlErr(tls.RecordHeaderError{Msg: "first record does not look like a TLS handshake"}), nil, bankfeed.FailTLSIncompatible},
		{"protocol version", urlErr(errors.New("x")), errors.New("tls: server selected unsupported protocol version 302"), bankfeed.FailTLSIncompatible},
		{"handshake cut", urlErr(io.EOF), io.EOF, bankfeed.FailUnreachable},
		{"handshake timeout", urlErr(errors.New("x")), &net.OpError{Op: "read", Err: os.ErrDeadlineExceeded}, bankfeed.FailUnreachable},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := transportFailure(context.Background(), "fetch", tc.err, tc.tlsErr)
			if got := ClassOf(err); got != tc.want {
				t.Errorf("%s, want %s: %v", got, tc.want, err)
			}
			if !errors.Is(err, tc.err) {
				t.Errorf("%v does not wrap %v", err, tc.err)
			}
		})
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := transportFailure(ctx, "fetch", urlErr(context.Canceled), nil)
	if !errors.Is(err, context.Canceled) || ClassOf(err) != "" {
		t.Errorf("cancelled: %v", err)
	}
}

// TestTLSIncompatible: a server that speaks only TLS 1.1 shares no protocol
// with the client; one that speaks plain HTTP no TLS at all.
func TestTLSIncompatible(t *testing.T) {
	old := httptest.NewUnstartedServer(http.NotFoundHandler())
	old.TLS = &tls.Config{MinVersion: tls.VersionTLS10, MaxVersion: tls.VersionTLS11}
	old.Config.ErrorLog = log.New(io.Discard, "", 0)
	old.StartTLS()
	defer old.Close()
	plain := httptest.NewServer(http.NotFoundHandler())
	defer plain.Close()
	for _, u := range []string{old.URL, strings.Replace(plain.URL, "http:", "https:", 1)} {
		c := &Client{HTTP: NewHTTPClient(&tls.Config{InsecureSkipVerify: true})}
		_, ex, err := c.Profile(t.Context(), Institution{URL: u + "/ofx", Org: "X", FID: "1"})
		if ClassOf(err) != bankfeed.FailTLSIncompatible || ex == nil || ex.Error == "" {
			t.Errorf("%s: %v", u, err)
		}
	}
}

func TestRetryAfterHeader(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want time.Time
	}{
		{"3600", testNow.Add(time.Hour)},
		{" 120 ", testNow.Add(2 * time.Minute)},
		{"Tue, 24 Nov 2026 18:00:00 GMT", time.Date(2026, 11, 24, 18, 0, 0, 0, time.UTC)},
		{"", time.Time{}},
		{"-5", time.Time{}},
		{"soon", time.Time{}},
		{"999999999999", time.Time{}},
	} {
		if got := retryAfterHeader(tc.in, testNow); !got.Equal(tc.want) {
			t.Errorf("%q: %v, want %v", tc.in, got, tc.want)
		}
	}
	if got := rateLimitReset("1795537800", testNow); !got.Equal(time.Unix(1795537800, 0)) {
		t.Errorf("epoch: %v", got)
	}
	if got := rateLimitReset("60", testNow); !got.Equal(testNow.Add(time.Minute)) {
		t.Errorf("delta: %v", got)
	}
	if got := rateLimitReset("x", testNow); !got.IsZero() {
		t.Errorf("junk: %v", got)
	}
}

func TestRetryFromText(t *testing.T) {
	est := time.FixedZone("EST", -5*3600)
	for _, tc := range []struct {
		in   string
		want time.Time
	}{
		{"Too many requests. Please try again after 2026-11-24 11:30 EST.", time.Date(2026, 11, 24, 11, 30, 0, 0, est)},
		{"try again after 2026-11-24T17:00:00Z", time.Date(2026, 11, 24, 17, 0, 0, 0, time.UTC)},
		{"back at 2026-11-24 19:00:00 +01:00", time.Date(2026, 11, 24, 18, 0, 0, 0, time.UTC)},
		{"retry after 11/24/2026 1:15 PM EST", time.Date(2026, 11, 24, 13, 15, 0, 0, est)},
		{"Limit reached. Try again in 85092 seconds.", testNow.Add(85092 * time.Second)},
		{"try again in 15 minutes", testNow.Add(15 * time.Minute)},
		{"in 2 hours", testNow.Add(2 * time.Hour)},
		{"We expect to be back by Tuesday 11:00 EST.", time.Date(2026, 11, 24, 11, 0, 0, 0, est)},
		{"We expect to be back by Saturday 05:00 EST.", time.Date(2026, 11, 28, 5, 0, 0, 0, est)},
		{"We expect to be back by Tuesday 09:00 EST.", time.Date(2026, 12, 1, 9, 0, 0, 0, est)}, // today's 09:00 is past
		{"try again after 2026-11-24 08:00 EST", time.Time{}},                                   // past
		{"try again after 2026-11-24 11:30 XYZ", time.Time{}},                                   // unknown zone
		{"Please try again later.", time.Time{}},
	} {
		if got := retryFromText(tc.in, testNow); !got.Equal(tc.want) {
			t.Errorf("%q: %v, want %v", tc.in, got, tc.want)
		}
	}
}

func TestRedactUserPass(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"<SONRQ>\r\n<USERID>a\r\n<USERPASS>p&amp;w\r\n<LANGUAGE>ENG", "<SONRQ>\r\n<USERID>a\r\n<USERPASS>[redacted]\r\n<LANGUAGE>ENG"},
		{"<USERID>a</USERID><USERPASS>p&lt;w</USERPASS><X>", "<USERID>a</USERID><USERPASS>[redacted]</USERPASS><X>"},
		{"<userpass>secret\n<USERPASS>again", "<userpass>[redacted]\n<USERPASS>[redacted]"},
		{"<USERPASS>", "<USERPASS>[redacted]"},
		{"no password here", "no password here"},
	} {
		if got := string(redactUserPass([]byte(tc.in))); got != tc.want {
			t.Errorf("%q: %q, want %q", tc.in, got, tc.want)
		}
	}
	if got := maskSecret("a<b>&c a&lt;b&gt;&amp;c", "a<b>&c"); got != "[redacted] [redacted]" {
		t.Errorf("mask: %q", got)
	}
	if got := maskSecret("1234 abc", "abc"); got != "1234 abc" {
		t.Errorf("short secret masked: %q", got)
	}
}

func TestSanitize(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"  Scheduled\r\n\tmaintenance\x00\x07 ", "Scheduled maintenance"},
		{"bad \xff byte", "bad ? byte"},
		{"\uFEFFhello", "hello"},
		{strings.Repeat("x", 400), strings.Repeat("x", maxMessage) + "…"},
	} {
		if got := sanitize(tc.in); got != tc.want {
			t.Errorf("%q: %q, want %q", tc.in, got, tc.want)
		}
	}
	if got := pageText([]byte("<html><head><title>Down</title><script>var a='<p>x</p>';</script></head><body><h1>Back&nbsp;soon</h1></body></html>")); got != "Back soon" {
		t.Errorf("page text %q", got)
	}
	if got := pageText([]byte("<html><head><title>Only a title</title></head></html>")); got != "Only a title" {
		t.Errorf("title %q", got)
	}
}

func FuzzRetryFromText(f *testing.F) {
	for _, s := range []string{"try again after 2026-11-24 11:30 EST", "in 5 minutes", "back by Monday 04:00 PST",
		"11/24/2026 1:15 PM EST", "2026-11-24T17:00:00+05:30", "2026-99-99 99:99"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := retryFromText(s, testNow)
		if !got.IsZero() && (!got.After(testNow) || got.Sub(testNow) > maxRetryAhead*time.Second) {
			t.Errorf("%q: %v", s, got)
		}
	})
}

func FuzzSanitize(f *testing.F) {
	for _, s := range []string{"plain", "a\x00b", "\xff\xfe", strings.Repeat("é ", 200)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := sanitize(s)
		if !utf8.ValidString(got) || utf8.RuneCountInString(got) > maxMessage+1 || strings.TrimSpace(got) != got {
			t.Errorf("%q: %q", s, got)
		}
		for _, r := range got {
			if unicode.IsControl(r) {
				t.Errorf("%q: control character in %q", s, got)
			}
		}
	})
}

func FuzzRedactUserPass(f *testing.F) {
	for _, s := range []string{"<USERPASS>x\r\n", "<USERPASS>x</USERPASS>", "<userpass><USERPASS>", "<USERPASS"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := string(redactUserPass([]byte(s)))
		up := strings.ToUpper(got)
		for i := strings.Index(up, "<USERPASS>"); i >= 0; {
			rest := up[i+len("<USERPASS>"):]
			if !strings.HasPrefix(rest, "[REDACTED]") {
				t.Fatalf("%q: %q", s, got)
			}
			j := strings.Index(rest, "<USERPASS>")
			if j < 0 {
				break
			}
			i += len("<USERPASS>") + j
		}
	})
}
