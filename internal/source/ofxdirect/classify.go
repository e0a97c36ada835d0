package ofxdirect

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/bankfeed/bankfeed"
	"github.com/bankfeed/bankfeed/internal/ofx"
)

// FetchError is a failed exchange with a bank, classified where it was
// seen.
type FetchError struct {
	Class bankfeed.FailureClass
	// HTTPStatus is the status of an answer that failed as HTTP (an error
	// status, or a 200 that is not OFX); 0 when no answer came, and for an
	// OFX STATUS in an answer of 200.
	HTTPStatus int
	// OFX holds the sign-on STATUS first, then each transaction wrapper's
	// non-zero STATUS; nil when no OFX was read.
	OFX []ofx.Status
	// RetryAfter is when the bank said to try again (Retry-After,
	// X-RateLimit-Reset, or a time in its message); zero when it did not.
	RetryAfter time.Time
	// Message is the bank's own text (a STATUS MESSAGE, an HTML page's
	// words), sanitized: no control characters, at most 300 characters.
	Message string
	Err     error
}

// Error says the class, what came back and why, in plain words:
// "bank.maintenance: HTTP 503, retry after 2026-11-24T05:00:00Z: Scheduled
// maintenance ...".
func (e *FetchError) Error() string {
	var b strings.Builder
	b.WriteString(string(e.Class))
	var facts []string
	if e.HTTPStatus != 0 {
		facts = append(facts, "HTTP "+strconv.Itoa(e.HTTPStatus))
	}
	for _, s := range e.OFX {
		if !s.OK() {
			facts = append(facts, "OFX "+strconv.Itoa(s.Code))
		}
	}
	if !e.RetryAfter.IsZero() {
		facts = append(facts, "retry after "+e.RetryAfter.UTC().Format(time.RFC3339))
	}
	if len(facts) > 0 {
		b.WriteString(": " + strings.Join(facts, ", "))
	}
	switch {
	case e.Message != "":
		b.WriteString(": " + e.Message)
	case e.Err != nil:
		b.WriteString(": " + e.Err.Error())
	}
	return b.String()
}

func (e *FetchError) Unwrap() error { return e.Err }

// ClassOf returns the class of the first *FetchError in err's chain, or ""
// when there is none (nil, or a cancelled context).
func ClassOf(err error) bankfeed.FailureClass {
	var fe *FetchError
	if errors.As(err, &fe) {
		return fe.Class
	}
	return ""
}

// redactError masks the password in a *FetchError's message.
func redactError(err error, password string) error {
	var fe *FetchError
	if errors.As(err, &fe) {
		fe.Message = maskSecret(fe.Message, password)
	}
	return err
}

// transportFailure classifies an error of the HTTP client: no answer came.
// A cancelled ctx is returned wrapped and unclassified; a ctx deadline is a
// bank that did not answer in time. tlsErr is the TLS handshake's own error,
// when it failed.
func transportFailure(ctx context.Context, what string, err error, tlsErr error) error {
	if ctx.Err() == context.Canceled {
		return fmt.Errorf("%s: %w", what, context.Canceled)
	}
	wrap := func(class bankfeed.FailureClass) error {
		return &FetchError{Class: class, Err: fmt.Errorf("%s: %w", what, err)}
	}
	var dnsErr *net.DNSError
	switch {
	case errors.As(err, &dnsErr):
		return wrap(bankfeed.FailDNS)
	case tlsErr != nil || isTLSError(err):
		if tlsErr == nil {
			tlsErr = err
		}
		return wrap(tlsClass(tlsErr))
	case errors.Is(err, syscall.ENETUNREACH):
		return wrap(bankfeed.FailOffline)
	}
	return wrap(bankfeed.FailUnreachable)
}

// isTLSError reports a certificate or protocol error outside a traced
// handshake.
func isTLSError(err error) bool {
	var (
		cv  *tls.CertificateVerificationError
		rh  tls.RecordHeaderError
		al  tls.AlertError
		inv x509.CertificateInvalidError
		hn  x509.HostnameError
		ua  x509.UnknownAuthorityError
	)
	return errors.As(err, &cv) || errors.As(err, &rh) || errors.As(err, &al) ||
		errors.As(err, &inv) || errors.As(err, &hn) || errors.As(err, &ua)
}

