package diagnose_test

import (
	"context"
	"crypto/tls"
	"fmt"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bankfeed/bankfeed"
	"github.com/bankfeed/bankfeed/internal/diagnose"
	"github.com/bankfeed/bankfeed/internal/fakebank"
	"github.com/bankfeed/bankfeed/internal/secret"
	"github.com/bankfeed/bankfeed/internal/source/ofxdirect"
	"github.com/bankfeed/bankfeed/internal/store"
	"github.com/bankfeed/bankfeed/internal/syncer"
)

const pwAlice = `Tr0ub4dor&3<x>"q"`

// matrixScenario: one SGML bank with two logins, so that the other
// connection at the bank is evidence too.
var matrixScenario = fmt.Sprintf(`{
  "seed": 7,
  "start": "2026-01-01",
  "zone": "America/New_York",
  "institutions": [
    {"id": "sgml", "name": "SGML Bank", "org": "SB", "fid": "1001", "bank_id": "021000021", "version": "102",
     "lockout_after": 3,
     "users": [
       {"id": "alice", "password": %q, "accounts": [
         {"id": "111", "type": "checking", "opening_balance": "1000.00"},
         {"id": "222", "type": "savings", "opening_balance": "5000.00"},
         {"id": "333", "type": "creditcard"}]},
       {"id": "dave", "password": "dave-pass-1234", "accounts": [
         {"id": "777", "type": "checking", "opening_balance": "800.00"}]}]}
  ]
}`, pwAlice)

// faultCase is what a fault kind must be diagnosed as: a failure class, or
// diagnose.ClassOK for a fault a sync gets through.
type faultCase struct {
	class   string
	account string
	params  map[string]string
	// short gives the client a short timeout (a bank that hangs).
	short bool
}

var faultCases = map[string]faultCase{
	fakebank.FaultMaintenance503:   {class: string(bankfeed.FailMaintenance)},
	fakebank.FaultMaintenancePage:  {class: string(bankfeed.FailMaintenance)},
	fakebank.FaultMaintenanceOFX:   {class: string(bankfeed.FailMaintenance)},
	fakebank.FaultHTTP500:          {class: string(bankfeed.FailServerError)},
	fakebank.FaultOFX2000:          {class: string(bankfeed.FailServerError)},
	fakebank.FaultEmptyBody:        {class: string(bankfeed.FailServerError)},
	fakebank.FaultTruncated:        {class: string(bankfeed.FailDataIncomplete)},
	fakebank.FaultMalformed:        {class: string(bankfeed.FailServerError)},
	fakebank.FaultWrongContentType: {class: diagnose.ClassOK},
	fakebank.FaultWAF:              {class: string(bankfeed.FailBlockedClient)},
	fakebank.FaultRejectUserAgent:  {class: string(bankfeed.FailBlockedClient)},
	fakebank.FaultRejectAppVer:     {class: string(bankfeed.FailBlockedClient)},
	fakebank.FaultChangePassword:   {class: string(bankfeed.FailActionRequired)},
	fakebank.FaultClientUID:        {class: string(bankfeed.FailActionRequired)},
	fakebank.FaultAcceptTerms:      {class: string(bankfeed.FailActionRequired)},
	fakebank.FaultBadCredentials:   {class: string(bankfeed.FailInvalidCredentials)},
	fakebank.FaultLockout:          {class: string(bankfeed.FailLocked)},
	fakebank.FaultMFA:              {class: string(bankfeed.FailMFARequired)},
	fakebank.FaultAccountNotFound:  {class: string(bankfeed.FailAccountNotFound), account: "111"},
	fakebank.FaultRateLimitOFX:     {class: string(bankfeed.FailRateLimited)},
	fakebank.FaultRateLimit429:     {class: string(bankfeed.FailRateLimited)},
	fakebank.FaultLatency:          {class: diagnose.ClassOK, params: map[string]string{"delay": "100ms"}},
	fakebank.FaultTrickle:          {class: diagnose.ClassOK, params: map[string]string{"chunk": "512", "interval": "1ms"}},
	fakebank.FaultHang:             {class: string(bankfeed.FailUnreachable), short: true},
	fakebank.FaultReset:            {class: string(bankfeed.FailUnreachable)},
	fakebank.FaultTLSExpired:       {class: string(bankfeed.FailTLSUntrusted)},
	fakebank.FaultTLSWrongHost:     {class: string(bankfeed.FailTLSUntrusted)},
	fakebank.FaultTLSUntrusted:     {class: string(bankfeed.FailTLSUntrusted)},
	fakebank.FaultFITIDRekey:       {class: diagnose.ClassOK},
	fakebank.FaultPending:          {class: diagnose.ClassOK},
	fakebank.FaultDuplicateFITID:   {class: diagnose.ClassOK},
	fakebank.FaultBalanceMismatch:  {class: diagnose.ClassOK},
}

