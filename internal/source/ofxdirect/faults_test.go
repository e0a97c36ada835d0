package ofxdirect

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/bankfeed/bankfeed"
	"github.com/bankfeed/bankfeed/internal/fakebank"
	"github.com/bankfeed/bankfeed/internal/ofx"
)

// faultCase is what a Statement meets under one fakebank fault kind.
type faultCase struct {
	// scope narrows the fault (or sets its params).
	scope func(*fakebank.FaultSpec)
	// class is the failure expected; "" expects a statement.
	class bankfeed.FailureClass
	// short gives the client a 500 ms timeout.
	short bool
	// checkErr checks more of a failure.
	checkErr func(t *testing.T, fe *FetchError, ex *Exchange)
	// checkOK checks a statement against the one fetched before the fault.
	checkOK func(t *testing.T, base, got *ofx.Statement, ex *Exchange)
}

// oneHour checks a RetryAfter an hour after the clock, as fakebank's
// defaults give.
func oneHour(t *testing.T, fe *FetchError, _ *Exchange) {
	t.Helper()
	if want := testNow.Add(time.Hour); !fe.RetryAfter.Equal(want) {
		t.Errorf("RetryAfter %v, want %v", fe.RetryAfter, want)
	}
}

func ofxCode(code int) func(*testing.T, *FetchError, *Exchange) {
	return func(t *testing.T, fe *FetchError, _ *Exchange) {
		t.Helper()
		for _, s := range fe.OFX {
			if s.Code == code {
				return
			}
		}
		t.Errorf("OFX statuses %+v lack %d", fe.OFX, code)
	}
}

func httpStatus(code int) func(*testing.T, *FetchError, *Exchange) {
	return func(t *testing.T, fe *FetchError, ex *Exchange) {
		t.Helper()
		if fe.HTTPStatus != code || ex.Status != code {
			t.Errorf("HTTP status %d (exchange %d), want %d", fe.HTTPStatus, ex.Status, code)
		}
	}
}

func fitidsWithPrefix(st *ofx.Statement, prefix string) int {
	n := 0
	for _, tx := range st.Transactions {
		if strings.HasPrefix(tx.FITID, prefix) {
			n++
		}
	}
	return n
}

