package ofxdirect

import (
	"context"
	"errors"
	"net"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/bankfeed/bankfeed"
	"github.com/bankfeed/bankfeed/internal/fakebank"
	"github.com/bankfeed/bankfeed/internal/ofx"
)

func TestAccounts(t *testing.T) {
	b := startBank(t)
	for _, tc := range []struct {
		inst, user string
		want       []string
	}{
		{"sgml", "alice", []string{"111", "222", "333"}},
		{"xml", "bob", []string{"444", "555"}},
	} {
		t.Run(tc.inst, func(t *testing.T) {
			accts, ex, err := b.c.Accounts(t.Context(), b.institution(tc.inst), b.login(tc.inst, tc.user))
			assertNoPassword(t, ex, err)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, a := range accts {
				got = append(got, a.Account.AcctID)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("accounts %v, want %v", got, tc.want)
			}
			if ex.Status != 200 || ex.ResponseSize == 0 || ex.Duration <= 0 {
				t.Errorf("exchange %+v", ex)
			}
		})
	}
}

func TestStatement(t *testing.T) {
	b := startBank(t)
	sc := b.srv.Scenario()
	for _, tc := range []struct {
		inst, user, acct string
		format, prolog   string
	}{
		{"sgml", "alice", "111", ofx.FormatSGML, "OFXHEADER:100"},
		{"sgml", "alice", "333", ofx.FormatSGML, "OFXHEADER:100"},
		{"xml", "bob", "444", ofx.FormatXML, "<?xml"},
		{"xml", "bob", "555", ofx.FormatXML, "<?xml"},
	} {
		t.Run(tc.inst+"/"+tc.acct, func(t *testing.T) {
			r, ex, err := b.statement(t, tc.inst, tc.user, tc.acct)
			assertNoPassword(t, ex, err)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(ex.RequestBody, tc.prolog) || r.Format != tc.format {
				t.Errorf("sent %.40q, read %s", ex.RequestBody, r.Format)
			}
			kind, _ := b.account(tc.inst, tc.acct)
			if len(r.Statements) != 1 || r.Statements[0].Kind != kind || r.Statements[0].Account.AcctID != tc.acct {
				t.Fatalf("statements %+v", r.Statements)
			}
			in := sc.Institution(tc.inst)
			_, a := in.Account(tc.acct)
			loc := sc.Location()
			want := b.srv.Book().Transactions(in, a, fakebank.DayOf(testNow.AddDate(0, 0, -30), loc), fakebank.DayOf(testNow, loc))
			got := r.Statements[0].Transactions
			if len(want) == 0 || len(got) != len(want) {
				t.Fatalf("%d transactions, want %d", len(got), len(want))
			}
			for i := range want {
				if got[i].FITID != want[i].FITID || got[i].Amount.Cmp(want[i].Amount) != 0 {
					t.Errorf("transaction %d: %s %s, want %s %s", i, got[i].FITID, got[i].Amount, want[i].FITID, want[i].Amount)
				}
			}
		})
	}
}

func TestProfile(t *testing.T) {
	b := startBank(t)
	for _, tc := range []struct {
		inst, name string
		cuid       bool
	}{
		{"sgml", "SGML Bank", false},
		{"xml", "XML Bank", false},
		{"cuid", "Device Bank", true},
	} {
		t.Run(tc.inst, func(t *testing.T) {
			p, ex, err := b.c.Profile(t.Context(), b.institution(tc.inst))
			assertNoPassword(t, ex, err)
			if err != nil {
				t.Fatal(err)
			}
			if p.FIName != tc.name || p.ClientUIDRequired != tc.cuid {
				t.Errorf("profile %+v", p)
			}
			if !strings.Contains(ex.RequestBody, anonymousUser) {
				t.Errorf("not an anonymous sign-on:\n%s", ex.RequestBody)
			}
		})
	}
	signon := true
	if n := b.srv.Count(fakebank.Filter{Signon: &signon}); n != 0 {
		t.Errorf("%d requests carried a user's credentials", n)
	}
}