func TestFaultCasesCovered(t *testing.T) {
	for _, k := range fakebank.Kinds {
		if _, ok := faultCases[k.Name]; !ok {
			t.Errorf("fault kind %q has no row in faultCases", k.Name)
		}
	}
}

// outcome is one fault kind's diagnosis.
type outcome struct {
	kind, want string
	v          *diagnose.Verdict
	took       time.Duration
	err        error
}

// diagnoseFault syncs a connection under a fault kind and diagnoses it, on
// a fresh bank and store.
func diagnoseFault(tb testing.TB, kind string, tc faultCase) outcome {
	ctx := context.Background()
	sc, err := fakebank.ParseScenario(strings.NewReader(matrixScenario))
	if err != nil {
		tb.Fatal(err)
	}
	srv, err := fakebank.Start(sc, fakebank.Options{MaxHang: 5 * time.Second})
	if err != nil {
		tb.Fatal(err)
	}
	defer srv.Close()
	dir := tb.TempDir()
	db, err := store.Open(ctx, dir, store.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	defer db.Close()
	key, err := secret.LoadKey(secret.KeyOptions{Getenv: func(string) string { return "" }, DefaultPath: filepath.Join(dir, "key")})
	if err != nil {
		tb.Fatal(err)
	}
	hc := ofxdirect.NewHTTPClient(&tls.Config{RootCAs: srv.CertPool()})
	defer hc.CloseIdleConnections()
	s := syncer.New(db, key, syncer.Options{HTTP: ofxdirect.Client{HTTP: hc}})
	in := sc.Institutions[0]
	p := bankfeed.Profile{URL: srv.OFXURL(in.ID), Org: in.Org, FID: in.FID, BankID: in.BankID, Version: in.Version}
	ids := map[string]bankfeed.ConnectionID{}
	for _, u := range in.Users {
		res, err := s.Connect(ctx, syncer.ConnectRequest{Name: u.ID, Profile: p, UserID: u.ID, Password: secret.String(u.Password)})
		if err == nil && res.Err != nil {
			err = res.Err
		}
		if err != nil {
			tb.Fatalf("connect %s: %v", u.ID, err)
		}
		ids[u.ID] = res.Connection.ID
		if _, err := s.Sync(ctx, res.Connection.ID, true); err != nil {
			tb.Fatal(err)
		}
	}
	spec := fakebank.FaultSpec{Kind: kind, Institution: in.ID, User: "alice", Account: tc.account, Params: tc.params}
	for _, k := range fakebank.Kinds {
		if k.Name == kind && k.Layer == "tls" {
			spec.User = "" // a handshake knows no user
		}
	}
	if _, err := srv.AddFault(spec); err != nil {
		tb.Fatal(err)
	}
	if tc.short {
		hc.Timeout = 500 * time.Millisecond
	}
	hc.CloseIdleConnections()
	if _, err := s.Sync(ctx, ids["alice"], true); err != nil {
		tb.Fatal(err)
	}
	d := diagnose.New(db, s, diagnose.Options{Timeout: 2 * time.Second, StepTimeout: time.Second})
	start := time.Now()
	v, err := d.Diagnose(ctx, ids["alice"])
	return outcome{kind: kind, want: tc.class, v: v, took: time.Since(start), err: err}
}

// runMatrix diagnoses every fault kind and returns the outcomes, sorted.
func runMatrix(tb testing.TB) []outcome {
	var mu sync.Mutex
	var out []outcome
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	for _, k := range fakebank.Kinds {
		tc, ok := faultCases[k.Name]
		if !ok {
			continue
		}
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			o := diagnoseFault(tb, k.Name, tc)
			mu.Lock()
			out = append(out, o)
			mu.Unlock()
		})
	}
	wg.Wait()
	sort.Slice(out, func(i, j int) bool { return out[i].kind < out[j].kind })
	return out
}

