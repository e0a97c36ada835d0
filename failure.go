package bankfeed

// FailureClass names why a sync failed, in words a user can act on. The
// classes follow the failure taxonomy: what the bank or the network did,
// not which code it used. Each source classifies its own failures where it
// sees them; the scheduler and the diagnosis switch on the class.
type FailureClass string

// Failure classes.
const (
	FailOffline            FailureClass = "net.offline"              // this computer has no network
	FailDNS                FailureClass = "net.dns"                  // the bank's host name does not resolve
	FailUnreachable        FailureClass = "net.unreachable"          // refused, reset, timed out, or no answer
	FailTLSUntrusted       FailureClass = "tls.untrusted"            // expired, wrong host, unknown issuer
	FailTLSIncompatible    FailureClass = "tls.incompatible"         // no common protocol or cipher
	FailMaintenance        FailureClass = "bank.maintenance"         // 502/503/504, a maintenance page or message
	FailServerError        FailureClass = "bank.server_error"        // 500, OFX 2000, an empty or unreadable answer
	FailBlockedClient      FailureClass = "bank.blocked_client"      // a firewall page, this software refused
	FailInvalidCredentials FailureClass = "auth.invalid_credentials" // 15500, 15508, 401
	FailLocked             FailureClass = "auth.locked"              // 15502
	FailMFARequired        FailureClass = "auth.mfa_required"        // 3000, 3001, 15511
	FailActionRequired     FailureClass = "bank.action_required"     // 15000, 15510, 15512, terms to accept
	FailConsentExpired     FailureClass = "consent.expired"          // access granted to this app expired
	FailRateLimited        FailureClass = "rate_limited"             // 429, 15501
	FailAccountNotFound    FailureClass = "account.not_found"        // 2003, 2004, 2005
	FailUnsupported        FailureClass = "provider.unsupported"     // this connection cannot work as set up
	FailDataIncomplete     FailureClass = "data.incomplete"          // cut short, lines that do not add up
	FailInternal           FailureClass = "engine.internal"          // our own fault, not the bank's
)

// FailureClasses lists every class, in the taxonomy's order.
var FailureClasses = []FailureClass{
	FailOffline, FailDNS, FailUnreachable, FailTLSUntrusted, FailTLSIncompatible,
	FailMaintenance, FailServerError, FailBlockedClient, FailInvalidCredentials, FailLocked,
	FailMFARequired, FailActionRequired, FailConsentExpired, FailRateLimited, FailAccountNotFound,
	FailUnsupported, FailDataIncomplete, FailInternal,
}

// Transient reports whether the failure is expected to clear by itself, so
// that an automatic retry may succeed.
func (c FailureClass) Transient() bool {
	p := c.card()
	return p != nil && p.Transient
}

// NeedsUser reports whether only the user can clear the failure: a new
// password, a phone call, a code, a visit to the bank's site. These are never
// retried automatically; retrying rejected credentials locks people out.
func (c FailureClass) NeedsUser() bool {
	p := c.card()
	return p != nil && p.NeedsUser
}

// BankSide reports whether the failure is the institution's as a whole (its
// server, its network, its certificate), so that its other connections
// would fail the same way: what opens the institution's circuit. A user's
// own credentials or account are not.
func (c FailureClass) BankSide() bool {
	p := c.card()
	return p != nil && p.BankSide
}