// faultCases has a row for every fakebank fault kind.
var faultCases = map[string]faultCase{
	fakebank.FaultMaintenance503: {class: bankfeed.FailMaintenance, checkErr: func(t *testing.T, fe *FetchError, ex *Exchange) {
		secs, err := strconv.Atoi(ex.ResponseHeader.Get("Retry-After"))
		if err != nil || !fe.RetryAfter.Equal(testNow.Add(time.Duration(secs)*time.Second)) {
			t.Errorf("RetryAfter %v; fakebank sent Retry-After %q", fe.RetryAfter, ex.ResponseHeader.Get("Retry-After"))
		}
		oneHour(t, fe, ex)
		httpStatus(503)(t, fe, ex)
	}},
	fakebank.FaultMaintenancePage: {class: bankfeed.FailMaintenance, checkErr: httpStatus(200)},
	fakebank.FaultMaintenanceOFX:  {class: bankfeed.FailMaintenance, checkErr: ofxCode(2000)},
	fakebank.FaultHTTP500:         {class: bankfeed.FailServerError, checkErr: httpStatus(500)},
	fakebank.FaultOFX2000:         {class: bankfeed.FailServerError, checkErr: ofxCode(2000)},
	fakebank.FaultEmptyBody:       {class: bankfeed.FailServerError, checkErr: httpStatus(200)},
	fakebank.FaultTruncated:       {class: bankfeed.FailDataIncomplete},
	fakebank.FaultMalformed:       {class: bankfeed.FailServerError},
	fakebank.FaultWrongContentType: {checkOK: func(t *testing.T, base, got *ofx.Statement, ex *Exchange) {
		if len(ex.Notes) == 0 || !strings.Contains(ex.Notes[0], "text/html") {
			t.Errorf("notes %q", ex.Notes)
		}
	}},
	fakebank.FaultWAF:             {class: bankfeed.FailBlockedClient, checkErr: httpStatus(403)},
	fakebank.FaultRejectUserAgent: {class: bankfeed.FailBlockedClient, checkErr: httpStatus(403)},
	fakebank.FaultRejectAppVer:    {class: bankfeed.FailBlockedClient, checkErr: ofxCode(2000)},
	fakebank.FaultChangePassword:  {class: bankfeed.FailActionRequired, checkErr: ofxCode(15000)},
	fakebank.FaultClientUID:       {class: bankfeed.FailActionRequired, checkErr: ofxCode(15510)},
	fakebank.FaultAcceptTerms:     {class: bankfeed.FailActionRequired, checkErr: ofxCode(2000)},
	fakebank.FaultBadCredentials:  {class: bankfeed.FailInvalidCredentials, checkErr: ofxCode(15500)},
	fakebank.FaultLockout:         {class: bankfeed.FailLocked, checkErr: ofxCode(15502)},
	fakebank.FaultMFA:             {class: bankfeed.FailMFARequired, checkErr: ofxCode(3000)},
	fakebank.FaultAccountNotFound: {
		scope: func(f *fakebank.FaultSpec) { f.Account = "111" },
		class: bankfeed.FailAccountNotFound,
		checkErr: func(t *testing.T, fe *FetchError, ex *Exchange) {
			if len(fe.OFX) != 2 || fe.OFX[0].Code != 0 || fe.OFX[1].Code != 2003 {
				t.Errorf("OFX statuses %+v, want sign-on 0 then 2003", fe.OFX)
			}
		}},
	fakebank.FaultRateLimitOFX: {class: bankfeed.FailRateLimited, checkErr: func(t *testing.T, fe *FetchError, ex *Exchange) {
		ofxCode(15501)(t, fe, ex)
		oneHour(t, fe, ex)
	}},
	fakebank.FaultRateLimit429: {class: bankfeed.FailRateLimited, checkErr: func(t *testing.T, fe *FetchError, ex *Exchange) {
		httpStatus(429)(t, fe, ex)
		oneHour(t, fe, ex)
	}},
	fakebank.FaultLatency: {
		scope: func(f *fakebank.FaultSpec) { f.Params = map[string]string{"delay": "300ms"} },
		checkOK: func(t *testing.T, base, got *ofx.Statement, ex *Exchange) {
			if ex.Duration < 300*time.Millisecond || ex.Timings.FirstByte < 300*time.Millisecond {
				t.Errorf("duration %v, first byte %v: want at least the delay", ex.Duration, ex.Timings.FirstByte)
			}
		}},
	fakebank.FaultTrickle: {
		scope: func(f *fakebank.FaultSpec) { f.Params = map[string]string{"chunk": "512", "interval": "2ms"} },
		checkOK: func(t *testing.T, base, got *ofx.Statement, ex *Exchange) {
			if len(got.Transactions) != len(base.Transactions) {
				t.Errorf("%d transactions, want %d", len(got.Transactions), len(base.Transactions))
			}
		}},
	fakebank.FaultHang:         {class: bankfeed.FailUnreachable, short: true},
	fakebank.FaultReset:        {class: bankfeed.FailUnreachable},
	fakebank.FaultTLSExpired:   {class: bankfeed.FailTLSUntrusted, checkErr: httpStatus(0)},
	fakebank.FaultTLSWrongHost: {class: bankfeed.FailTLSUntrusted, checkErr: httpStatus(0)},
	fakebank.FaultTLSUntrusted: {class: bankfeed.FailTLSUntrusted, checkErr: httpStatus(0)},
	fakebank.FaultFITIDRekey: {checkOK: func(t *testing.T, base, got *ofx.Statement, _ *Exchange) {
		if fitidsWithPrefix(got, "RK") == 0 || len(got.Transactions) != len(base.Transactions) {
			t.Errorf("no FITID re-keyed among %d", len(got.Transactions))
		}
	}},
	fakebank.FaultPending: {checkOK: func(t *testing.T, base, got *ofx.Statement, _ *Exchange) {
		if fitidsWithPrefix(got, "PEND") == 0 {
			t.Errorf("no pending transaction among %d", len(got.Transactions))
		}
	}},
	fakebank.FaultDuplicateFITID: {checkOK: func(t *testing.T, base, got *ofx.Statement, _ *Exchange) {
		seen := map[string]bool{}
		dup := false
		for _, tx := range got.Transactions {
			dup = dup || seen[tx.FITID]
			seen[tx.FITID] = true
		}
		if !dup {
			t.Errorf("no FITID repeats among %d", len(got.Transactions))
		}
	}},
	fakebank.FaultBalanceMismatch: {checkOK: func(t *testing.T, base, got *ofx.Statement, _ *Exchange) {
		// Lines that do not add up are the caller's to find: a success here.
		delta := got.Ledger.Amount.Sub(base.Ledger.Amount)
		if delta.String() != "13.37" || got.Sum.Cmp(base.Sum) != 0 {
			t.Errorf("ledger moved by %s, sum %s (was %s)", delta, got.Sum, base.Sum)
		}
	}},
}

