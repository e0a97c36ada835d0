package fakebank

import (
	"bytes"
	"crypto/x509"
	"errors"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/bankfeed/bankfeed"
	"github.com/bankfeed/bankfeed/internal/ofx"
)

// answer is what a client received.
type answer struct {
	resp    *http.Response
	body    []byte
	err     error // transport error
	elapsed time.Duration
}

// ofxAnswer reads the body as OFX, failing the test when it is not.
func (a *answer) ofx(t *testing.T) *ofx.Response {
	t.Helper()
	if a.err != nil {
		t.Fatalf("transport: %v", a.err)
	}
	if a.resp.StatusCode != http.StatusOK {
		t.Fatalf("HTTP %d: %s", a.resp.StatusCode, a.body)
	}
	r, err := ofx.Read(bytes.NewReader(a.body))
	if err != nil {
		t.Fatalf("read answer: %v\n%s", err, a.body)
	}
	return r
}

func (a *answer) status(t *testing.T, want int) {
	t.Helper()
	if a.err != nil {
		t.Fatalf("transport: %v", a.err)
	}
	if a.resp.StatusCode != want {
		t.Fatalf("HTTP %d, want %d: %.300s", a.resp.StatusCode, want, a.body)
	}
}

// signonCode checks the sign-on STATUS and that no statement came with it.
func signonCode(t *testing.T, a *answer, code int, msgHas string) {
	t.Helper()
	r := a.ofx(t)
	if r.Signon.Status.Code != code {
		t.Fatalf("sign-on status %d %q, want %d", r.Signon.Status.Code, r.Signon.Status.Message, code)
	}
	if !strings.Contains(strings.ToLower(r.Signon.Status.Message), msgHas) {
		t.Errorf("sign-on message %q lacks %q", r.Signon.Status.Message, msgHas)
	}
	if len(r.Statements) != 0 || len(r.TxStatuses) != 0 {
		t.Errorf("a failed sign-on came with %d statements", len(r.Statements))
	}
}

func htmlPageOf(t *testing.T, a *answer, status int, has string) {
	t.Helper()
	a.status(t, status)
	if ct := a.resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Errorf("Content-Type %q, want text/html", ct)
	}
	if !strings.Contains(string(a.body), has) {
		t.Errorf("page lacks %q: %.300s", has, a.body)
	}
	if _, err := ofx.Read(bytes.NewReader(a.body)); err == nil {
		t.Error("the HTML page reads as OFX")
	}
}

func certError[E error](t *testing.T, a *answer) E {
	t.Helper()
	var e E
	if a.err == nil {
		t.Fatalf("no TLS error: HTTP %d", a.resp.StatusCode)
	}
	if !errors.As(a.err, &e) {
		t.Fatalf("error %v (%T) is not a %T", a.err, a.err, e)
	}
	return e
}

// stmt is the statement of the answer, checked against the generator.
func bookWindow(h *harness, acct string) []ofx.Transaction {
	in := h.s.sc.Institution("bank")
	_, a := in.Account(acct)
	loc := h.s.sc.Location()
	return h.s.book.Transactions(in, a, DayOf(window30, loc), DayOf(testNow, loc))
}

func bookLedger(h *harness, acct string) bankfeed.Decimal {
	in := h.s.sc.Institution("bank")
	_, a := in.Account(acct)
	return h.s.book.Ledger(in, a, DayOf(testNow, h.s.sc.Location()))
}

