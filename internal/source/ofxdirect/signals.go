package ofxdirect

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/bankfeed/bankfeed"
)

// ClassifyTLS classifies a failed TLS handshake as a sync does: a
// certificate that cannot be trusted (expired, another host's, an unknown
// issuer), a connection that broke, or no common ground.
func ClassifyTLS(err error) bankfeed.FailureClass { return tlsClass(err) }

// ClassifyTransport classifies an error of a connection that got no answer
// (DNS, refused, reset, timed out, TLS), as a sync does.
func ClassifyTransport(err error) bankfeed.FailureClass {
	var fe *FetchError
	if errors.As(transportFailure(context.Background(), "", err, nil), &fe) {
		return fe.Class
	}
	return bankfeed.FailUnreachable
}

// Page is what a web page of the bank says, read as a sync reads a page
// that came instead of OFX.
type Page struct {
	// Text is the page's words, sanitized.
	Text string
	// Maintenance says the page announces maintenance or an outage;
	// RetryAt is when it says the bank is back, if it does.
	Maintenance bool
	RetryAt     time.Time
	// Blocked says it is a firewall's or a bot filter's page.
	Blocked bool
	// Notice says it asks the user to act: accept terms, verify their
	// identity, change a password, approve an application.
	Notice bool
}

// ReadPage reads an HTML (or plain text) page of the bank.
func ReadPage(contentType string, body []byte, now time.Time) Page {
	var p Page
	if looksHTML(contentType, body) {
		p.Text = pageText(body)
	} else {
		p.Text = sanitize(string(body[:min(len(body), 4096)]))
	}
	p.Blocked = blockedPage(p.Text)
	p.Maintenance = maintenanceText(p.Text)
	if p.Maintenance {
		p.RetryAt = retryFromText(p.Text, now)
	}
	p.Notice = noticeText(p.Text)
	return p
}

// noticeText reports words that ask the user to act at the bank's site.
func noticeText(s string) bool {
	return containsAny(strings.ToLower(s), "accept the", "accept our", "terms and conditions", "verify your identity",
		"action required", "new password", "change your password", "approve an application", "approve this",
		"security notice", "update your information", "access code")
}
