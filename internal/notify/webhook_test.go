package notify

import (
	"context"
	"crypto/hmac"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bankfeed/bankfeed"
	"github.com/bankfeed/bankfeed/internal/diagnose"
	"github.com/bankfeed/bankfeed/internal/store"
)

const testSecret = "whsec-test-Zq9$&"

// hook is a webhook receiver on 127.0.0.1 that records what it is sent
// and answers with status.
type hook struct {
	*httptest.Server
	mu       sync.Mutex
	status   int
	received []received
}

type received struct {
	header  http.Header
	body    []byte
	payload Payload
}

func newHook(t *testing.T) *hook {
	t.Helper()
	h := &hook{status: http.StatusNoContent}
	h.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var p Payload
		if err := json.Unmarshal(body, &p); err != nil {
			t.Errorf("webhook body is not a payload: %v\n%s", err, body)
		}
		h.mu.Lock()
		defer h.mu.Unlock()
		if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/json" {
			t.Errorf("webhook request %s, Content-Type %q", r.Method, r.Header.Get("Content-Type"))
		}
		h.received = append(h.received, received{r.Header.Clone(), body, p})
		w.WriteHeader(h.status)
	}))
	t.Cleanup(h.Close)
	return h
}

func (h *hook) setStatus(s int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.status = s
}

func (h *hook) got() []received {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]received(nil), h.received...)
}

// openStore returns a store holding one connection.
func openStore(t *testing.T) (*store.DB, bankfeed.ConnectionID) {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, t.TempDir(), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	c := &bankfeed.Connection{Name: "checking"}
	err = db.Update(ctx, func(tx *store.Tx) error {
		inst, err := tx.EnsureInstitution(ctx, "B1", "10898", "")
		if err != nil {
			return err
		}
		c.InstitutionID = inst.ID
		return tx.CreateConnection(ctx, c, []byte("sealed"))
	})
	if err != nil {
		t.Fatal(err)
	}
	return db, c.ID
}

func verdict(conn bankfeed.ConnectionID, class bankfeed.FailureClass, escalate bool) *diagnose.Verdict {
	return &diagnose.Verdict{Connection: "checking", ConnectionID: conn, Class: string(class), Escalate: escalate,
		Title: "title of " + string(class)}
}

func TestNotifyOncePerChange(t *testing.T) {
	ctx := context.Background()
	db, conn := openStore(t)
	h := newHook(t)
	sent := time.Date(2026, 3, 13, 10, 0, 0, 0, time.UTC)
	w := &Webhook{URL: h.URL + "/hook", Secret: testSecret, Now: func() time.Time { return sent }}
	steps := []struct {
		name     string
		v        *diagnose.Verdict
		wantSent bool
		wantKey  string
	}{
		{"maintenance needs nobody", verdict(conn, bankfeed.FailMaintenance, false), false, ""},
		{"terms to accept", verdict(conn, bankfeed.FailActionRequired, false), true, "bank.action_required"},
		{"the same again", verdict(conn, bankfeed.FailActionRequired, false), false, "bank.action_required"},
		{"time to escalate", verdict(conn, bankfeed.FailActionRequired, true), true, "bank.action_required+escalate"},
		{"recovered", verdict(conn, diagnose.ClassOK, false), true, ""},
		{"still fine", verdict(conn, diagnose.ClassOK, false), false, ""},
	}
	for _, st := range steps {
		got, err := Notify(ctx, db, w, st.v)
		if err != nil || got != st.wantSent {
			t.Fatalf("%s: Notify = %v, %v; want %v", st.name, got, err, st.wantSent)
		}
		if key, err := db.NotifiedState(ctx, conn); err != nil || key != st.wantKey {
			t.Errorf("%s: state %q, %v; want %q", st.name, key, err, st.wantKey)
		}
	}
	rec := h.got()
	want := []struct {
		event, class string
		escalate     bool
	}{
		{EventNeedsAttention, "bank.action_required", false},
		{EventNeedsAttention, "bank.action_required", true},
		{EventRecovered, diagnose.ClassOK, false},
	}
	if len(rec) != len(want) {
		t.Fatalf("%d webhooks sent, want %d", len(rec), len(want))
	}
	for i, r := range rec {
		p := r.payload
		if p.Event != want[i].event || p.Verdict == nil || p.Verdict.Class != want[i].class ||
			p.Verdict.Escalate != want[i].escalate || p.Verdict.ConnectionID != conn || !p.SentAt.Equal(sent) {
			t.Errorf("webhook %d: %s", i, r.body)
		}
		if r.header.Get("X-Bankfeed-Event") != want[i].event {
			t.Errorf("webhook %d: event header %q", i, r.header.Get("X-Bankfeed-Event"))
		}
		sig := r.header.Get(SignatureHeader)
		if !strings.HasPrefix(sig, "sha256=") || !hmac.Equal([]byte(sig), []byte(Sign(testSecret, r.body))) {
			t.Errorf("webhook %d: signature %q does not verify", i, sig)
		}
		if hmac.Equal([]byte(sig), []byte(Sign("another secret", r.body))) {
			t.Errorf("webhook %d: signature verifies with another secret", i)
		}
		if strings.Contains(string(r.body), testSecret) || strings.Contains(sig, testSecret) {
			t.Errorf("webhook %d sends the secret", i)
		}
	}
	// The payload's shape, as a receiver reads it.
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(rec[0].body, &raw); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"event", "sent_at", "verdict"} {
		if _, ok := raw[k]; !ok {
			t.Errorf("payload lacks %q: %s", k, rec[0].body)
		}
	}
}