// TestFaultKindsCovered guards the table: every fault kind has a row.
func TestFaultKindsCovered(t *testing.T) {
	known := map[string]bool{}
	for _, k := range fakebank.Kinds {
		known[k.Name] = true
		if _, ok := faultCases[k.Name]; !ok {
			t.Errorf("fault kind %q has no row in faultCases", k.Name)
		}
	}
	for name := range faultCases {
		if !known[name] {
			t.Errorf("faultCases row %q is no fault kind", name)
		}
	}
}

// TestFaults switches each fault kind on at a fresh bank and fetches a
// statement: a failure of the expected class, or the statement the fault
// makes. The password shows in no transcript and no error.
func TestFaults(t *testing.T) {
	for _, k := range fakebank.Kinds {
		tc, ok := faultCases[k.Name]
		if !ok {
			continue // TestFaultKindsCovered fails
		}
		t.Run(k.Name, func(t *testing.T) {
			t.Parallel()
			b := startBank(t)
			var base *ofx.Statement
			if tc.class == "" {
				r, ex, err := b.statement(t, "sgml", "alice", "111")
				assertNoPassword(t, ex, err)
				if err != nil {
					t.Fatalf("before the fault: %v", err)
				}
				base = r.Statements[0]
			}
			spec := fakebank.FaultSpec{Kind: k.Name, Institution: "sgml"}
			if tc.scope != nil {
				tc.scope(&spec)
			}
			if _, err := b.srv.AddFault(spec); err != nil {
				t.Fatal(err)
			}
			if tc.short {
				b.c.HTTP.Timeout = 500 * time.Millisecond
			}
			b.c.HTTP.CloseIdleConnections() // TLS faults act on a new handshake
			r, ex, err := b.statement(t, "sgml", "alice", "111")
			assertNoPassword(t, ex, err)
			if ex == nil {
				t.Fatal("no exchange")
			}
			if tc.class == "" {
				if err != nil {
					t.Fatalf("error %v, want a statement", err)
				}
				if tc.checkOK != nil {
					tc.checkOK(t, base, r.Statements[0], ex)
				}
				return
			}
			if err == nil {
				t.Fatalf("a statement, want %s", tc.class)
			}
			fe := fetchError(t, err)
			if fe.Class != tc.class {
				t.Fatalf("class %s, want %s: %v", fe.Class, tc.class, err)
			}
			if r != nil {
				t.Error("a response beside the error")
			}
			if !strings.HasPrefix(err.Error(), string(tc.class)+": ") {
				t.Errorf("error %q does not start with its class", err)
			}
			if tc.checkErr != nil {
				tc.checkErr(t, fe, ex)
			}
			t.Logf("%v", err)
		})
	}
}