// faultCases covers every fault kind: what a client receives when it fires.
var faultCases = []struct {
	kind   string
	params map[string]string
	check  func(t *testing.T, h *harness, a *answer)
}{
	{FaultMaintenance503, nil, func(t *testing.T, h *harness, a *answer) {
		htmlPageOf(t, a, http.StatusServiceUnavailable, "maintenance")
		if ra := a.resp.Header.Get("Retry-After"); ra != "3600" {
			t.Errorf("Retry-After %q, want 3600", ra)
		}
	}},
	{FaultMaintenancePage, nil, func(t *testing.T, h *harness, a *answer) {
		htmlPageOf(t, a, http.StatusOK, "scheduled maintenance")
	}},
	{FaultMaintenanceOFX, nil, func(t *testing.T, h *harness, a *answer) {
		signonCode(t, a, 2000, "unavailable")
	}},
	{FaultHTTP500, nil, func(t *testing.T, h *harness, a *answer) {
		htmlPageOf(t, a, http.StatusInternalServerError, "Internal Server Error")
	}},
	{FaultOFX2000, nil, func(t *testing.T, h *harness, a *answer) {
		signonCode(t, a, 2000, "general error")
	}},
	{FaultEmptyBody, nil, func(t *testing.T, h *harness, a *answer) {
		a.status(t, http.StatusOK)
		if len(a.body) != 0 || a.resp.Header.Get("Content-Type") != contentTypeOFX {
			t.Errorf("body %d bytes, Content-Type %q", len(a.body), a.resp.Header.Get("Content-Type"))
		}
	}},
	{FaultTruncated, nil, func(t *testing.T, h *harness, a *answer) {
		a.status(t, http.StatusOK)
		_, err := ofx.Read(bytes.NewReader(a.body))
		var se *ofx.SyntaxError
		if !errors.As(err, &se) || !strings.Contains(se.Msg, "cut short") {
			t.Fatalf("read: %v, want a document cut short", err)
		}
		if i := bytes.LastIndexByte(a.body, '<'); i < 0 || bytes.IndexByte(a.body[i:], '>') >= 0 {
			t.Errorf("the body does not end inside a tag: %q", a.body[max(0, len(a.body)-20):])
		}
	}},
	{FaultMalformed, nil, func(t *testing.T, h *harness, a *answer) {
		a.status(t, http.StatusOK)
		if _, err := ofx.Read(bytes.NewReader(a.body)); err == nil {
			t.Fatalf("malformed answer reads as OFX:\n%s", a.body)
		}
		if !bytes.Contains(a.body, []byte("NullPointerException")) || !bytes.HasSuffix(a.body, []byte("</BANKMSGSRSV1>\r\n")) {
			t.Errorf("malformed answer is not the crashed render: %q", a.body[max(0, len(a.body)-80):])
		}
		if !bytes.HasPrefix(a.body, []byte("OFXHEADER:100")) {
			t.Errorf("malformed answer lost its OFX header: %.40q", a.body)
		}
	}},
	{FaultWrongContentType, nil, func(t *testing.T, h *harness, a *answer) {
		r := a.ofx(t)
		if ct := a.resp.Header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
			t.Errorf("Content-Type %q", ct)
		}
		if len(r.Statements) != 1 {
			t.Errorf("%d statements, want the usual 1", len(r.Statements))
		}
	}},
	{FaultWAF, nil, func(t *testing.T, h *harness, a *answer) {
		htmlPageOf(t, a, http.StatusForbidden, "firewall")
	}},
	{FaultRejectUserAgent, map[string]string{"match": "Go-http-client"}, func(t *testing.T, h *harness, a *answer) {
		htmlPageOf(t, a, http.StatusForbidden, "not permitted")
	}},
	{FaultRejectAppVer, map[string]string{"appvers": "2500"}, func(t *testing.T, h *harness, a *answer) {
		signonCode(t, a, 2000, "no longer supported")
	}},
	{FaultChangePassword, nil, func(t *testing.T, h *harness, a *answer) {
		signonCode(t, a, 15000, "change your password")
	}},
	{FaultClientUID, nil, func(t *testing.T, h *harness, a *answer) {
		signonCode(t, a, 15510, "approve")
	}},
	{FaultAcceptTerms, nil, func(t *testing.T, h *harness, a *answer) {
		signonCode(t, a, 2000, "accept the updated terms")
	}},
	{FaultBadCredentials, nil, func(t *testing.T, h *harness, a *answer) {
		signonCode(t, a, 15500, "invalid user id or password")
	}},
	{FaultLockout, nil, func(t *testing.T, h *harness, a *answer) {
		signonCode(t, a, 15502, "locked")
	}},
	{FaultMFA, nil, func(t *testing.T, h *harness, a *answer) {
		signonCode(t, a, 3000, "authentication")
	}},
	{FaultAccountNotFound, nil, func(t *testing.T, h *harness, a *answer) {
		r := a.ofx(t)
		if r.Signon.Status.Code != 0 || len(r.TxStatuses) != 1 || r.TxStatuses[0].Status.Code != 2003 {
			t.Fatalf("sign-on %d, statuses %+v; want 0 and one 2003\n%s", r.Signon.Status.Code, r.TxStatuses, a.body)
		}
		if len(r.Statements) != 0 {
			t.Errorf("%d statements", len(r.Statements))
		}
	}},
	{FaultRateLimitOFX, map[string]string{"reset": "90m"}, func(t *testing.T, h *harness, a *answer) {
		signonCode(t, a, 15501, "try again after 2026-11-24 11:30 est")
	}},
	{FaultRateLimit429, map[string]string{"reset": "20m"}, func(t *testing.T, h *harness, a *answer) {
		a.status(t, http.StatusTooManyRequests)
		if ra := a.resp.Header.Get("Retry-After"); ra != "1200" {
			t.Errorf("Retry-After %q, want 1200", ra)
		}
		if reset := a.resp.Header.Get("X-RateLimit-Reset"); reset != strconv.FormatInt(testNow.Add(20*time.Minute).Unix(), 10) {
			t.Errorf("X-RateLimit-Reset %q", reset)
		}
	}},
	{FaultLatency, map[string]string{"delay": "300ms"}, func(t *testing.T, h *harness, a *answer) {
		a.ofx(t)
		if a.elapsed < 300*time.Millisecond {
			t.Errorf("answered after %s, before the 300ms delay", a.elapsed)
		}
	}},
	{FaultTrickle, map[string]string{"chunk": "512", "interval": "20ms"}, func(t *testing.T, h *harness, a *answer) {
		a.ofx(t)
		least := time.Duration(len(a.body)/512-1) * 20 * time.Millisecond
		if a.resp.ContentLength != -1 || a.elapsed < least {
			t.Errorf("%d bytes in %s (Content-Length %d): not trickled, want at least %s", len(a.body), a.elapsed, a.resp.ContentLength, least)
		}
	}},
	{FaultHang, nil, func(t *testing.T, h *harness, a *answer) {
		var ne interface{ Timeout() bool }
		if a.err == nil || !errors.As(a.err, &ne) || !ne.Timeout() {
			t.Fatalf("got %v, want the client's timeout", a.err)
		}
	}},
	{FaultReset, nil, func(t *testing.T, h *harness, a *answer) {
		if a.err == nil || !strings.Contains(a.err.Error(), "connection reset") {
			t.Fatalf("got %v, want a reset connection", a.err)
		}
	}},
	{FaultTLSExpired, nil, func(t *testing.T, h *harness, a *answer) {
		e := certError[x509.CertificateInvalidError](t, a)
		if e.Reason != x509.Expired {
			t.Errorf("reason %v, want Expired", e.Reason)
		}
	}},
	{FaultTLSWrongHost, nil, func(t *testing.T, h *harness, a *answer) {
		certError[x509.HostnameError](t, a)
	}},
	{FaultTLSUntrusted, nil, func(t *testing.T, h *harness, a *answer) {
		certError[x509.UnknownAuthorityError](t, a)
	}},
	{FaultFITIDRekey, map[string]string{"share": "1"}, func(t *testing.T, h *harness, a *answer) {
		st := a.ofx(t).Statements[0]
		want := bookWindow(h, "111")
		if len(st.Transactions) != len(want) {
			t.Fatalf("%d transactions, want %d", len(st.Transactions), len(want))
		}
		for i, tx := range st.Transactions {
			if tx.FITID != "RK"+want[i].FITID || !tx.Amount.Equal(want[i].Amount) {
				t.Errorf("transaction %d: FITID %s amount %s, want RK%s %s", i, tx.FITID, tx.Amount, want[i].FITID, want[i].Amount)
			}
		}
	}},
	{FaultPending, map[string]string{"days": "5"}, func(t *testing.T, h *harness, a *answer) {
		st := a.ofx(t).Statements[0]
		want := bookWindow(h, "333")
		first := DayOf(testNow, h.s.sc.Location()).AddDays(-4)
		pending, posted := 0, bookLedger(h, "333")
		for i, tx := range st.Transactions {
			w := want[i]
			recent := !DayOf(w.Posted.Time, time.UTC).Before(first)
			switch {
			case !recent && (tx.FITID != w.FITID || !tx.Amount.Equal(w.Amount)):
				t.Errorf("older transaction %d changed: %s %s", i, tx.FITID, tx.Amount)
			case recent:
				pending++
				posted = posted.Sub(w.Amount)
				if tx.FITID != "PEND"+w.FITID || !tx.Amount.Equal(hold(w.Amount)) {
					t.Errorf("recent transaction %d: %s %s, want PEND%s %s", i, tx.FITID, tx.Amount, w.FITID, hold(w.Amount))
				}
			}
		}
		if pending == 0 {
			t.Fatal("no pending transaction in the last 5 days")
		}
		if !st.Ledger.Amount.Equal(posted) {
			t.Errorf("LEDGERBAL %s, want %s without the pending lines", st.Ledger.Amount, posted)
		}
	}},
	{FaultDuplicateFITID, map[string]string{"share": "0.5"}, func(t *testing.T, h *harness, a *answer) {
		st := a.ofx(t).Statements[0]
		dups := 0
		for i := 1; i < len(st.Transactions); i++ {
			if st.Transactions[i].FITID == st.Transactions[i-1].FITID {
				dups++
			}
		}
		if dups == 0 {
			t.Fatalf("no duplicate FITID among %d transactions", len(st.Transactions))
		}
	}},
	{FaultBalanceMismatch, map[string]string{"delta": "13.37"}, func(t *testing.T, h *harness, a *answer) {
		st := a.ofx(t).Statements[0]
		want := bookLedger(h, "111").Add(bankfeed.MustDecimal("13.37"))
		if !st.Ledger.Amount.Equal(want) {
			t.Errorf("LEDGERBAL %s, want %s", st.Ledger.Amount, want)
		}
	}},
}

