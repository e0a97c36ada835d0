package web

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/bankfeed/bankfeed"
	"github.com/bankfeed/bankfeed/internal/books"
	"github.com/bankfeed/bankfeed/internal/diagnose"
	"github.com/bankfeed/bankfeed/internal/fakebank"
	"github.com/bankfeed/bankfeed/internal/secret"
	"github.com/bankfeed/bankfeed/internal/source/ofxdirect"
	"github.com/bankfeed/bankfeed/internal/store"
	"github.com/bankfeed/bankfeed/internal/syncer"
)

// apiWorld is bankfeed as `bankfeed serve` runs it, in-process: fakebank's
// banks over HTTPS on 127.0.0.1 with their own CA, a real SQLite store and
// key, the syncer, and the web server over them, with one user of each
// role ("admin", "bookkeeper", "viewer").
type apiWorld struct {
	t     *testing.T
	dir   string
	bank  *fakebank.Server
	db    *store.DB
	key   *secret.Key
	sy    *syncer.Syncer
	watch *diagnose.Watcher
	srv   *Server
	ts    *httptest.Server
	conns map[string]*bankfeed.Connection // by fakebank institution id
	// log, when set, keeps every exchange of the clients signed in after.
	log *apiLog
}

// apiWorldOptions shape an apiWorld.
type apiWorldOptions struct {
	scenario []byte            // the banks; the demo's when nil
	bankNow  func() time.Time  // the banks', the syncer's and the store's clock; real time when nil
	logins   map[string]string // fakebank institution id → connection name; each institution's first user
}

