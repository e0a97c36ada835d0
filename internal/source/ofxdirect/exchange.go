package ofxdirect

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptrace"
	"strings"
	"sync"
	"time"
)

// maxTranscriptBody is how much of an answer an Exchange keeps.
const maxTranscriptBody = 64 << 10

// redacted replaces secrets in a transcript.
const redacted = "[redacted]"

// minMaskLen is the shortest password also masked wherever it appears in a
// transcript or an error, beyond its USERPASS element: a shorter one would
// blot out innocent text.
const minMaskLen = 4

// Exchange is the transcript of one HTTP exchange with a bank, safe to
// store and show: the USERPASS value is replaced by "[redacted]" in the
// request body, and so is the password wherever else it appears (when it is
// at least 4 bytes long), as are cookies. Bodies are text as sent; bytes
// that are not UTF-8 (Windows-1252 OFX) may show as U+FFFD once encoded as
// JSON.
type Exchange struct {
	Method        string      `json:"method"`
	URL           string      `json:"url"`
	RequestHeader http.Header `json:"request_header"`
	RequestBody   string      `json:"request_body"`
	// Status is the HTTP status; 0 when no answer came.
	Status         int         `json:"status,omitempty"`
	ResponseHeader http.Header `json:"response_header,omitempty"`
	// ResponseBody is the first 64 KiB of the answer; BodyCut says when
	// there was more, ResponseSize how much was read in all.
	ResponseBody string `json:"response_body,omitempty"`
	ResponseSize int64  `json:"response_size"`
	BodyCut      bool   `json:"body_cut,omitempty"`
	// Started is when the request was sent, by the client's clock;
	// Duration is how long the exchange took, answer read.
	Started  time.Time     `json:"started"`
	Duration time.Duration `json:"duration"`
	Timings  Timings       `json:"timings"`
	// Error is the transport error, when the exchange did not complete.
	Error string `json:"error,omitempty"`
	// Notes say what was odd but tolerated (a wrong Content-Type, a cut
	// transcript).
	Notes []string `json:"notes,omitempty"`
	// Raw is the whole answer as received, which the importer reads. It is
	// not part of the transcript.
	Raw []byte `json:"-"`
}

// Timings break an exchange down; a phase that did not happen (a reused
// connection, an address with no name to look up) is zero.
type Timings struct {
	DNS       time.Duration `json:"dns,omitempty"`
	Connect   time.Duration `json:"connect,omitempty"`
	TLS       time.Duration `json:"tls,omitempty"`
	FirstByte time.Duration `json:"first_byte,omitempty"` // from sending to the answer's first byte
}

func (x *Exchange) note(format string, args ...any) {
	x.Notes = append(x.Notes, fmt.Sprintf(format, args...))
}

// newExchange starts the transcript of a request whose body is body.
func newExchange(r *http.Request, body []byte, password string, now time.Time) *Exchange {
	return &Exchange{
		Method:        r.Method,
		URL:           r.URL.Redacted(),
		RequestHeader: cleanHeader(r.Header),
		RequestBody:   maskSecret(string(redactUserPass(body)), password),
		Started:       now,
	}
}

// response records the answer: status, headers and the first 64 KiB.
func (x *Exchange) response(resp *http.Response, body []byte, password string) {
	x.Status = resp.StatusCode
	x.ResponseHeader = cleanHeader(resp.Header)
	x.ResponseSize = int64(len(body))
	kept := body
	if len(kept) > maxTranscriptBody {
		kept = kept[:maxTranscriptBody]
		x.BodyCut = true
		x.note("response body cut to its first %d of %d bytes", maxTranscriptBody, len(body))
	}
	x.ResponseBody = maskSecret(string(kept), password)
}

// finish records the duration, the timings and a transport error.
func (x *Exchange) finish(began time.Time, tr *tracer, err error, password string) {
	x.Duration = time.Since(began)
	x.Timings = tr.timings()
	if err != nil {
		x.Error = maskSecret(err.Error(), password)
	}
}

// cleanHeader copies h with cookies and credentials hidden.
func cleanHeader(h http.Header) http.Header {
	out := h.Clone()
	if out == nil {
		out = http.Header{}
	}
	for _, k := range []string{"Authorization", "Proxy-Authorization", "Cookie", "Set-Cookie"} {
		if vs, ok := out[k]; ok {
			for i := range vs {
				vs[i] = redacted
			}
		}
	}
	return out
}

