package ofxdirect

import (
	"bytes"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/bankfeed/bankfeed"
	"github.com/bankfeed/bankfeed/internal/fakebank"
	"github.com/bankfeed/bankfeed/internal/ofx"
)

// testNow is the clock of the bank and the client: a Tuesday in New York.
var testNow = time.Date(2026, time.November, 24, 15, 0, 0, 0, time.UTC)

// Passwords hold characters OFX and JSON escape, so that redaction is
// tested on every form they take.
const (
	pwAlice = `Tr0ub4dor&3<x>"q"`
	pwBob   = "correct-horse-battery-staple"
	pwCarol = "s3cr3t-carol-pa55"
)

var passwords = []string{pwAlice, pwBob, pwCarol}

// testScenario: an SGML 1.02 bank, an XML 2.1.1 bank, and an XML bank that
// wants a CLIENTUID.
var testScenario = fmt.Sprintf(`{
  "seed": 7,
  "start": "2026-06-01",
  "zone": "America/New_York",
  "institutions": [
    {"id": "sgml", "name": "SGML Bank", "org": "SB", "fid": "1001", "bank_id": "021000021", "version": "102",
     "app_ids": ["QWIN"], "app_versions": ["1400", "2500"],
     "users": [{"id": "alice", "password": %q, "accounts": [
       {"id": "111", "type": "checking", "opening_balance": "1000.00"},
       {"id": "222", "type": "savings", "opening_balance": "5000.00"},
       {"id": "333", "type": "creditcard"}]}]},
    {"id": "xml", "name": "XML Bank", "org": "XB", "fid": "2002", "bank_id": "011000015", "version": "211",
     "users": [{"id": "bob", "password": %q, "accounts": [
       {"id": "444", "type": "checking"},
       {"id": "555", "type": "creditcard"}]}]},
    {"id": "cuid", "name": "Device Bank", "org": "DB", "fid": "3003", "bank_id": "026009593", "version": "211",
     "clientuid_required": true,
     "users": [{"id": "carol", "password": %q, "accounts": [{"id": "666", "type": "checking"}]}]}
  ]
}`, pwAlice, pwBob, pwCarol)

// bank is a running fakebank with a client that trusts it.
type bank struct {
	srv *fakebank.Server
	c   *Client
}

func startBank(t *testing.T) *bank {
	t.Helper()
	sc, err := fakebank.ParseScenario(strings.NewReader(testScenario))
	if err != nil {
		t.Fatal(err)
	}
	srv, err := fakebank.Start(sc, fakebank.Options{Now: func() time.Time { return testNow }, MaxHang: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	hc := NewHTTPClient(&tls.Config{RootCAs: srv.CertPool()})
	t.Cleanup(hc.CloseIdleConnections)
	return &bank{srv: srv, c: &Client{HTTP: hc, Now: func() time.Time { return testNow }}}
}

// institution is how the client reaches a fakebank institution.
func (b *bank) institution(id string) Institution {
	in := b.srv.Scenario().Institution(id)
	return Institution{URL: b.srv.OFXURL(id), Org: in.Org, FID: in.FID, BankID: in.BankID, Version: in.Version,
		ClientUIDRequired: in.ClientUIDRequired}
}

// login is a user's credentials, from the scenario.
func (b *bank) login(inst, user string) Credentials {
	u := b.srv.Scenario().Institution(inst).User(user)
	return Credentials{UserID: u.ID, Password: ofx.Password(u.Password)}
}

// account is the kind and reference of a fakebank account.
func (b *bank) account(inst, acct string) (bankfeed.AccountKind, ofx.AccountRef) {
	_, a := b.srv.Scenario().Institution(inst).Account(acct)
	if a.Kind() == bankfeed.KindCreditCard {
		return a.Kind(), ofx.AccountRef{AcctID: a.ID}
	}
	return a.Kind(), ofx.AccountRef{AcctID: a.ID, AcctType: a.AcctType()}
}

// statement fetches a month of an account's statement.
func (b *bank) statement(t *testing.T, inst, user, acct string) (*ofx.Response, *Exchange, error) {
	t.Helper()
	kind, ref := b.account(inst, acct)
	return b.c.Statement(t.Context(), b.institution(inst), b.login(inst, user), kind, ref, testNow.AddDate(0, 0, -30), testNow)
}

// portal posts a portal action with the user's credentials as form fields.
func (b *bank) portal(t *testing.T, inst, path string, form url.Values) {
	t.Helper()
	hc := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: b.srv.CertPool()}}}
	resp, err := hc.PostForm(strings.TrimSuffix(b.srv.PortalURL(inst), "/")+path, form)
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode/100 != 2 && resp.StatusCode/100 != 3 {
		t.Fatalf("portal %s: HTTP %d", path, resp.StatusCode)
	}
}

// assertNoPassword fails when any test password shows in the exchange (as
// JSON, escaped or not, and as %+v) or in the error (Error and %+v).
func assertNoPassword(t *testing.T, ex *Exchange, err error) {
	t.Helper()
	var texts []string
	if ex != nil {
		j, jerr := json.Marshal(ex)
		if jerr != nil {
			t.Fatal(jerr)
		}
		var raw bytes.Buffer
		enc := json.NewEncoder(&raw)
		enc.SetEscapeHTML(false)
		if jerr := enc.Encode(ex); jerr != nil {
			t.Fatal(jerr)
		}
		texts = append(texts, string(j), raw.String(), fmt.Sprintf("%+v", ex), fmt.Sprintf("%#v", ex))
		if !strings.Contains(ex.RequestBody, "<USERPASS>"+redacted) {
			t.Errorf("request body has no USERPASS element:\n%s", ex.RequestBody)
		}
	}
	if err != nil {
		texts = append(texts, err.Error(), fmt.Sprintf("%+v", err), fmt.Sprintf("%#v", err))
		if fe, ok := err.(*FetchError); ok {
			texts = append(texts, fmt.Sprintf("%+v", *fe))
		}
	}
	for _, pw := range passwords {
		forms := []string{pw, xmlEscape(pw)}
		if j, _ := json.Marshal(pw); len(j) > 2 {
			forms = append(forms, string(j[1:len(j)-1]))
		}
		for _, text := range texts {
			for _, f := range forms {
				if strings.Contains(text, f) {
					t.Errorf("password %q shows as %q in:\n%s", pw, f, text)
				}
			}
		}
	}
}

// fetchError returns err as a *FetchError, failing when it is not one.
func fetchError(t *testing.T, err error) *FetchError {
	t.Helper()
	fe, ok := err.(*FetchError)
	if !ok {
		t.Fatalf("error %T %v: want *FetchError", err, err)
	}
	return fe
}
