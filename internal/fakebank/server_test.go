package fakebank

import (
	"bytes"
	"crypto/tls"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/bankfeed/bankfeed"
	"github.com/bankfeed/bankfeed/internal/ofx"
)

// testNow is the fixed clock of the tests: a Tuesday afternoon in New York.
var testNow = time.Date(2026, time.November, 24, 15, 0, 0, 0, time.UTC)

// testScenario is a small scenario: an SGML bank, an XML bank that wants a
// CLIENTUID, and a card issuer.
const testScenario = `{
  "seed": 7,
  "start": "2026-06-01",
  "zone": "America/New_York",
  "institutions": [
    {"id": "bank", "name": "Test Bank", "org": "TB", "fid": "1001", "bank_id": "021000021", "version": "102",
     "app_versions": ["1400", "2500"], "lockout_after": 3,
     "users": [
       {"id": "alice", "password": "pw-alice", "accounts": [
         {"id": "111", "type": "checking", "opening_balance": "1000.00"},
         {"id": "222", "type": "savings", "opening_balance": "5000.00"},
         {"id": "333", "type": "creditcard"}]},
       {"id": "bob", "password": "pw-bob", "accounts": [{"id": "444", "type": "checking"}]}]},
    {"id": "xmlbank", "name": "XML Bank", "org": "XB", "fid": "2002", "bank_id": "011000015", "version": "211",
     "clientuid_required": true,
     "users": [{"id": "carol", "password": "pw-carol", "accounts": [{"id": "555", "type": "checking"}]}]}
  ]
}`

type harness struct {
	s   *Server
	now time.Time
	hc  *http.Client
}

func newHarness(t *testing.T, scenario string) *harness {
	t.Helper()
	sc, err := ParseScenario(strings.NewReader(scenario))
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{now: testNow}
	s, err := Start(sc, Options{Now: func() time.Time { return h.now }, MaxHang: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	h.s = s
	h.hc = &http.Client{
		Timeout:   10 * time.Second,
		Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: s.CertPool()}, DisableKeepAlives: true},
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
	return h
}

// signon returns a sign-on request at the institution.
func (h *harness) signon(inst, user, password string) ofx.SignonRequest {
	in := h.s.sc.Institution(inst)
	return ofx.SignonRequest{DTClient: h.now, UserID: user, UserPass: ofx.Password(password),
		Org: in.Org, FID: in.FID, AppID: "QWIN", AppVer: "2500"}
}

// stmtRequest asks for an account's statement over a window.
func (h *harness) stmtRequest(inst, user, password, acct string, start, end time.Time) *ofx.Request {
	in := h.s.sc.Institution(inst)
	_, a := in.Account(acct)
	kind := bankfeed.KindBank
	ref := ofx.AccountRef{BankID: in.BankID, AcctID: acct, AcctType: "CHECKING"}
	if a != nil {
		kind = a.Kind()
		if kind == bankfeed.KindCreditCard {
			ref = ofx.AccountRef{AcctID: acct}
		} else {
			ref.AcctType = a.AcctType()
		}
	}
	return &ofx.Request{Signon: h.signon(inst, user, password), Statements: []ofx.StatementRequest{
		{TRNUID: "1001", Kind: kind, Account: ref, Start: start, End: end, Include: true}}}
}

// post sends an OFX request and returns the response and its body; err is
// a transport error.
func (h *harness) post(t *testing.T, inst string, req *ofx.Request) (*http.Response, []byte, error) {
	t.Helper()
	var buf bytes.Buffer
	if err := ofx.WriteRequest(&buf, req, ofx.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	return h.postRaw(t, h.s.OFXURL(inst), buf.Bytes(), nil)
}

func (h *harness) postRaw(t *testing.T, u string, body []byte, header http.Header) (*http.Response, []byte, error) {
	r, err := http.NewRequest(http.MethodPost, u, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	r.Header.Set("Content-Type", "application/x-ofx")
	for k, v := range header {
		r.Header[k] = v
	}
	resp, err := h.hc.Do(r)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp, b, err
}

// mustOFX posts and reads an OFX answer, failing on anything else.
func (h *harness) mustOFX(t *testing.T, inst string, req *ofx.Request) *ofx.Response {
	t.Helper()
	resp, body, err := h.post(t, inst, req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != contentTypeOFX {
		t.Fatalf("HTTP %d %s: %s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	r, err := ofx.Read(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("read answer: %v\n%s", err, body)
	}
	return r
}

func (h *harness) portal(t *testing.T, inst, path string, form url.Values) (*http.Response, string) {
	t.Helper()
	var resp *http.Response
	var err error
	if form == nil {
		resp, err = h.hc.Get(strings.TrimSuffix(h.s.PortalURL(inst), "/") + path)
	} else {
		resp, err = h.hc.PostForm(strings.TrimSuffix(h.s.PortalURL(inst), "/")+path, form)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

var (
	window30 = testNow.AddDate(0, 0, -30)
)

func TestStatementMatchesBook(t *testing.T) {
	h := newHarness(t, testScenario)
	for _, acct := range []string{"111", "222", "333"} {
		t.Run(acct, func(t *testing.T) {
			r := h.mustOFX(t, "bank", h.stmtRequest("bank", "alice", "pw-alice", acct, window30, testNow))
			if code := r.Signon.Status.Code; code != 0 {
				t.Fatalf("sign-on status %d", code)
			}
			if len(r.Statements) != 1 {
				t.Fatalf("%d statements, want 1", len(r.Statements))
			}
			st := r.Statements[0]
			in := h.s.sc.Institution("bank")
			_, a := in.Account(acct)
			loc := h.s.sc.Location()
			want := h.s.book.Transactions(in, a, DayOf(window30, loc), DayOf(testNow, loc))
			if len(want) == 0 {
				t.Fatal("the generator made no transactions in 30 days")
			}
			if len(st.Transactions) != len(want) {
				t.Fatalf("%d transactions, want %d", len(st.Transactions), len(want))
			}
			for i, got := range st.Transactions {
				w := want[i]
				if got.FITID != w.FITID || !got.Amount.Equal(w.Amount) || got.Name != w.Name ||
					got.Posted.Day() != w.Posted.Day() || got.TrnType != w.TrnType || got.CheckNum != w.CheckNum {
					t.Errorf("transaction %d: got %s %s %s %q, want %s %s %s %q", i,
						got.FITID, got.Posted.Day(), got.Amount, got.Name, w.FITID, w.Posted.Day(), w.Amount, w.Name)
				}
			}
			ledger := h.s.book.Ledger(in, a, DayOf(testNow, loc))
			if !st.Ledger.Amount.Equal(ledger) {
				t.Errorf("LEDGERBAL %s, want %s", st.Ledger.Amount, ledger)
			}
			// The lines add up: the ledger before the window plus the lines
			// is the ledger at its end.
			before := h.s.book.Ledger(in, a, DayOf(window30, loc).AddDays(-1))
			sum := before
			for _, tx := range st.Transactions {
				sum = sum.Add(tx.Amount)
			}
			if !sum.Equal(st.Ledger.Amount) {
				t.Errorf("opening %s + lines = %s, LEDGERBAL %s", before, sum, st.Ledger.Amount)
			}
		})
	}
}
