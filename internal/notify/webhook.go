// Package notify tells a connection's user when it needs them, and when it
// has recovered: a webhook, fired once per change of state, not on every
// retry.
package notify

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/bankfeed/bankfeed/internal/diagnose"
	"github.com/bankfeed/bankfeed/internal/store"
)

// Events a webhook sends.
const (
	EventNeedsAttention = "connection.needs_attention"
	EventRecovered      = "connection.recovered"
)

// SignatureHeader carries "sha256=" and the hex HMAC-SHA256 of the body,
// keyed with the webhook's secret.
const SignatureHeader = "X-Bankfeed-Signature"

// Timeout bounds one delivery, answer included.
const Timeout = 10 * time.Second

// The environment that configures the webhook.
const (
	EnvURL    = "BANKFEED_WEBHOOK_URL"
	EnvSecret = "BANKFEED_WEBHOOK_SECRET"
)

// Webhook posts verdicts as JSON to a URL.
type Webhook struct {
	URL string
	// Secret, when set, signs every body (see SignatureHeader).
	Secret string
	// HTTP is the client; http.DefaultClient when nil.
	HTTP *http.Client
	// Now is the clock of sent_at; time.Now when nil.
	Now func() time.Time
}

// FromEnv returns the webhook BANKFEED_WEBHOOK_URL and
// BANKFEED_WEBHOOK_SECRET configure; nil when no URL is set.
func FromEnv() *Webhook {
	u := strings.TrimSpace(os.Getenv(EnvURL))
	if u == "" {
		return nil
	}
	return &Webhook{URL: u, Secret: os.Getenv(EnvSecret)}
}

// Payload is the body a webhook posts.
type Payload struct {
	Event   string            `json:"event"`
	SentAt  time.Time         `json:"sent_at"`
	Verdict *diagnose.Verdict `json:"verdict"`
}

// Event is the event a verdict makes: needs attention when a person must
// act, recovered otherwise.
func Event(v *diagnose.Verdict) string {
	if v.NeedsHuman() {
		return EventNeedsAttention
	}
	return EventRecovered
}

// Sign returns the signature header's value for body: "sha256=" and the
// hex HMAC-SHA256 of body keyed with secret.
func Sign(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// Send posts v with its event. An answer other than 2xx is an error that
// names its status. Errors never hold the secret, nor the URL's path or
// query (a hook's URL often carries a token): only its host.
func (w *Webhook) Send(ctx context.Context, v *diagnose.Verdict) error {
	u, err := url.Parse(w.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return errors.New("send webhook: the URL is not an http or https URL")
	}
	now := time.Now
	if w.Now != nil {
		now = w.Now
	}
	body, err := json.Marshal(Payload{Event: Event(v), SentAt: now().UTC(), Verdict: v})
	if err != nil {
		return fmt.Errorf("send webhook: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.URL, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("send webhook to %s: %w", u.Host, unwrapURL(err))
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "bankfeed-webhook")
	req.Header.Set("X-Bankfeed-Event", Event(v))
	if w.Secret != "" {
		req.Header.Set(SignatureHeader, Sign(w.Secret, body))
	}
	hc := w.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return fmt.Errorf("send webhook to %s: %w", u.Host, unwrapURL(err))
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // so the connection is reused
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("send webhook to %s: HTTP %s", u.Host, resp.Status)
	}
	return nil
}

// unwrapURL drops the *url.Error around err, which would repeat the whole
// URL.
func unwrapURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// StateKey is what a verdict tells the user: "" when nothing needs them,
// else its class, with "+escalate" when it is time to escalate.
func StateKey(v *diagnose.Verdict) string {
	if !v.NeedsHuman() {
		return ""
	}
	if v.Escalate {
		return v.Class + "+escalate"
	}
	return v.Class
}

// Notify sends v through w when its state key differs from the one the
// connection's user was last told of: needs attention when the key changes
// to a non-empty one, recovered when it changes to "". An unchanged state
// sends nothing, so retries do not repeat it. The key is recorded only
// after a delivery went through, so a failed one is tried again next time.
// A nil w sends nothing and records nothing.
func Notify(ctx context.Context, db *store.DB, w *Webhook, v *diagnose.Verdict) (sent bool, err error) {
	if w == nil {
		return false, nil
	}
	key := StateKey(v)
	last, err := db.NotifiedState(ctx, v.ConnectionID)
	if err != nil {
		return false, fmt.Errorf("notify connection %d: %w", v.ConnectionID, err)
	}
	if key == last {
		return false, nil
	}
	if err := w.Send(ctx, v); err != nil {
		return false, fmt.Errorf("notify connection %d: %w", v.ConnectionID, err)
	}
	if err := db.SetNotifiedState(ctx, v.ConnectionID, key); err != nil {
		return true, fmt.Errorf("notify connection %d: record what was sent: %w", v.ConnectionID, err)
	}
	return true, nil
}