// TestClientUID: a bank that wants a CLIENTUID refuses the application until
// the user approves it in the portal.
func TestClientUID(t *testing.T) {
	b := startBank(t)
	in := b.institution("cuid")
	cr := b.login("cuid", "carol")
	kind, ref := b.account("cuid", "666")

	_, ex, err := b.c.Statement(t.Context(), in, cr, kind, ref, time.Time{}, time.Time{})
	if ex != nil || ClassOf(err) != bankfeed.FailUnsupported || b.srv.Count(fakebank.Filter{Institution: "cuid"}) != 0 {
		t.Fatalf("without a CLIENTUID: %v (exchange %v)", err, ex)
	}

	cr.ClientUID = "bankfeed-test-device-0001"
	_, ex, err = b.c.Statement(t.Context(), in, cr, kind, ref, time.Time{}, time.Time{})
	assertNoPassword(t, ex, err)
	fe := fetchError(t, err)
	if fe.Class != bankfeed.FailActionRequired || len(fe.OFX) == 0 || fe.OFX[0].Code != 15510 || !strings.Contains(fe.Message, cr.ClientUID) {
		t.Fatalf("before approval: %v", err)
	}

	b.portal(t, "cuid", "/device/approve", url.Values{"userid": {"carol"}, "password": {pwCarol}, "clientuid": {cr.ClientUID}})
	r, ex, err := b.c.Statement(t.Context(), in, cr, kind, ref, testNow.AddDate(0, 0, -10), testNow)
	assertNoPassword(t, ex, err)
	if err != nil {
		t.Fatalf("after approval: %v", err)
	}
	if len(r.Statements) != 1 || !strings.Contains(ex.RequestBody, "<CLIENTUID>"+cr.ClientUID+"</CLIENTUID>") {
		t.Errorf("statements %d; request:\n%s", len(r.Statements), ex.RequestBody)
	}
	accts, ex, err := b.c.Accounts(t.Context(), in, cr)
	assertNoPassword(t, ex, err)
	if err != nil || len(accts) != 1 {
		t.Fatalf("accounts %v: %v", accts, err)
	}
}

var reTRNUID = regexp.MustCompile(`<TRNUID>([0-9a-f]{32})`)

// TestRequest checks what is sent: headers, fresh TRNUIDs, DTCLIENT from the
// clock, the institution's application and User-Agent.
func TestRequest(t *testing.T) {
	b := startBank(t)
	in := b.institution("sgml")
	_, ex1, err := b.statement(t, "sgml", "alice", "111")
	if err != nil {
		t.Fatal(err)
	}
	_, ex2, err := b.statement(t, "sgml", "alice", "111")
	if err != nil {
		t.Fatal(err)
	}
	h := ex1.RequestHeader
	if h.Get("Content-Type") != "application/x-ofx" || h.Get("Accept") != "application/x-ofx, */*" || h.Get("User-Agent") != DefaultUserAgent {
		t.Errorf("request headers %v", h)
	}
	id1, id2 := reTRNUID.FindStringSubmatch(ex1.RequestBody), reTRNUID.FindStringSubmatch(ex2.RequestBody)
	if id1 == nil || id2 == nil || id1[1] == id2[1] {
		t.Errorf("TRNUIDs %v %v", id1, id2)
	}
	for _, want := range []string{"<DTCLIENT>20261124150000", "<APPID>QWIN", "<APPVER>2500", "<USERID>alice", "NEWFILEUID:"} {
		if !strings.Contains(ex1.RequestBody, want) {
			t.Errorf("request lacks %q:\n%s", want, ex1.RequestBody)
		}
	}
	req, err := ofx.ReadRequest(strings.NewReader(ex1.RequestBody))
	if err != nil || req.Signon.UserPass.Reveal() != redacted || req.Header.NewFileUID == "NONE" {
		t.Errorf("transcript read back: %v, %+v", err, req)
	}

	in.UserAgent, in.AppVer = "Quicken/27.1", "1400"
	if _, _, err := b.c.Accounts(t.Context(), in, b.login("sgml", "alice")); err != nil {
		t.Fatal(err)
	}
	recs := b.srv.Requests(fakebank.Filter{Institution: "sgml"})
	last := recs[len(recs)-1]
	if last.UserAgent != "Quicken/27.1" || last.AppVer != "1400" {
		t.Errorf("last request %+v", last)
	}
}