// confusion renders the confusion matrix: a row per expected class, a
// column per class diagnosed first.
func confusion(out []outcome) (string, bool) {
	var classes []string
	for _, o := range out {
		classes = append(classes, o.want)
		if o.v != nil {
			classes = append(classes, o.v.Class)
		}
	}
	slices.Sort(classes)
	classes = slices.Compact(classes)
	m := map[[2]string]int{}
	diagonal := true
	for _, o := range out {
		got := "error"
		if o.v != nil {
			got = o.v.Class
		}
		m[[2]string{o.want, got}]++
		if got != o.want {
			diagonal = false
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%-26s", "expected \\ diagnosed")
	for i := range classes {
		fmt.Fprintf(&b, " %3d", i+1)
	}
	b.WriteString("\n")
	for i, want := range classes {
		fmt.Fprintf(&b, "%2d %-23s", i+1, want)
		for _, got := range classes {
			if n := m[[2]string{want, got}]; n > 0 {
				fmt.Fprintf(&b, " %3d", n)
			} else {
				b.WriteString("   .")
			}
		}
		b.WriteString("\n")
	}
	return b.String(), diagonal
}

// TestConfusionMatrix diagnoses a sync under every fakebank fault kind:
// the class named first must be the fault's, so the matrix is diagonal.
func TestConfusionMatrix(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a bank per fault kind")
	}
	out := runMatrix(t)
	for _, o := range out {
		if o.err != nil {
			t.Errorf("%s: %v", o.kind, o.err)
			continue
		}
		if o.v.Class != o.want {
			t.Errorf("%s: diagnosed %s (%v), want %s; evidence %+v", o.kind, o.v.Class, o.v.Likelihoods, o.want, o.v.Evidence)
		}
		if o.took > 5*time.Second {
			t.Errorf("%s: the verdict took %s", o.kind, o.took)
		}
		if o.v.DataAtRisk || o.v.DataRisk == "" {
			t.Errorf("%s: data at risk %v, %q", o.kind, o.v.DataAtRisk, o.v.DataRisk)
		}
		if o.v.Class != diagnose.ClassOK && (len(o.v.Steps) == 0 || o.v.Title == "" || o.v.Code == "") {
			t.Errorf("%s: verdict without steps, title or code: %+v", o.kind, o.v)
		}
	}
	m, diagonal := confusion(out)
	t.Logf("confusion matrix (%d fault kinds):\n%s", len(out), m)
	if !diagonal {
		t.Error("the confusion matrix is not diagonal")
	}
}

// BenchmarkDiagnoseFaults prints the confusion matrix over every fault
// kind and the time per verdict.
//
//	go test -run '^$' -bench DiagnoseFaults -benchtime 1x ./internal/diagnose/
func BenchmarkDiagnoseFaults(b *testing.B) {
	var out []outcome
	for range b.N {
		out = runMatrix(b)
	}
	m, diagonal := confusion(out)
	var total, worst time.Duration
	var rows []string
	for _, o := range out {
		total += o.took
		worst = max(worst, o.took)
		got := "error"
		if o.v != nil {
			got = o.v.Class
		}
		rows = append(rows, fmt.Sprintf("%-20s %-26s %-26s %6d ms", o.kind, o.want, got, o.took.Milliseconds()))
	}
	b.Logf("verdicts per fault kind:\n%-20s %-26s %-26s %9s\n%s\n\nconfusion matrix (diagonal: %v):\n%s",
		"fault", "expected", "diagnosed", "time", strings.Join(rows, "\n"), diagonal, m)
	b.ReportMetric(float64(total.Milliseconds())/float64(len(out)), "ms/verdict")
	b.ReportMetric(float64(worst.Milliseconds()), "worst_ms")
	if diagonal {
		b.ReportMetric(1, "diagonal")
	} else {
		b.ReportMetric(0, "diagonal")
	}
}