// TestNotifyFailedDelivery: a hook that fails leaves the state unrecorded,
// so the next verdict tries again.
func TestNotifyFailedDelivery(t *testing.T) {
	ctx := context.Background()
	db, conn := openStore(t)
	h := newHook(t)
	h.setStatus(http.StatusInternalServerError)
	w := &Webhook{URL: h.URL, Secret: testSecret}
	v := verdict(conn, bankfeed.FailInvalidCredentials, false)
	sent, err := Notify(ctx, db, w, v)
	if err == nil || sent {
		t.Fatalf("Notify to a failing hook = %v, %v; want an error", sent, err)
	}
	if !strings.Contains(err.Error(), "500") || strings.Contains(err.Error(), testSecret) {
		t.Errorf("error %q: want the status named, never the secret", err)
	}
	if key, err := db.NotifiedState(ctx, conn); err != nil || key != "" {
		t.Errorf("state after a failed delivery %q, %v; want none recorded", key, err)
	}
	h.setStatus(http.StatusOK)
	if sent, err := Notify(ctx, db, w, v); err != nil || !sent {
		t.Fatalf("Notify once the hook works = %v, %v; want sent", sent, err)
	}
	if key, _ := db.NotifiedState(ctx, conn); key != "auth.invalid_credentials" {
		t.Errorf("state %q after the retry", key)
	}
	if n := len(h.got()); n != 2 {
		t.Errorf("%d deliveries, want 2 (the failed one and its retry)", n)
	}
	// No webhook configured: nothing sent, nothing recorded.
	if sent, err := Notify(ctx, db, nil, verdict(conn, diagnose.ClassOK, false)); err != nil || sent {
		t.Errorf("Notify without a webhook = %v, %v", sent, err)
	}
	if key, _ := db.NotifiedState(ctx, conn); key != "auth.invalid_credentials" {
		t.Errorf("state %q after no webhook", key)
	}
}