func newAPIWorld(t *testing.T, o apiWorldOptions) *apiWorld {
	t.Helper()
	if o.scenario == nil {
		o.scenario = fakebank.DemoScenario()
	}
	sc, err := fakebank.ParseScenario(bytes.NewReader(o.scenario))
	if err != nil {
		t.Fatal(err)
	}
	bank, err := fakebank.Start(sc, fakebank.Options{Host: "127.0.0.1", Now: o.bankNow, MaxHang: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = bank.Close() })
	w := &apiWorld{t: t, dir: t.TempDir(), bank: bank, conns: map[string]*bankfeed.Connection{}}
	caFile := filepath.Join(w.dir, "fakebank-ca.pem")
	if err := os.WriteFile(caFile, bank.CACertPEM(), 0o644); err != nil {
		t.Fatal(err)
	}
	if w.key, err = secret.LoadKey(secret.KeyOptions{Getenv: func(string) string { return "" }, DefaultPath: filepath.Join(w.dir, "key")}); err != nil {
		t.Fatal(err)
	}
	if w.db, err = store.Open(t.Context(), w.dir, store.Options{Now: o.bankNow}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = w.db.Close() })
	hash, err := hashOnce()
	if err != nil {
		t.Fatal(err)
	}
	err = w.db.Update(t.Context(), func(tx *store.Tx) error {
		for _, r := range bankfeed.Roles {
			if err := tx.AddUser(t.Context(), &bankfeed.User{Name: string(r), Role: r}, hash); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	hc := ofxdirect.NewHTTPClient(&tls.Config{RootCAs: bank.CertPool(), MinVersion: tls.VersionTLS12})
	t.Cleanup(hc.CloseIdleConnections)
	rs := books.ReviewService(w.db)
	sopts := syncer.Options{HTTP: ofxdirect.Client{HTTP: hc, Now: o.bankNow}, Review: rs.Ingest, Now: o.bankNow,
		Progress: func(ev syncer.Event) {
			if w.srv != nil {
				w.srv.Progress(ev)
			}
		}}
	w.sy = syncer.New(w.db, w.key, sopts)
	w.watch = &diagnose.Watcher{Syncer: w.sy, Diagnoser: diagnose.New(w.db, w.sy, diagnose.Options{})}
	w.srv, err = New(Options{DB: w.db, Key: w.key, Syncer: w.sy, Review: rs, SyncNow: nil})
	if err != nil {
		t.Fatal(err)
	}
	w.ts = httptest.NewServer(w.srv.Handler())
	t.Cleanup(func() {
		w.ts.Close()
		w.srv.Wait()
	})
	for _, in := range sc.Institutions {
		name, ok := o.logins[in.ID]
		if !ok {
			continue
		}
		u := in.Users[0]
		p := bankfeed.Profile{URL: bank.OFXURL(in.ID), Org: in.Org, FID: in.FID, BankID: in.BankID, Version: in.Version,
			ClientUIDRequired: in.ClientUIDRequired, CAFile: caFile, PortalURL: bank.PortalURL(in.ID)}
		res, err := w.sy.Connect(t.Context(), syncer.ConnectRequest{Name: name, Profile: p, UserID: u.ID, Password: secret.String(u.Password)})
		if err != nil {
			t.Fatalf("connect %s: %v", in.ID, err)
		}
		if res.Err != nil {
			t.Fatalf("connect %s: %v", in.ID, res.Err)
		}
		w.conns[in.ID] = res.Connection
	}
	return w
}

// sync syncs a connection as a person asking would, then diagnoses it as
// the job runner does after a sync.
func (w *apiWorld) sync(ctx context.Context, c *bankfeed.Connection) *syncer.Result {
	w.t.Helper()
	res, err := w.sy.Sync(ctx, c.ID, true)
	if err != nil {
		w.t.Fatalf("sync %s: %v", c.Name, err)
	}
	w.watch.After(ctx, res)
	return res
}

// apiClient is a small typed client of the JSON API: signed in with a
// session cookie or an API token.
type apiClient struct {
	t     testing.TB
	base  string
	hc    *http.Client
	token string
	who   string
	log   *apiLog
}

// apiSignIn signs in as name (a role's user) through POST /api/v1/session.
func (w *apiWorld) apiSignIn(name string) *apiClient {
	w.t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &apiClient{t: w.t, base: w.ts.URL, hc: &http.Client{Jar: jar, Timeout: 30 * time.Second}, who: name, log: w.log}
	var u bankfeed.User
	c.must("POST", "/api/v1/session", map[string]string{"name": name, "password": testPassword}, &u)
	if u.Name != name {
		w.t.Fatalf("signed in as %q, want %q", u.Name, name)
	}
	return c
}

// apiTokenClient makes an API token for a signed-in client and returns a
// client that uses only the token (no cookie).
func (c *apiClient) apiTokenClient(name string) *apiClient {
	c.t.Helper()
	var nt struct {
		Token string `json:"token"`
	}
	c.mustStatus("POST", "/api/v1/tokens", map[string]string{"name": name}, http.StatusCreated, &nt)
	if !strings.HasPrefix(nt.Token, "bft_") {
		c.t.Fatalf("token %q: want bft_...", nt.Token)
	}
	return &apiClient{t: c.t, base: c.base, hc: &http.Client{Timeout: 30 * time.Second}, token: nt.Token, who: c.who + " (token)", log: c.log}
}

// on returns the client reporting to t (a subtest).
func (c *apiClient) on(t testing.TB) *apiClient {
	d := *c
	d.t = t
	return &d
}

// apiAnswer is an answer read whole.
type apiAnswer struct {
	Status int
	Body   []byte
}

// apiErr is the error body of the API.
func (a apiAnswer) apiErr() (code, msg string) {
	var e apiError
	_ = json.Unmarshal(a.Body, &e)
	return string(e.Error.Code), e.Error.Message
}

// do sends a request; body is JSON unless it is an io.Reader (then ctype
// says what it is). Transport errors are returned, not fatal, so that
// concurrent callers can report them.
func (c *apiClient) do(ctx context.Context, method, path string, body any, ctype string) (apiAnswer, error) {
	var r io.Reader
	var sent []byte
	switch b := body.(type) {
	case nil:
	case io.Reader:
		r = b
	default:
		j, err := json.Marshal(b)
		if err != nil {
			return apiAnswer{}, err
		}
		r, ctype, sent = bytes.NewReader(j), "application/json", j
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, r)
	if err != nil {
		return apiAnswer{}, err
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	res, err := c.hc.Do(req)
	if err != nil {
		return apiAnswer{}, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	c.log.add(apiExchange{method: method, path: path, request: sent, status: res.StatusCode, ctype: res.Header.Get("Content-Type"), body: b})
	return apiAnswer{Status: res.StatusCode, Body: b}, err
}

// call sends a request and fails the test on a transport error.
func (c *apiClient) call(method, path string, body any) apiAnswer {
	c.t.Helper()
	a, err := c.do(context.Background(), method, path, body, "")
	if err != nil {
		c.t.Fatalf("%s %s as %s: %v", method, path, c.who, err)
	}
	return a
}

// mustStatus sends a request, wants the status want, and reads the answer
// into out (when not nil).
func (c *apiClient) mustStatus(method, path string, body any, want int, out any) {
	c.t.Helper()
	a := c.call(method, path, body)
	if a.Status != want {
		c.t.Fatalf("%s %s as %s: %d, want %d: %s", method, path, c.who, a.Status, want, bytes.TrimSpace(a.Body))
	}
	if out != nil {
		if err := json.Unmarshal(a.Body, out); err != nil {
			c.t.Fatalf("%s %s: %v: %s", method, path, err, a.Body)
		}
	}
}

// must is mustStatus wanting 200.
func (c *apiClient) must(method, path string, body any, out any) {
	c.t.Helper()
	c.mustStatus(method, path, body, http.StatusOK, out)
}

// apiQueue reads the whole review queue (state "review" or "decided").
func (c *apiClient) apiQueue(query string) []*store.QueueItem {
	c.t.Helper()
	var all []*store.QueueItem
	cursor := ""
	for {
		var page store.QueuePage
		c.must("GET", "/api/v1/review?limit=500&"+query+"&cursor="+cursor, nil, &page)
		all = append(all, page.Items...)
		if page.Next == "" {
			return all
		}
		cursor = page.Next
	}
}

// apiUpload sends statement files to POST /api/v1/imports.
func (c *apiClient) apiUpload(files map[string]string) apiAnswer {
	c.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for name, content := range files {
		fw, err := mw.CreateFormFile("file", name)
		if err != nil {
			c.t.Fatal(err)
		}
		_, _ = io.WriteString(fw, content)
	}
	_ = mw.Close()
	a, err := c.do(context.Background(), "POST", "/api/v1/imports", &body, mw.FormDataContentType())
	if err != nil {
		c.t.Fatal(err)
	}
	return a
}

// apiRouteSet lists the routes the server serves, as "METHOD /path".
func (w *apiWorld) apiRouteSet() map[string]bool {
	out := map[string]bool{}
	for _, r := range w.srv.Routes() {
		out[r.Pattern] = true
	}
	return out
}

// TestAPIEndToEnd runs the browser tests' scenarios through the JSON API
// only, against the whole program: banks, syncer, store and server.
func TestAPIEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("end to end: starts banks and syncs")
	}
	w := newAPIWorld(t, apiWorldOptions{logins: map[string]string{fakebank.DemoHealthy: "maple", fakebank.DemoMaintenance: "harbor"}})
	ctx := t.Context()
	routes := w.apiRouteSet()
	for _, c := range w.conns {
		w.sync(ctx, c)
	}
	// Harbor goes into maintenance; the next sync finds it so.
	for _, f := range fakebank.DemoFaults(time.Now()) {
		if f.Institution != fakebank.DemoMaintenance {
			continue
		}
		if _, err := w.bank.AddFault(f); err != nil {
			t.Fatal(err)
		}
	}
	w.sync(ctx, w.conns[fakebank.DemoMaintenance])

	w.log = &apiLog{}
	admin := w.apiSignIn("admin")
	book := w.apiSignIn("bookkeeper")
	viewer := w.apiSignIn("viewer").apiTokenClient("read-only script")
	var me bankfeed.User
	viewer.must("GET", "/api/v1/me", nil, &me)
	if me.Name != "viewer" || me.Role != bankfeed.RoleViewer {
		t.Fatalf("the viewer's token signs in %+v", me)
	}

	t.Run("status", func(t *testing.T) {
		viewer := viewer.on(t)
		if !routes["GET /api/v1/status"] {
			t.Skip("no GET /api/v1/status")
		}
		var st struct {
			Institutions []struct {
				Name        string `json:"name"`
				Connections []struct {
					Name  string `json:"name"`
					State string `json:"state"`
				} `json:"connections"`
			} `json:"institutions"`
			Cards []struct {
				Connection string `json:"connection"`
				Class      string `json:"failure_class"`
				What       string `json:"what"`
				Diagnosis  *struct {
					Class string `json:"class"`
					Title string `json:"title"`
				} `json:"diagnosis"`
			} `json:"cards"`
			Unreviewed int64 `json:"unreviewed"`
		}
		viewer.must("GET", "/api/v1/status", nil, &st)
		if len(st.Institutions) != 2 || st.Unreviewed == 0 {
			t.Errorf("status: %d institutions, %d lines waiting; want 2 and some", len(st.Institutions), st.Unreviewed)
		}
		found := false
		for _, c := range st.Cards {
			if c.Connection != "harbor" {
				t.Errorf("card for %s (%s): only harbor is in trouble", c.Connection, c.What)
				continue
			}
			found = true
			if c.Class != string(bankfeed.FailMaintenance) {
				t.Errorf("harbor's card: class %q, want maintenance", c.Class)
			}
			if c.Diagnosis == nil || c.Diagnosis.Class != string(bankfeed.FailMaintenance) {
				t.Errorf("harbor's card: diagnosis %+v, want class maintenance", c.Diagnosis)
			}
		}
		if !found {
			t.Errorf("no card for harbor: %+v", st.Cards)
		}
	})

	// A statement file for an account of its own, by upload.
	stmt := booksOFX("5550001",
		booksTxn{"e2e-1", "2026-01-02", "-42.17", "CORNER GROCERY"},
		booksTxn{"e2e-2", "2026-01-03", "-15.00", "PARKING GARAGE"},
		booksTxn{"e2e-3", "2026-01-05", "-9.99", "STREAMING SERVICE"},
		booksTxn{"e2e-4", "2026-01-09", "-120.00", "ELECTRIC COMPANY"},
		booksTxn{"e2e-5", "2026-01-10", "-64.00", "WATER UTILITY"},
		booksTxn{"e2e-6", "2026-01-12", "-23.45", "COFFEE ROASTERS"},
	)
	var acct bankfeed.AccountID
	byFITID := map[string]bankfeed.LineID{}
	t.Run("import", func(t *testing.T) {
		book, viewer := book.on(t), viewer.on(t)
		if !routes["POST /api/v1/imports"] {
			t.Skip("no POST /api/v1/imports")
		}
		var ans struct {
			Imported int `json:"imported"`
			Files    []struct {
				Outcome    string `json:"outcome"`
				Statements []struct {
					AccountID *bankfeed.AccountID `json:"account_id"`
				} `json:"statements"`
				Counts bankfeed.ImportCounts `json:"counts"`
			} `json:"files"`
		}
		a := book.apiUpload(map[string]string{"march.ofx": stmt})
		if a.Status != http.StatusOK {
			t.Fatalf("upload: %d: %s", a.Status, a.Body)
		}
		if err := json.Unmarshal(a.Body, &ans); err != nil {
			t.Fatal(err)
		}
		if ans.Imported != 1 || ans.Files[0].Counts.New != 6 || len(ans.Files[0].Statements) != 1 || ans.Files[0].Statements[0].AccountID == nil {
			t.Fatalf("upload: %s", a.Body)
		}
		acct = *ans.Files[0].Statements[0].AccountID
		// Again: nothing new.
		a = book.apiUpload(map[string]string{"march-again.ofx": stmt})
		if a.Status != http.StatusOK || !bytes.Contains(a.Body, []byte(`"new":0`)) {
			t.Errorf("the same file again: %d: %s", a.Status, a.Body)
		}
		if routes["GET /api/v1/imports"] {
			var ims []bankfeed.Import
			viewer.must("GET", "/api/v1/imports", nil, &ims)
			if len(ims) == 0 || ims[len(ims)-1].FileName == "" {
				t.Errorf("imports: %+v", ims)
			}
		}
		for _, it := range book.apiQueue("account=" + strconv.FormatInt(int64(acct), 10)) {
			byFITID[it.Line.FITID] = it.LineID
		}
		if len(byFITID) != 6 {
			t.Fatalf("queue of account %d: %d lines, want the 6 imported", acct, len(byFITID))
		}
	})
	if acct == 0 {
		t.Fatal("no account imported: the review steps need it")
	}
	acctRef := strconv.FormatInt(int64(acct), 10)

	t.Run("review", func(t *testing.T) {
		book, admin := book.on(t), admin.on(t)
		if !routes["POST /api/v1/review/{line}/add"] {
			t.Skip("no review routes")
		}
		var d decisionResultJSON
		// Add, with a category.
		book.must("POST", apiLinePath(byFITID["e2e-1"], "add"), map[string]string{"payee": "Corner Grocery", "category": "Expenses:Groceries"}, &d)
		if d.State != bankfeed.ReviewAdded || d.Entry == nil || len(d.Entry.Splits) != 2 {
			t.Errorf("add: %+v", d)
		}
		// Match, to an entry typed before the line came.
		if routes["POST /api/v1/entries"] {
			var en bankfeed.Entry
			book.mustStatus("POST", "/api/v1/entries", map[string]any{"date": "2026-01-03", "payee": "Parking Garage",
				"account": acctRef, "amount": "-15.00", "category": "Expenses:Parking"}, http.StatusCreated, &en)
			// Typing the entry may match the waiting line at once; undone,
			// the line is matched by hand.
			for _, it := range book.apiQueue("state=decided&account=" + acctRef) {
				if it.LineID == byFITID["e2e-2"] {
					if it.State != bankfeed.ReviewMatched || it.EntryID == nil || *it.EntryID != en.ID {
						t.Errorf("line e2e-2 after its entry was typed: %q, entry %v", it.State, it.EntryID)
					}
					book.must("POST", apiLinePath(it.LineID, "undo"), nil, &d)
				}
			}
			book.must("POST", apiLinePath(byFITID["e2e-2"], "match"), map[string]any{"entry_id": en.ID}, &d)
			if d.State != bankfeed.ReviewMatched || d.Entry == nil || d.Entry.ID != en.ID {
				t.Errorf("match to entry %d: %+v", en.ID, d)
			}
		} else {
			t.Log("no POST /api/v1/entries: the match step is left out")
		}
		// Exclude two; undo one.
		book.must("POST", apiLinePath(byFITID["e2e-3"], "exclude"), map[string]string{"reason": "personal"}, &d)
		book.must("POST", apiLinePath(byFITID["e2e-4"], "exclude"), nil, &d)
		book.must("POST", apiLinePath(byFITID["e2e-4"], "undo"), nil, &d)
		if d.State != bankfeed.ReviewPending {
			t.Errorf("undo: %+v", d)
		}
		// A second decision on a decided line is refused, and the first stands.
		if a := book.call("POST", apiLinePath(byFITID["e2e-3"], "add"), nil); a.Status != http.StatusConflict {
			t.Errorf("add of an excluded line: %d, want 409: %s", a.Status, a.Body)
		}
		// The queue and the decided list say so.
		states := map[bankfeed.LineID]bankfeed.ReviewState{}
		for _, it := range book.apiQueue("state=decided&account=" + acctRef) {
			states[it.LineID] = it.State
		}
		for _, it := range book.apiQueue("account=" + acctRef) {
			states[it.LineID] = it.State
		}
		want := map[string]bankfeed.ReviewState{"e2e-1": bankfeed.ReviewAdded, "e2e-3": bankfeed.ReviewExcluded,
			"e2e-4": bankfeed.ReviewPending, "e2e-5": bankfeed.ReviewPending, "e2e-6": bankfeed.ReviewPending}
		if routes["POST /api/v1/entries"] {
			want["e2e-2"] = bankfeed.ReviewMatched
		}
		for fitid, st := range want {
			if got := states[byFITID[fitid]]; got != st {
				t.Errorf("line %s: %q, want %q", fitid, got, st)
			}
		}
		if routes["GET /api/v1/audit"] {
			var log []bankfeed.AuditEntry
			admin.must("GET", "/api/v1/audit?subject=line+"+strconv.FormatInt(int64(byFITID["e2e-4"]), 10), nil, &log)
			var actions []string
			for _, e := range log {
				actions = append(actions, e.Action+" by "+e.Actor)
			}
			if len(log) < 2 || log[0].Actor != "bookkeeper" {
				t.Errorf("audit of the undone line: %v", actions)
			}
		}
	})

	t.Run("rules", func(t *testing.T) {
		if !routes["POST /api/v1/rules"] {
			t.Skip("no POST /api/v1/rules")
		}
		book := book.on(t)
		var rule struct {
			ID          int64  `json:"id"`
			Description string `json:"description"`
		}
		book.mustStatus("POST", "/api/v1/rules", map[string]any{"name": "coffee",
			"conditions": []map[string]string{{"field": "description", "op": "contains", "value": "coffee roasters"}},
			"actions":    []map[string]string{{"set": "payee", "value": "Coffee Roasters"}, {"set": "category", "value": "Expenses:Coffee"}}},
			http.StatusCreated, &rule)
		if rule.ID == 0 || rule.Description == "" {
			t.Fatalf("rule: %+v", rule)
		}
		// It applies to the queue at once: the line waiting gets the rule's
		// payee and category, and, a rule being sure of its category, is
		// booked with them.
		var it *store.QueueItem
		for _, q := range []string{"account=", "state=decided&account="} {
			for _, x := range book.apiQueue(q + acctRef) {
				if x.LineID == byFITID["e2e-6"] {
					it = x
				}
			}
		}
		ruleName := "rule " + strconv.FormatInt(rule.ID, 10)
		if it == nil || it.Category != "Expenses:Coffee" || it.Payee != "Coffee Roasters" || it.SetBy["category"] != ruleName {
			t.Fatalf("line e2e-6 after the rule: %+v", it)
		}
		var d decisionResultJSON
		switch it.State {
		case bankfeed.ReviewPending:
			book.must("POST", apiLinePath(it.LineID, "add"), nil, &d)
		case bankfeed.ReviewAdded:
			d.Entry = new(bankfeed.Entry)
			book.must("GET", "/api/v1/entries/"+strconv.FormatInt(int64(*it.EntryID), 10), nil, d.Entry)
		default:
			t.Fatalf("line e2e-6 after the rule: %q", it.State)
		}
		if d.Entry == nil || d.Entry.Payee != "Coffee Roasters" || !apiHasSplit(d.Entry, "Expenses:Coffee") {
			t.Errorf("line e2e-6 booked as the rule says: %+v", d.Entry)
		}
		// Lines the rule does not name are left as they were.
		for _, x := range book.apiQueue("account=" + acctRef) {
			if x.LineID == byFITID["e2e-5"] && x.SetBy["category"] == ruleName {
				t.Errorf("the coffee rule labelled line e2e-5: %+v", x.Review)
			}
		}
	})

	t.Run("reconcile", func(t *testing.T) {
		if !routes["POST /api/v1/reconciliations"] {
			t.Skip("no POST /api/v1/reconciliations")
		}
		book, viewer := book.on(t), viewer.on(t)
		// The statement's balance is what the books hold for the account:
		// the lines booked (added or matched) so far.
		balance := bankfeed.Decimal{}
		booked := 0
		for _, it := range book.apiQueue("state=decided&account=" + acctRef) {
			if it.State == bankfeed.ReviewAdded || it.State == bankfeed.ReviewMatched {
				balance = balance.Add(it.Line.Amount)
				booked++
			}
		}
		if booked == 0 {
			t.Fatal("nothing booked to reconcile")
		}
		type statement struct {
			ID             int64  `json:"id"`
			State          string `json:"state"`
			Ticked         int    `json:"ticked"`
			Difference     string `json:"difference"`
			DifferenceZero bool   `json:"difference_zero"`
			TickedSplits   []struct {
				ID int64 `json:"id"`
			} `json:"ticked_splits"`
		}
		var st statement
		book.mustStatus("POST", "/api/v1/reconciliations", map[string]any{"account": acctRef, "statement_on": "2026-02-28",
			"balance": balance.String()}, http.StatusCreated, &st)
		if st.State != "open" || st.Ticked != booked || !st.DifferenceZero {
			t.Fatalf("reconciliation started at %s: %+v, want %d ticked and no difference", balance, st, booked)
		}
		// Unticked, it no longer balances and cannot be finished; ticked
		// again, it can.
		one := []int64{st.TickedSplits[0].ID}
		book.must("POST", fmt.Sprintf("/api/v1/reconciliations/%d/untick", st.ID), map[string]any{"splits": one}, &st)
		if st.DifferenceZero {
			t.Errorf("untick: still no difference: %+v", st)
		}
		if a := book.call("POST", fmt.Sprintf("/api/v1/reconciliations/%d/finish", st.ID), nil); a.Status < 400 || a.Status >= 500 {
			t.Errorf("finish with a difference: %d: %s", a.Status, a.Body)
		}
		book.must("POST", fmt.Sprintf("/api/v1/reconciliations/%d/tick", st.ID), map[string]any{"splits": one}, &st)
		book.must("POST", fmt.Sprintf("/api/v1/reconciliations/%d/finish", st.ID), nil, &st)
		if st.State != "locked" {
			t.Errorf("finished: %+v", st)
		}
		viewer.must("GET", fmt.Sprintf("/api/v1/reconciliations/%d", st.ID), nil, &st)
		if st.State != "locked" || !st.DifferenceZero {
			t.Errorf("the viewer sees %+v", st)
		}
		if routes["GET /api/v1/reconcile"] {
			var reports []struct {
				FeedAccountID bankfeed.AccountID `json:"feed_account_id"`
			}
			viewer.must("GET", "/api/v1/reconcile", nil, &reports)
			if len(reports) == 0 {
				t.Errorf("reconcile check: no accounts")
			}
		}
	})

	t.Run("export", func(t *testing.T) {
		if !routes["GET /api/v1/export"] {
			t.Skip("no GET /api/v1/export")
		}
		a := viewer.on(t).call("GET", "/api/v1/export?format=hledger&account="+acctRef, nil)
		if a.Status != http.StatusOK || !bytes.Contains(a.Body, []byte("Corner Grocery")) || !bytes.Contains(a.Body, []byte("Expenses:Groceries")) {
			t.Errorf("hledger export of the imported account: %d:\n%s", a.Status, a.Body)
		}
	})

	t.Run("viewer refused", func(t *testing.T) {
		book, viewer := book.on(t), viewer.on(t)
		// Every write, with real ids, is refused before it runs, and
		// nothing changed.
		n := 0
		for _, r := range w.srv.Routes() {
			method, path, _ := strings.Cut(r.Pattern, " ")
			if method == "GET" || !strings.HasPrefix(path, "/api/v1/") || r.Need <= Viewer {
				continue
			}
			path = strings.NewReplacer("{line}", strconv.FormatInt(int64(byFITID["e2e-5"]), 10),
				"{id}", "1", "{name}", "x").Replace(path)
			path = apiParamRE.ReplaceAllString(path, "1")
			a := viewer.call(method, path, map[string]string{})
			if a.Status != http.StatusForbidden {
				t.Errorf("%s as a viewer: %d, want 403: %s", r.Pattern, a.Status, a.Body)
			} else if code, _ := a.apiErr(); code != string(bankfeed.EUnauthorized) {
				t.Errorf("%s as a viewer: code %q, want unauthorized", r.Pattern, code)
			}
			n++
		}
		if n < 5 {
			t.Errorf("only %d writes to refuse", n)
		}
		if a := viewer.apiUpload(map[string]string{"x.ofx": stmt}); a.Status != http.StatusForbidden {
			t.Errorf("upload as a viewer: %d", a.Status)
		}
		for _, it := range book.apiQueue("account=" + acctRef) {
			if it.LineID == byFITID["e2e-5"] && it.State != bankfeed.ReviewPending {
				t.Errorf("a refused write changed line e2e-5: %q", it.State)
			}
		}
	})

	t.Run("reads", func(t *testing.T) {
		// Every list and record the API reads answers, as the admin sees
		// it (and so is checked against the document below).
		admin := admin.on(t)
		harbor := strconv.FormatInt(int64(w.conns[fakebank.DemoMaintenance].ID), 10)
		reads := []string{"/api/v1/connections", "/api/v1/connections/" + harbor, "/api/v1/connections/" + harbor + "/diagnosis",
			"/api/v1/institutions", "/api/v1/runs?limit=5", "/api/v1/accounts", "/api/v1/accounts/" + acctRef + "/lines?limit=3",
			"/api/v1/balances?days=30", "/api/v1/ledger-accounts", "/api/v1/entries", "/api/v1/rules", "/api/v1/users",
			"/api/v1/settings", "/api/v1/deadlines", "/api/v1/reconcile", "/api/v1/reconciliations", "/api/v1/imports",
			"/api/v1/review?state=decided&limit=5", "/api/v1/tokens", "/api/v1/audit?limit=20", "/api/v1/openapi.json"}
		var runs struct {
			Runs []struct {
				ID int64 `json:"id"`
			} `json:"runs"`
		}
		if routes["GET /api/v1/runs"] {
			admin.must("GET", "/api/v1/runs?connection="+harbor+"&limit=1", nil, &runs)
			if len(runs.Runs) == 1 {
				reads = append(reads, "/api/v1/runs/"+strconv.FormatInt(runs.Runs[0].ID, 10))
			}
		}
		for _, path := range reads {
			pattern, _, _ := strings.Cut(path, "?")
			pattern = "GET " + regexp.MustCompile(`/[0-9]+(/|$)`).ReplaceAllString(pattern, "/{id}$1")
			if !routes[pattern] && !routes[strings.Replace(pattern, "{id}", "{line}", 1)] {
				t.Logf("no %s", pattern)
				continue
			}
			if a := admin.call("GET", path, nil); a.Status != http.StatusOK {
				t.Errorf("GET %s: %d: %s", path, a.Status, a.Body)
			}
		}
	})

	// Every JSON answer above, errors too, fits what openapi.json says of
	// its route and status.
	t.Run("answers fit the document", func(t *testing.T) {
		w.log.mu.Lock()
		defer w.log.mu.Unlock()
		if len(w.log.list) < 20 {
			t.Fatalf("only %d exchanges kept", len(w.log.list))
		}
		apiConformAll(t, w.log.list)
	})
}

// decisionResultJSON is the answer to a review decision, as a client reads
// it.
type decisionResultJSON struct {
	LineID bankfeed.LineID      `json:"line_id"`
	State  bankfeed.ReviewState `json:"state"`
	Entry  *bankfeed.Entry      `json:"entry"`
}

func apiLinePath(id bankfeed.LineID, action string) string {
	return "/api/v1/review/" + strconv.FormatInt(int64(id), 10) + "/" + action
}

// apiHasSplit reports whether an entry has a split in account.
func apiHasSplit(e *bankfeed.Entry, account string) bool {
	for _, sp := range e.Splits {
		if sp.AccountName == account {
			return true
		}
	}
	return false
}