// tlsClass classifies a failed TLS handshake: a certificate that cannot be
// trusted, a connection that broke or timed out (as any other), or else
// no common ground (protocol version, cipher, an alert, an insecure
// signature algorithm, a server that does not speak TLS).
func tlsClass(err error) bankfeed.FailureClass {
	var (
		insecure x509.InsecureAlgorithmError
		cv       *tls.CertificateVerificationError
		inv      x509.CertificateInvalidError
		hn       x509.HostnameError
		ua       x509.UnknownAuthorityError
		sr       x509.SystemRootsError
		ne       net.Error
	)
	switch {
	case errors.As(err, &insecure):
		return bankfeed.FailTLSIncompatible
	case errors.As(err, &cv), errors.As(err, &inv), errors.As(err, &hn), errors.As(err, &ua), errors.As(err, &sr):
		return bankfeed.FailTLSUntrusted
	case errors.As(err, &ne) && ne.Timeout(),
		errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.EPIPE):
		// Broken, not refused by TLS: may pass next time.
		return bankfeed.FailUnreachable
	}
	return bankfeed.FailTLSIncompatible
}

// answer classifies an HTTP answer and reads its OFX. The statuses inside
// are left to checkStatuses.
func (c *Client) answer(ctx context.Context, what string, resp *http.Response, body []byte, readErr error,
	ex *Exchange) (*ofx.Response, error) {
	now := c.now()
	status := resp.StatusCode
	fe := &FetchError{HTTPStatus: status}
	failf := func(class bankfeed.FailureClass, format string, args ...any) error {
		fe.Class = class
		if fe.Err == nil {
			fe.Err = fmt.Errorf("%s: "+format, append([]any{what}, args...)...)
		}
		return fe
	}
	if readErr != nil {
		if ctx.Err() == context.Canceled {
			return nil, fmt.Errorf("%s: %w", what, context.Canceled)
		}
		fe.Err = fmt.Errorf("%s: read the answer: %w", what, readErr)
		var ne net.Error
		if errors.As(readErr, &ne) && ne.Timeout() || errors.Is(readErr, context.DeadlineExceeded) {
			return nil, failf(bankfeed.FailUnreachable, "")
		}
		if status/100 == 2 {
			return nil, failf(bankfeed.FailDataIncomplete, "")
		}
	}
	if int64(len(body)) > c.maxBody() {
		fe.Err = fmt.Errorf("%s: %w (%d bytes)", what, errTooLarge, c.maxBody())
		return nil, failf(bankfeed.FailDataIncomplete, "")
	}

	ctype := resp.Header.Get("Content-Type")
	html := looksHTML(ctype, body)
	var r *ofx.Response
	var perr error
	if len(body) > 0 && !html {
		r, perr = ofx.Read(bytes.NewReader(body))
	}

	if status/100 != 2 {
		// Some banks answer an OFX error with an HTTP error: the OFX says more.
		if r != nil {
			if ofe := checkStatuses(r, "", "", now); ofe != nil {
				ofe.HTTPStatus = status
				return nil, ofe
			}
		}
		return nil, c.httpFailure(fe, resp, body, html, now, what)
	}
	switch {
	case len(body) == 0:
		return nil, failf(bankfeed.FailServerError, "the bank answered HTTP %d with an empty body", status)
	case html:
		text := pageText(body)
		fe.Message = text
		switch {
		case blockedPage(text):
			return nil, failf(bankfeed.FailBlockedClient, "a firewall page came back instead of OFX")
		case maintenanceText(text):
			fe.RetryAfter = retryFromText(text, now)
			return nil, failf(bankfeed.FailMaintenance, "a maintenance page came back instead of OFX")
		}
		return nil, failf(bankfeed.FailServerError, "a web page came back instead of OFX")
	case perr != nil:
		fe.Err = fmt.Errorf("%s: read OFX: %w", what, perr)
		var se *ofx.SyntaxError
		if errors.As(perr, &se) && strings.Contains(se.Msg, "cut short") && !crashed(body) {
			return nil, failf(bankfeed.FailDataIncomplete, "")
		}
		if crashed(body) {
			ex.note("the answer holds what looks like a server's stack trace")
		} else if text := sanitize(string(body[:min(len(body), 4096)])); !bytes.Contains(bytes.ToUpper(body), []byte("<OFX")) {
			// Plain words, not OFX at all: keep them, and heed a maintenance notice.
			fe.Message = text
			if maintenanceText(text) {
				fe.RetryAfter = retryFromText(text, now)
				return nil, failf(bankfeed.FailMaintenance, "")
			}
		}
		return nil, failf(bankfeed.FailServerError, "")
	}
	if mt := mediaType(ctype); mt != "application/x-ofx" && mt != "application/ofx" {
		ex.note("Content-Type %q is not application/x-ofx; the body was read as OFX anyway", ctype)
	}
	return r, nil
}