// redactUserPass replaces the value of every USERPASS element of an OFX
// document (SGML or XML, any case) with "[redacted]". A value ends at the
// next tag or line end: the writer escapes "<" and puts each element on a
// line.
func redactUserPass(body []byte) []byte {
	const tag = "<USERPASS>"
	out := make([]byte, 0, len(body))
	rest := body
	for {
		i := indexFold(rest, tag)
		if i < 0 {
			return append(out, rest...)
		}
		out = append(out, rest[:i+len(tag)]...)
		rest = rest[i+len(tag):]
		end := bytes.IndexAny(rest, "<\r\n")
		if end < 0 {
			end = len(rest)
		}
		out = append(out, redacted...)
		rest = rest[end:]
	}
}

// indexFold is bytes.Index ignoring ASCII case.
func indexFold(b []byte, sub string) int {
	n := len(sub)
	for i := 0; i+n <= len(b); i++ {
		if b[i] == '<' && strings.EqualFold(string(b[i:i+n]), sub) {
			return i
		}
	}
	return -1
}

// maskSecret replaces every occurrence of secret in s, as it is and as XML
// escapes it, when it is long enough to be told from ordinary text.
func maskSecret(s, secret string) string {
	if len(secret) < minMaskLen {
		return s
	}
	s = strings.ReplaceAll(s, secret, redacted)
	if esc := xmlEscape(secret); esc != secret {
		s = strings.ReplaceAll(s, esc, redacted)
	}
	return s
}

var xmlEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;", "'", "&apos;")

func xmlEscape(s string) string { return xmlEscaper.Replace(s) }

// readBody reads up to limit+1 bytes of the answer, so that a longer one is
// seen to be longer.
func readBody(resp *http.Response, limit int64) ([]byte, error) {
	r := io.LimitReader(resp.Body, limit+1)
	if n := resp.ContentLength; n > 0 && n <= limit {
		// Read into a buffer of the announced size, with a byte to spare
		// to see the end, rather than one grown as the answer comes.
		b := make([]byte, 0, n+1)
		for len(b) < cap(b) {
			m, err := r.Read(b[len(b):cap(b)])
			b = b[:len(b)+m]
			if errors.Is(err, io.EOF) {
				return b, nil
			}
			if err != nil {
				return b, err
			}
		}
		rest, err := io.ReadAll(r) // longer than it said
		return append(b, rest...), err
	}
	return io.ReadAll(r)
}

// tracer times an exchange's phases and keeps the TLS handshake's error,
// which names the failure better than the transport's.
type tracer struct {
	mu                                  sync.Mutex
	dnsStart, connStart, tlsStart, sent time.Time
	t                                   Timings
	tlsErr                              error
}

func (tr *tracer) attach(ctx context.Context) context.Context {
	lock := func(f func()) { tr.mu.Lock(); defer tr.mu.Unlock(); f() }
	return httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{
		DNSStart: func(httptrace.DNSStartInfo) { lock(func() { tr.dnsStart = time.Now() }) },
		DNSDone:  func(httptrace.DNSDoneInfo) { lock(func() { tr.t.DNS = since(tr.dnsStart) }) },
		ConnectStart: func(string, string) {
			lock(func() {
				if tr.connStart.IsZero() {
					tr.connStart = time.Now()
				}
			})
		},
		ConnectDone: func(_, _ string, err error) {
			lock(func() {
				if err == nil {
					tr.t.Connect = since(tr.connStart)
				}
			})
		},
		TLSHandshakeStart: func() { lock(func() { tr.tlsStart = time.Now() }) },
		TLSHandshakeDone: func(_ tls.ConnectionState, err error) {
			lock(func() {
				tr.t.TLS = since(tr.tlsStart)
				if err != nil {
					tr.tlsErr = err
				}
			})
		},
		WroteRequest:         func(httptrace.WroteRequestInfo) { lock(func() { tr.sent = time.Now() }) },
		GotFirstResponseByte: func() { lock(func() { tr.t.FirstByte = since(tr.sent) }) },
	})
}

func since(t time.Time) time.Duration {
	if t.IsZero() {
		return 0
	}
	return time.Since(t)
}

func (tr *tracer) timings() Timings {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return tr.t
}

func (tr *tracer) tlsError() error {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return tr.tlsErr
}

// errTooLarge is the cause of an answer over Client.MaxBody.
var errTooLarge = errors.New("the answer is larger than the client's limit")