// faultAccount names the account of alice's a case asks about, when not her
// checking (111): purchases go to her card.
var faultAccount = map[string]string{FaultPending: "333"}

// TestFaultKinds switches each fault on for alice's checking account, asks
// for its statement, and checks what the client receives; then switches it
// off and checks the statement is back.
func TestFaultKinds(t *testing.T) {
	covered := map[string]bool{}
	for _, c := range faultCases {
		covered[c.kind] = true
	}
	for _, k := range Kinds {
		if !covered[k.Name] {
			t.Errorf("fault kind %s has no test case", k.Name)
		}
	}
	h := newHarness(t, testScenario)
	for _, c := range faultCases {
		t.Run(c.kind, func(t *testing.T) {
			k, _ := KindOf(c.kind)
			spec := FaultSpec{Kind: c.kind, Institution: "bank", Params: c.params}
			if k.Layer != layerTLS {
				spec.User = "alice"
			}
			acct := "111"
			if a, ok := faultAccount[c.kind]; ok {
				acct = a
			}
			if k.Layer == layerAccount || k.Layer == layerData {
				spec.Account = acct
			}
			f, err := h.s.AddFault(spec)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() {
				_ = h.s.RemoveFault(f.ID)
				_ = h.s.Unlock("bank", "alice")
			})
			seq := h.s.lastSeq()
			client := h.hc
			if c.kind == FaultHang {
				client = &http.Client{Timeout: 300 * time.Millisecond, Transport: h.hc.Transport}
			}
			var buf bytes.Buffer
			if err := ofx.WriteRequest(&buf, h.stmtRequest("bank", "alice", "pw-alice", acct, window30, testNow), ofx.WriteOptions{}); err != nil {
				t.Fatal(err)
			}
			began := time.Now()
			resp, err := client.Post(h.s.OFXURL("bank"), contentTypeOFX, bytes.NewReader(buf.Bytes()))
			a := &answer{resp: resp, err: err}
			if err == nil {
				a.body, a.err = readAll(resp)
			}
			a.elapsed = time.Since(began)
			c.check(t, h, a)

			// The request log names the fault, before the client has its
			// answer.
			if n := h.s.Count(Filter{Fault: c.kind, Since: seq}); n != 1 {
				t.Errorf("%d requests logged with the fault, want 1", n)
			}
			if err := h.s.RemoveFault(f.ID); err != nil {
				t.Fatal(err)
			}
			if err := h.s.Unlock("bank", "alice"); err != nil {
				t.Fatal(err)
			}
			r := h.mustOFX(t, "bank", h.stmtRequest("bank", "alice", "pw-alice", "111", window30, testNow))
			if len(r.Statements) != 1 || r.Signon.Status.Code != 0 {
				t.Errorf("after the fault: sign-on %d, %d statements", r.Signon.Status.Code, len(r.Statements))
			}
		})
	}
}

func readAll(resp *http.Response) ([]byte, error) {
	defer resp.Body.Close()
	var buf bytes.Buffer
	_, err := buf.ReadFrom(resp.Body)
	return buf.Bytes(), err
}

// TestDocsListEveryKind keeps docs/fakebank.md's table in step with Kinds.
func TestDocsListEveryKind(t *testing.T) {
	doc, err := os.ReadFile("../../docs/fakebank.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range Kinds {
		if !bytes.Contains(doc, []byte("| `"+k.Name+"` | "+k.Layer+" | "+k.Desc)) {
			t.Errorf("docs/fakebank.md lacks the row of %s, or it is out of date", k.Name)
		}
	}
}