// httpFailure classifies an HTTP error status.
func (c *Client) httpFailure(fe *FetchError, resp *http.Response, body []byte, html bool, now time.Time, what string) error {
	status := resp.StatusCode
	if html {
		fe.Message = pageText(body)
	} else {
		fe.Message = sanitize(string(body[:min(len(body), 4096)]))
	}
	class := bankfeed.FailServerError
	why := "the bank answered with an HTTP error"
	switch {
	case status == http.StatusServiceUnavailable || status == http.StatusBadGateway || status == http.StatusGatewayTimeout:
		class, why = bankfeed.FailMaintenance, "the bank's server is unavailable"
		fe.RetryAfter = retryAfterHeader(resp.Header.Get("Retry-After"), now)
		if fe.RetryAfter.IsZero() {
			fe.RetryAfter = retryFromText(fe.Message, now)
		}
	case status == http.StatusTooManyRequests:
		class, why = bankfeed.FailRateLimited, "the bank limits how often it may be asked"
		fe.RetryAfter = retryAfterHeader(resp.Header.Get("Retry-After"), now)
		if fe.RetryAfter.IsZero() {
			fe.RetryAfter = rateLimitReset(resp.Header.Get("X-RateLimit-Reset"), now)
		}
		if fe.RetryAfter.IsZero() {
			fe.RetryAfter = retryFromText(fe.Message, now)
		}
	case status == http.StatusUnauthorized:
		class, why = bankfeed.FailInvalidCredentials, "the bank refused the sign-on"
	case status == http.StatusForbidden:
		class, why = bankfeed.FailBlockedClient, "the bank refused this client"
		if html && blockedPage(fe.Message) {
			why = "a firewall page refused this client"
		}
	case status == http.StatusBadRequest && html && blockedPage(fe.Message):
		class, why = bankfeed.FailBlockedClient, "a firewall page refused this client"
	case status == http.StatusProxyAuthRequired:
		class, why = bankfeed.FailUnreachable, "a proxy between here and the bank wants credentials"
	case status == http.StatusNotFound || status == http.StatusGone || status == http.StatusMethodNotAllowed:
		class, why = bankfeed.FailUnsupported, "the bank has no OFX server at this address"
	case status/100 == 3:
		class = bankfeed.FailUnsupported
		why = "the OFX address redirects elsewhere"
		if loc := resp.Header.Get("Location"); loc != "" {
			why += " (" + sanitize(redactedURL(loc)) + "): update the institution's URL"
		}
	case status/100 == 5 && html && maintenanceText(fe.Message) && status != http.StatusInternalServerError:
		class, why = bankfeed.FailMaintenance, "the bank's server is unavailable"
	}
	fe.Class = class
	fe.Err = fmt.Errorf("%s: %s (HTTP %d)", what, why, status)
	return fe
}

// checkStatuses fails a response whose sign-on, or whose transaction
// wrapper named by wrapper and trnuid, has a non-zero STATUS; wrapper ""
// means any. A wrapper's warning (severity INFO or WARN) beside the
// statement it wraps is no failure.
func checkStatuses(r *ofx.Response, wrapper, trnuid string, now time.Time) *FetchError {
	all := statuses(r)
	if s := r.Signon.Status; !s.OK() {
		return ofxFailure(s, all, now)
	}
	for _, ts := range r.TxStatuses {
		if wrapper != "" && !strings.EqualFold(ts.Wrapper, wrapper) || ts.Status.OK() {
			continue
		}
		if ts.TRNUID != "" && trnuid != "" && ts.TRNUID != trnuid {
			continue
		}
		sev := strings.ToUpper(ts.Status.Severity)
		if (sev == "INFO" || sev == "WARN") && wrapsStatement(r, ts.TRNUID) {
			continue
		}
		return ofxFailure(ts.Status, all, now)
	}
	return nil
}

func wrapsStatement(r *ofx.Response, trnuid string) bool {
	for _, st := range r.Statements {
		if st.TRNUID == trnuid {
			return true
		}
	}
	return false
}

// statuses lists the sign-on STATUS, then each non-zero wrapper STATUS.
func statuses(r *ofx.Response) []ofx.Status {
	var out []ofx.Status
	if r.Signon.Status.Set {
		out = append(out, r.Signon.Status)
	}
	for _, ts := range r.TxStatuses {
		if !ts.Status.OK() {
			out = append(out, ts.Status)
		}
	}
	return out
}

