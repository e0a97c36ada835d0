// Package advice says, for a feed that is not fine, what happened, that
// its data is safe, what to do and when bankfeed tries again: the words
// every face (the CLI's status, the web dashboard) shows. What to do is
// said in each face's own terms: a command for the CLI, a button for the
// web.
package advice

import (
	"strings"

	"github.com/bankfeed/bankfeed"
)

// Face is where the advice is shown.
type Face int

// Faces.
const (
	CLI Face = iota // commands: bankfeed connection resume NAME
	Web             // buttons and pages
)

// ResumeButton is the web's button for "I did what the bank asked".
const ResumeButton = "I fixed it at my bank — retry now"

// Advice is what a failure class means and what to do about it.
type Advice struct {
	// What says what happened, in plain words.
	What string
	// Do says what to do in the CLI's words; NAME stands for the
	// connection, PORTAL for the bank's web site.
	Do string
	// WebDo says it in the web's words; "" when they are Do's.
	WebDo string
}

// webResume ends a web instruction: the button that resumes and syncs.
const webResume = `press "` + ResumeButton + `"`

var advices = map[bankfeed.FailureClass]Advice{
	bankfeed.FailOffline:     {"this computer is offline", "nothing: bankfeed retries by itself once the network is back", ""},
	bankfeed.FailDNS:         {"the bank's server name does not resolve", "nothing if it clears; if it goes on, check the connection's URL with the bank", ""},
	bankfeed.FailUnreachable: {"the bank's server does not answer", "nothing: bankfeed retries by itself", ""},
	bankfeed.FailTLSUntrusted: {"the bank's connection is not trusted: its certificate expired, names another server, or comes from an unknown issuer",
		"check this computer's clock and any antivirus HTTPS scanning or proxy; a bank with its own CA needs --ca-file (remove the connection and connect again); then: bankfeed connection resume NAME",
		"check this computer's clock and any antivirus HTTPS scanning or proxy; a bank with its own CA needs its CA file (remove the connection and set it up again with it); then " + webResume},
	bankfeed.FailTLSIncompatible: {"the bank's server uses security that bankfeed does not accept",
		"download a statement file from the bank's web site and bankfeed import it",
		"download a statement file from the bank's web site and import it (Import)"},
	bankfeed.FailMaintenance: {"the bank is down for maintenance", "nothing: bankfeed waits and tries again", ""},
	bankfeed.FailServerError: {"the bank's server answered with an error", "nothing: bankfeed retries by itself; if it goes on for days, tell the bank", ""},
	bankfeed.FailBlockedClient: {"the bank refused this software: a firewall, or an application version it no longer accepts",
		"download a statement file from the bank's web site and bankfeed import it, and tell the bank; connecting again with another --app-ver or --user-agent may help",
		"download a statement file from the bank's web site and import it (Import), and tell the bank; setting the connection up again with another application version or user agent may help"},
	bankfeed.FailInvalidCredentials: {"the bank rejected the user ID or password",
		"check them at the bank's web site, then: bankfeed connection password NAME",
		"check them at the bank's web site, then set the new password on the connection's page"},
	bankfeed.FailLocked: {"the bank locked the login", "call the bank to unlock it, then: bankfeed connection resume NAME",
		"call the bank to unlock it, then " + webResume},
	bankfeed.FailMFARequired: {"the bank wants a one-time code",
		"bankfeed cannot answer codes yet: download a statement file from the bank's web site and bankfeed import it",
		"bankfeed cannot answer codes yet: download a statement file from the bank's web site and import it (Import)"},
	bankfeed.FailActionRequired: {"the bank wants something done on its web site, such as accepting new terms, choosing a new password or approving this application",
		"log in at PORTAL, do what it asks, then: bankfeed connection resume NAME",
		"log in at PORTAL, do what it asks, then " + webResume},
	bankfeed.FailConsentExpired: {"permission to read this bank expired or was revoked", "set it up again: bankfeed connection reset NAME",
		"set it up again: Reset, on the connection's page"},
	bankfeed.FailRateLimited: {"the bank's rate limit was reached", "nothing: bankfeed waits until the limit resets", ""},
	bankfeed.FailAccountNotFound: {"the bank no longer lists an account: closed, or renumbered",
		"bankfeed connection reset NAME lists the accounts again; for a renumbered account, connect again with --link NEWNUMBER=FEEDACCOUNT",
		"Reset, on the connection's page, lists the accounts again; for a renumbered account, set the connection up again and link the new number to its feed account"},
	bankfeed.FailUnsupported: {"this connection cannot work as set up, likely for a wrong ORG, FID, URL or OFX version",
		"check the bank's settings, remove the connection and connect again, or import statement files instead",
		"check the bank's settings, remove the connection and set it up again, or import statement files instead"},
	bankfeed.FailDataIncomplete: {"the bank's answer was cut short or did not add up, so none of it was kept", "nothing: bankfeed retries by itself", ""},
	bankfeed.FailInternal: {"an error inside bankfeed, not at the bank", "nothing: bankfeed retries by itself; bankfeed runs show ID has the details",
		"nothing: bankfeed retries by itself; the run's page (Sync history) has the details"},
}

// For returns the advice for a class; an unknown class gets general words.
func For(c bankfeed.FailureClass) Advice {
	if a, ok := advices[c]; ok {
		return a
	}
	if c.NeedsUser() {
		return Advice{"the sync failed (" + string(c) + ")", "fix what the bank asks, then: bankfeed connection resume NAME",
			"fix what the bank asks, then " + webResume}
	}
	return Advice{"the sync failed (" + string(c) + ")", "nothing: bankfeed retries by itself", ""}
}

// Todo says what to do on a face, for the connection name and the bank's
// web site (its URL; "" when unknown).
func (a Advice) Todo(face Face, name, portal string) string {
	if portal == "" {
		portal = "the bank's web site"
	}
	do := a.Do
	if face == Web && a.WebDo != "" {
		do = a.WebDo
	}
	return strings.NewReplacer("NAME", name, "PORTAL", portal).Replace(do)
}

// NeedsActionTodo is what to do when a connection waits for its user and no
// failure class says why.
func NeedsActionTodo(face Face, name string) string {
	if face == Web {
		return "do what the bank asks, then " + webResume
	}
	return "do what the bank asks, then: bankfeed connection resume " + name
}