// TestPlainHTTP: a password goes over plain HTTP to this machine only.
func TestPlainHTTP(t *testing.T) {
	b := startBank(t)
	in := b.institution("sgml")
	in.URL = "http://" + b.srv.Addr("sgml") + "/ofx"
	if _, _, err := b.c.Accounts(t.Context(), in, b.login("sgml", "alice")); err != nil {
		t.Fatalf("loopback HTTP: %v", err)
	}
	for _, u := range []string{"http://bank.example/ofx", "ftp://bank.example/ofx", "bank.example/ofx", "https://user:" + pwBob + "@%zz"} {
		in.URL = u
		_, ex, err := b.c.Accounts(t.Context(), in, b.login("sgml", "alice"))
		assertNoPassword(t, ex, err)
		if ex != nil || ClassOf(err) != bankfeed.FailUnsupported {
			t.Errorf("%s: %v", u, err)
		}
	}
}

func TestMaxBody(t *testing.T) {
	b := startBank(t)
	b.c.MaxBody = 500
	_, ex, err := b.statement(t, "sgml", "alice", "111")
	assertNoPassword(t, ex, err)
	if fe := fetchError(t, err); fe.Class != bankfeed.FailDataIncomplete || !errors.Is(err, errTooLarge) {
		t.Errorf("error %v", err)
	}
}

func TestUnsupportedKind(t *testing.T) {
	b := startBank(t)
	_, _, err := b.c.Statement(t.Context(), b.institution("sgml"), b.login("sgml", "alice"), bankfeed.KindInvestment,
		ofx.AccountRef{AcctID: "111"}, time.Time{}, time.Time{})
	if ClassOf(err) != bankfeed.FailUnsupported {
		t.Errorf("error %v", err)
	}
}

// TestCancel: a cancelled sync is no failure of the bank; a deadline is a
// bank that did not answer in time.
func TestCancel(t *testing.T) {
	b := startBank(t)
	if _, err := b.srv.AddFault(fakebank.FaultSpec{Kind: fakebank.FaultHang, Institution: "sgml"}); err != nil {
		t.Fatal(err)
	}
	kind, ref := b.account("sgml", "111")

	ctx, cancel := context.WithCancel(t.Context())
	time.AfterFunc(200*time.Millisecond, cancel)
	_, ex, err := b.c.Statement(ctx, b.institution("sgml"), b.login("sgml", "alice"), kind, ref, time.Time{}, time.Time{})
	assertNoPassword(t, ex, err)
	if !errors.Is(err, context.Canceled) || ClassOf(err) != "" || ex == nil {
		t.Errorf("cancelled: %v", err)
	}

	ctx, cancel = context.WithTimeout(t.Context(), 200*time.Millisecond)
	defer cancel()
	_, ex, err = b.c.Statement(ctx, b.institution("sgml"), b.login("sgml", "alice"), kind, ref, time.Time{}, time.Time{})
	assertNoPassword(t, ex, err)
	if !errors.Is(err, context.DeadlineExceeded) || ClassOf(err) != bankfeed.FailUnreachable {
		t.Errorf("deadline: %v", err)
	}
}

func TestConnectionRefused(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	c := &Client{Now: func() time.Time { return testNow }}
	in := Institution{URL: "https://" + addr + "/ofx", Org: "X", FID: "1"}
	_, ex, err := c.Accounts(t.Context(), in, Credentials{UserID: "u", Password: pwBob})
	assertNoPassword(t, ex, err)
	if ClassOf(err) != bankfeed.FailUnreachable || ex == nil || ex.Error == "" || ex.Status != 0 {
		t.Errorf("error %v, exchange %+v", err, ex)
	}
}