// ofxFailure classifies a non-zero OFX STATUS.
func ofxFailure(s ofx.Status, all []ofx.Status, now time.Time) *FetchError {
	msg := sanitize(s.Message)
	class, why := ofxClass(s.Code, msg)
	fe := &FetchError{Class: class, OFX: all, Message: msg,
		Err: fmt.Errorf("OFX STATUS %d: %s", s.Code, why)}
	if class == bankfeed.FailRateLimited || class == bankfeed.FailMaintenance {
		fe.RetryAfter = retryFromText(msg, now)
	}
	return fe
}

// ofxClass maps an OFX STATUS code (and for 2000, its message) to a class.
func ofxClass(code int, msg string) (bankfeed.FailureClass, string) {
	switch code {
	case 15500:
		return bankfeed.FailInvalidCredentials, "user ID or password rejected"
	case 15508:
		return bankfeed.FailInvalidCredentials, "not authorized for this user ID"
	case 15502:
		return bankfeed.FailLocked, "the login is locked"
	case 3000, 3001:
		return bankfeed.FailMFARequired, "multi-factor authentication required"
	case 15511:
		return bankfeed.FailMFARequired, "multi-factor authentication failed; contact the bank"
	case 15000:
		return bankfeed.FailActionRequired, "the password must be changed"
	case 15510:
		return bankfeed.FailActionRequired, "this application (CLIENTUID) must be approved at the bank"
	case 15512, 15513:
		return bankfeed.FailActionRequired, "an access token from the bank is needed"
	case 15501:
		return bankfeed.FailRateLimited, "the account is in use or asked too often"
	case 2003:
		return bankfeed.FailAccountNotFound, "account not found"
	case 2004:
		return bankfeed.FailAccountNotFound, "account closed"
	case 2005:
		return bankfeed.FailAccountNotFound, "account not authorized"
	case 2019:
		return bankfeed.FailInternal, "duplicate request (TRNUID reused)"
	case 2021, 2025, 2027, 13504, 15503, 15504, 15505, 15506, 15507:
		return bankfeed.FailUnsupported, "the request cannot work as set up"
	case 2000:
		return generalErrorClass(msg)
	}
	if code >= 15500 && code < 15600 {
		// Unknown sign-on codes: never retried with the same secret.
		return bankfeed.FailInvalidCredentials, "sign-on refused"
	}
	return bankfeed.FailServerError, "error"
}

// generalErrorClass reads a STATUS 2000's message, where banks put the
// real reason. "Try again later" alone says nothing: every error says it.
func generalErrorClass(msg string) (bankfeed.FailureClass, string) {
	m := strings.ToLower(msg)
	switch {
	case maintenanceText(m):
		return bankfeed.FailMaintenance, "the bank's system is unavailable"
	case containsAny(m, "no longer supported", "not supported", "upgrade", "unsupported"):
		return bankfeed.FailBlockedClient, "the bank no longer accepts this software"
	case containsAny(m, "unknown financial institution", "invalid fid", "invalid org"):
		return bankfeed.FailUnsupported, "the institution's ORG or FID is wrong"
	case containsAny(m, "accept", "terms", "log in", "login", "log on", "sign in", "verify", "website",
		"web site", "access code", "visit"):
		return bankfeed.FailActionRequired, "the bank asks for something on its website"
	}
	return bankfeed.FailServerError, "general error"
}

func maintenanceText(s string) bool {
	return containsAny(strings.ToLower(s), "maintenance", "unavailable", "temporarily down", "down for",
		"outage", "not available at this time", "service is down")
}

// blockedPage reports a firewall's or a bot filter's words.
func blockedPage(s string) bool {
	return containsAny(strings.ToLower(s), "access denied", "firewall", "incapsula", "cloudflare",
		"request unsuccessful", "request rejected", "requested url was rejected", "attention required",
		"akamai", "not permitted", "blocked")
}

// crashed reports a server's stack trace in a body.
func crashed(body []byte) bool {
	s := string(body)
	return containsAny(s, "Exception:", "Exception in thread", "Traceback (most recent call last)",
		"\tat ", "stack trace", "Stack trace")
}

func containsAny(s string, words ...string) bool {
	for _, w := range words {
		if strings.Contains(s, w) {
			return true
		}
	}
	return false
}

// mediaType returns a Content-Type's media type, lower case.
func mediaType(ct string) string {
	mt, _, _ := strings.Cut(ct, ";")
	return strings.ToLower(strings.TrimSpace(mt))
}