func TestSendErrors(t *testing.T) {
	ctx := context.Background()
	h := newHook(t)
	closed := httptest.NewServer(http.NotFoundHandler())
	closedURL := closed.URL
	closed.Close()
	v := verdict(1, bankfeed.FailLocked, false)
	const token = "T0KEN-in-the-path"
	tests := []struct {
		name    string
		url     string
		status  int
		wantErr string // "" for none
	}{
		{"ok", h.URL + "/" + token, http.StatusOK, ""},
		{"accepted", h.URL + "/" + token, http.StatusAccepted, ""},
		{"server error", h.URL + "/" + token + "?secret=" + testSecret, http.StatusInternalServerError, "HTTP 500 Internal Server Error"},
		{"not found", h.URL + "/" + token, http.StatusNotFound, "HTTP 404 Not Found"},
		{"not modified is no success", h.URL + "/" + token, http.StatusNotModified, "HTTP 304"},
		{"nobody listening", closedURL + "/" + token, 0, "send webhook to 127.0.0.1"},
		{"not a URL", "127.0.0.1/" + token, 0, "not an http or https URL"},
		{"credentials in the URL", "http://user:" + testSecret + "@" + h.Listener.Addr().String() + "/" + token,
			http.StatusBadGateway, "HTTP 502"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h.setStatus(tc.status)
			err := (&Webhook{URL: tc.url, Secret: testSecret}).Send(ctx, v)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("Send = %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("Send = %v, want an error with %q", err, tc.wantErr)
			}
			for _, s := range []string{testSecret, token} {
				if strings.Contains(err.Error(), s) {
					t.Errorf("error %q holds %q", err, s)
				}
			}
		})
	}
}

// roundTripper answers every request itself.
type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// TestSendTimeout: a delivery has 10 seconds, whatever the caller's
// context.
func TestSendTimeout(t *testing.T) {
	var left time.Duration
	hc := &http.Client{Transport: roundTripper(func(r *http.Request) (*http.Response, error) {
		d, ok := r.Context().Deadline()
		if !ok {
			t.Error("no deadline on the request")
		}
		left = time.Until(d)
		return &http.Response{StatusCode: http.StatusOK, Status: "200 OK", Body: http.NoBody, Request: r}, nil
	})}
	w := &Webhook{URL: "http://127.0.0.1:1/hook", HTTP: hc}
	if err := w.Send(context.Background(), verdict(1, bankfeed.FailLocked, false)); err != nil {
		t.Fatal(err)
	}
	if left <= 9*time.Second || left > Timeout {
		t.Errorf("deadline in %v, want about %v", left, Timeout)
	}
}

func TestSendUnsigned(t *testing.T) {
	h := newHook(t)
	if err := (&Webhook{URL: h.URL}).Send(context.Background(), verdict(1, bankfeed.FailLocked, false)); err != nil {
		t.Fatal(err)
	}
	if got := h.got(); len(got) != 1 || got[0].header.Get(SignatureHeader) != "" {
		t.Errorf("a webhook without a secret is signed: %v", got[0].header)
	}
}

func TestStateKey(t *testing.T) {
	tests := []struct {
		name string
		v    *diagnose.Verdict
		want string
	}{
		{"ok", verdict(1, diagnose.ClassOK, false), ""},
		{"transient", verdict(1, bankfeed.FailMaintenance, false), ""},
		{"needs the user", verdict(1, bankfeed.FailMFARequired, false), "auth.mfa_required"},
		{"escalate", verdict(1, bankfeed.FailMFARequired, true), "auth.mfa_required+escalate"},
		{"escalate a transient class", verdict(1, bankfeed.FailMaintenance, true), "bank.maintenance+escalate"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := StateKey(tc.v); got != tc.want {
				t.Errorf("StateKey = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestFromEnv(t *testing.T) {
	tests := []struct {
		name, url, secret string
		want              *Webhook
	}{
		{"unset", "", "s", nil},
		{"blank", "  ", "", nil},
		{"URL only", "https://hooks.example.com/x", "", &Webhook{URL: "https://hooks.example.com/x"}},
		{"URL and secret", " https://hooks.example.com/x\n", "s3", &Webhook{URL: "https://hooks.example.com/x", Secret: "s3"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv(EnvURL, tc.url)
			t.Setenv(EnvSecret, tc.secret)
			got := FromEnv()
			if (got == nil) != (tc.want == nil) || got != nil && (got.URL != tc.want.URL || got.Secret != tc.want.Secret) {
				t.Errorf("FromEnv = %+v, want %+v", got, tc.want)
			}
		})
	}
}
