package bankfeed

import (
	"fmt"
	"slices"
	"strings"
)

// RetryMode is how a class is retried automatically.
type RetryMode string

// Retry modes.
const (
	RetryQuickThenBackoff RetryMode = "quick-then-backoff" // a few quick retries, then backoff
	RetryBackoff          RetryMode = "backoff"            // straight to backoff
	RetryNever            RetryMode = "never"              // no automatic retry: the user must act
)

// Equivalent is another system's code for the same failure.
type Equivalent struct {
	System  string `json:"system"`  // "QuickBooks", "OFX", "Plaid", "SimpleFIN", "GoCardless", "HTTP"
	Code    string `json:"code"`    // "102", "OL-301", "15500", "ITEM_LOGIN_REQUIRED", "503"
	Meaning string `json:"meaning"` // what that system means by it; uncertain meanings say so
}

// ClassInfo is a failure class's card: what happened, what it puts at
// risk, what to do, how bankfeed retries, and the codes other systems show
// for the same failure. The catalogue of cards is the one source for the
// class's properties (Transient, NeedsUser, BankSide), the retry policy's
// mode and words, `bankfeed errors` and docs/errors.md.
type ClassInfo struct {
	Class       FailureClass `json:"class"`
	Code        string       `json:"code"`         // stable short code, e.g. "BF-301"; never reused or renumbered
	Title       string       `json:"title"`        // a short headline: "The bank is down for maintenance"
	Cause       string       `json:"cause"`        // the plain-language cause, a sentence or two
	Transient   bool         `json:"transient"`    // expected to clear by itself
	Retry       RetryMode    `json:"retry"`        // how it is retried automatically
	RetryWords  string       `json:"retry_policy"` // what the retry does, in words
	Reason      string       `json:"reason"`       // the words the retry policy's reasons start with
	BankSide    bool         `json:"bank_side"`    // the institution's as a whole
	NeedsUser   bool         `json:"needs_user"`   // only the user can clear it
	DataRisk    string       `json:"data_risk"`    // why the books are safe
	Steps       []string     `json:"steps"`        // the user's next steps, in order
	TimeToFix   string       `json:"time_to_fix"`  // an estimate
	Escalate    string       `json:"escalate"`     // when to call the bank or an expert
	Equivalents []Equivalent `json:"equivalents"`  // other systems' codes for the same failure
}

// Catalog returns every class's card, in FailureClasses order. The cards
// are copies: changing them does not change the catalogue.
func Catalog() []ClassInfo {
	out := make([]ClassInfo, len(catalog))
	for i := range catalog {
		out[i] = catalog[i].clone()
	}
	return out
}

// Info returns c's card. A class the catalogue does not know (a newer
// version's, a typo in a database) gets a generic card, code BF-000, that
// names it and is retried with backoff.
func (c FailureClass) Info() ClassInfo {
	if p := c.card(); p != nil {
		return p.clone()
	}
	return unknownCard(c)
}

// LookupClasses returns the cards that match q, in FailureClasses order: a
// class ("bank.maintenance"), one of our codes ("BF-301", "bf301"), or
// another system's code for the same failure, as people type it: "102",
// "Error 102", "QuickBooks 102", "OL-301", "ol301", "15500",
// "ITEM_LOGIN_REQUIRED". Case, spaces and punctuation do not matter. A
// system named first ("QuickBooks", "OFX", "Plaid", "HTTP", ...) limits the
// match to its codes. A code can match several classes (QuickBooks 102 is
// maintenance or a server error). nil when nothing matches.
func LookupClasses(q string) []ClassInfo {
	key := lookupKey(q)
	if key == "" {
		return nil
	}
	system, code := lookupSystem(key)
	for i := range catalog {
		own := []string{lookupKey(string(catalog[i].Class)), lookupKey(catalog[i].Code)}
		if slices.Contains(own, key) || system == "" && slices.Contains(own, code) {
			return []ClassInfo{catalog[i].clone()}
		}
	}
	var out []ClassInfo
	for i := range catalog {
		if slices.ContainsFunc(catalog[i].Equivalents, func(e Equivalent) bool {
			return (system == "" || e.System == system) && lookupKey(e.Code) == code
		}) {
			out = append(out, catalog[i].clone())
		}
	}
	return out
}

// lookupKey keeps q's letters and digits, in lower case: "OL-301" and
// "ol 301" are both "ol301".
func lookupKey(q string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(q) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// lookupPrefixes are the words people put before a code, longest first:
// a system's name (which limits the match to it) or filler ("error").
var lookupPrefixes = []struct{ word, system string }{
	{"quickbooksdesktop", sysQuickBooks},
	{"quickbooksonline", sysQuickBooks},
	{"quickbooks", sysQuickBooks},
	{"gocardless", sysGoCardless},
	{"simplefin", sysSimpleFIN},
	{"nordigen", sysGoCardless},
	{"bankfeed", ""},
	{"banking", ""},
	{"intuit", sysQuickBooks},
	{"status", ""},
	{"error", ""},
	{"plaid", sysPlaid},
	{"bank", ""},
	{"code", ""},
	{"feed", ""},
	{"http", sysHTTP},
	{"qbd", sysQuickBooks},
	{"qbo", sysQuickBooks},
	{"ofx", sysOFX},
	{"qb", sysQuickBooks},
}

// lookupSystem strips the words before a code from key, and returns the
// system they name, if any, and the code.
func lookupSystem(key string) (system, code string) {
	code = key
	for stripped := true; stripped; {
		stripped = false
		for _, p := range lookupPrefixes {
			if rest, ok := strings.CutPrefix(code, p.word); ok && rest != "" {
				code, stripped = rest, true
				if p.system != "" {
					system = p.system
				}
				break
			}
		}
	}
	return system, code
}

// card returns c's card in the catalogue, or nil.
func (c FailureClass) card() *ClassInfo {
	if i, ok := catalogIndex[c]; ok {
		return &catalog[i]
	}
	return nil
}

func (ci ClassInfo) clone() ClassInfo {
	ci.Steps = append([]string{}, ci.Steps...)
	ci.Equivalents = append([]Equivalent{}, ci.Equivalents...)
	return ci
}

// unknownCard is the card of a class the catalogue does not know.
func unknownCard(c FailureClass) ClassInfo {
	return ClassInfo{
		Class: c,
		Code:  "BF-000",
		Title: fmt.Sprintf("A failure this version does not know (%s)", c),
		Cause: fmt.Sprintf("The sync failed with the class %q, which this version of bankfeed does not know: "+
			"a newer version, or another program sharing the database, recorded it.", string(c)),
		Retry:      RetryBackoff,
		RetryWords: retryBackoffWords,
		Reason:     fmt.Sprintf("the sync failed (%s)", c),
		DataRisk:   dataSafe,
		Steps: []string{
			"See what the bank answered: bankfeed runs show ID.",
			"Nothing else for now: bankfeed retries by itself, and bankfeed sync tries at once.",
			"Update bankfeed: a newer version knows more failures and explains them.",
		},
		TimeToFix:   "unknown",
		Escalate:    "If it goes on for two business days, report it to bankfeed's maintainers with the output of bankfeed runs show ID (the password is already removed from it).",
		Equivalents: []Equivalent{},
	}
}

// Systems whose codes the catalogue lists.
const (
	sysQuickBooks = "QuickBooks"
	sysOFX        = "OFX"
	sysPlaid      = "Plaid"
	sysSimpleFIN  = "SimpleFIN"
	sysGoCardless = "GoCardless"
	sysHTTP       = "HTTP"
)

// Words shared by several cards.
const (
	dataSafe = "Nothing was written: a failed sync writes no line, so your books are unchanged. " +
		"The next sync that gets through asks again from where the last good one ended, so no line is missed or doubled."
	retryQuickWords = "three quick retries a minute apart, then after 15 min, 1 h, and every 4 h from then on " +
		"(each ±20%); a time the bank gives (Retry-After, or in its message) is obeyed exactly; " +
		"flagged as needing attention after 48 business hours (weekdays 9–17) of failing"
	retryBackoffWords = "no quick retries: after 15 min, 1 h, and every 4 h from then on (each ±20%); " +
		"flagged as needing attention after 48 business hours (weekdays 9–17) of failing"
	retryNeverWords = "none: no retry can fix this, so bankfeed waits for you; the steps above make the " +
		"connection due again, and bankfeed sync --connection NAME tries it at once"
	importFile = "Meanwhile, download a statement file (.QFX, .OFX or .QBO) from the bank's web site and " +
		"bankfeed import it: your books stay current, and the feed does not store those lines twice."
)

// Where the uncertain QuickBooks meanings come from.
const (
	thirdParty  = " (reported by third-party sites, not by Intuit)"
	unconfirmed = " (meaning not confirmed: named only in passing by third-party sites)"
)

func eq(system, code, meaning string) Equivalent {
	return Equivalent{System: system, Code: code, Meaning: meaning}
}

// catalogIndex finds a class's card in catalog.
var catalogIndex = func() map[FailureClass]int {
	m := make(map[FailureClass]int, len(catalog))
	for i, ci := range catalog {
		m[ci.Class] = i
	}
	return m
}()

// catalog holds one card per class, in FailureClasses order. A card's Code
// is fixed for ever: a new class gets a new code, and a retired class's
// code is never given to another. Codes go by family: BF-1xx the network,
// BF-2xx the secure connection, BF-3xx the bank's server, BF-4xx your
// login and permission, BF-5xx the account and the connection's setup,
// BF-6xx the data, BF-9xx bankfeed itself.
var catalog = []ClassInfo{
	{
		Class: FailOffline,
		Code:  "BF-101",
		Title: "This computer is offline",
		Cause: "bankfeed could not reach the internet at all, not only the bank: the network cable, Wi-Fi, VPN or " +
			"internet provider is down on this side. Nothing is wrong at the bank.",
		Transient:  true,
		Retry:      RetryQuickThenBackoff,
		RetryWords: retryQuickWords,
		Reason:     "this computer is offline",
		DataRisk:   dataSafe,
		Steps: []string{
			"Check that this computer is online: open any web site in a browser.",
			"If it is not, fix the connection: Wi-Fi, cable, router or VPN.",
			"Nothing else: bankfeed retries by itself, and bankfeed sync tries at once when the network is back.",
		},
		TimeToFix: "minutes, once the network is back",
		Escalate: "The bank cannot help with this one. If web sites open in a browser but bankfeed still finds no " +
			"network, ask whoever runs your network whether a firewall blocks bankfeed.",
		Equivalents: []Equivalent{},
	},
	{
		Class: FailDNS,
		Code:  "BF-102",
		Title: "The bank's server name cannot be found",
		Cause: "The internet's address book (DNS) has no entry for the bank's server name, or did not answer. " +
			"Either the name service this computer uses is failing for a while, or the bank moved its server " +
			"to a new address.",
		Transient:  true,
		Retry:      RetryQuickThenBackoff,
		RetryWords: retryQuickWords,
		Reason:     "the bank's server name does not resolve",
		BankSide:   true,
		DataRisk:   dataSafe,
		Steps: []string{
			"Wait: a lookup that fails for a few minutes usually clears by itself, and bankfeed retries.",
			"If it still fails after a day, look up the bank's current OFX server address (the bank's support pages, " +
				"or the list of OFX servers you took it from).",
			"If the address changed, remove the connection (bankfeed connection remove NAME; its lines stay) and " +
				"connect again with the new --url: the same login continues the same feeds.",
			importFile,
		},
		TimeToFix: "minutes for a passing fault; if the bank moved its server, until you give the new address",
		Escalate: "If it fails for more than a day and other sites work, ask the bank for its current OFX Direct " +
			"Connect address; if it no longer offers one, import statement files instead.",
		Equivalents: []Equivalent{
			eq(sysQuickBooks, "101", "The bank's server did not answer in time"+thirdParty+
				"; the closest QuickBooks code for a bank server that cannot be found"),
		},
	},
	{
		Class: FailUnreachable,
		Code:  "BF-103",
		Title: "The bank's server does not answer",
		Cause: "bankfeed reached the internet but not the bank's server: the connection was refused, cut off, or " +
			"got no answer in time. Usually the bank's server is busy or restarting; sometimes a firewall or " +
			"proxy on your side is in the way.",
		Transient:  true,
		Retry:      RetryQuickThenBackoff,
		RetryWords: retryQuickWords,
		Reason:     "the bank's server does not answer",
		BankSide:   true,
		DataRisk:   dataSafe,
		Steps: []string{
			"Nothing at first: bankfeed retries by itself.",
			"If your other banks fail the same way, check this computer's firewall, VPN or proxy " +
				"(a proxy that asks for a password shows up as this failure).",
			"If it goes on for hours, open the bank's web site: if that is down too, the bank has an outage; wait for it.",
			importFile,
		},
		TimeToFix: "usually minutes to a few hours",
		Escalate: "After two business days of failing (bankfeed flags it then), while the bank's web site works, " +
			"call the bank's online-banking support and ask whether its OFX (Direct Connect) server is running.",
		Equivalents: []Equivalent{
			eq(sysQuickBooks, "101", "The bank's server was too slow; the connection timed out"+thirdParty),
			eq(sysPlaid, "INSTITUTION_NOT_RESPONDING", "The institution is not responding; retry later"),
			eq(sysHTTP, "407", "Proxy Authentication Required: a proxy between this computer and the bank wants a password"),
		},
	},
	{
		Class: FailTLSUntrusted,
		Code:  "BF-201",
		Title: "The bank's secure connection cannot be trusted",
		Cause: "The bank's server showed a security certificate that bankfeed cannot trust: it has expired, it " +
			"names another server, or it comes from an unknown issuer. bankfeed stopped rather than send your " +
			"password over a connection that may not be the bank's. A wrong clock on this computer, antivirus " +
			"that scans secure connections, or a company proxy cause this as often as the bank does.",
		Retry:      RetryNever,
		RetryWords: retryNeverWords,
		Reason:     "the bank's connection is not trusted; check this computer's clock, antivirus HTTPS scanning or proxy, then retry",
		BankSide:   true,
		DataRisk:   dataSafe + " Your password was not sent.",
		Steps: []string{
			"Check this computer's date, time and time zone: a clock that is off makes good certificates look expired.",
			"If antivirus software or a company proxy inspects secure (HTTPS) traffic, exempt the bank's server from it.",
			"Open the bank's OFX address in a browser: a certificate warning there too means the bank's certificate is at fault.",
			"If the bank uses a certificate authority of its own, remove the connection and connect again with " +
				"--ca-file naming its certificate; the same login continues the same feeds.",
			"Then: bankfeed connection resume NAME.",
		},
		TimeToFix: "minutes, once you act; days if the bank's certificate expired and the bank must renew it",
		Escalate: "If the clock is right and nothing on your side inspects secure traffic, the bank's certificate is at " +
			"fault: tell the bank's online-banking support, and import statement files until it is renewed.",
		Equivalents: []Equivalent{},
	},
	{
		Class: FailTLSIncompatible,
		Code:  "BF-202",
		Title: "The bank's server uses security bankfeed does not accept",
		Cause: "bankfeed and the bank's server found no safe way to talk: the bank offers only old versions of the " +
			"secure protocol (TLS), old ciphers or weak signatures, which bankfeed refuses because they can be broken.",
		Retry:      RetryNever,
		RetryWords: retryNeverWords,
		Reason:     "the bank's server uses security this app does not accept; import a file from the bank's site instead",
		BankSide:   true,
		DataRisk:   dataSafe + " Your password was not sent.",
		Steps: []string{
			"Download a statement file (.QFX, .OFX or .QBO) from the bank's web site and bankfeed import it, " +
				"so your books stay current.",
			"Tell the bank that the security of its OFX server is out of date.",
			"When the bank says it has upgraded: bankfeed connection resume NAME.",
		},
		TimeToFix: "until the bank upgrades its server, often weeks; file imports meanwhile",
		Escalate: "Tell the bank's online-banking support now: only the bank can upgrade its server. If it never " +
			"does, keep importing files.",
		Equivalents: []Equivalent{},
	},
	{
		Class: FailMaintenance,
		Code:  "BF-301",
		Title: "The bank is down for maintenance",
		Cause: "The bank's server said it is unavailable: an HTTP 502, 503 or 504, or a maintenance page or message " +
			"instead of your statement. Banks take their servers down for planned work, often at night or at " +
			"weekends. It is on the bank's side and affects all its customers.",
		Transient:  true,
		Retry:      RetryQuickThenBackoff,
		RetryWords: retryQuickWords,
		Reason:     "the bank is down for maintenance",
		BankSide:   true,
		DataRisk:   dataSafe,
		Steps: []string{
			"Nothing: bankfeed waits and tries again, at the time the bank gave if it gave one (bankfeed status shows it).",
			"If it lasts more than a day, look for a notice on the bank's web site.",
			importFile,
		},
		TimeToFix: "usually 2–4 hours; planned work can last a night or a weekend",
		Escalate: "If it has lasted two business days (bankfeed flags it then) and the bank's site shows no notice, " +
			"call the bank and ask about its OFX (Direct Connect) service.",
		Equivalents: []Equivalent{
			eq(sysQuickBooks, "102", "The bank's web site is down or in maintenance, or a server error between the bank "+
				"(or its aggregator) and QuickBooks; Intuit advises waiting a day and contacting support after 48 hours"),
			eq(sysQuickBooks, "105", "A bank outage or maintenance, grouped with 102"+thirdParty),
			eq(sysOFX, "2000", "General error, whose message says the bank's system is in maintenance or unavailable"),
			eq(sysPlaid, "INSTITUTION_DOWN", "The institution is down; retry in a few hours or the next day"),
			eq(sysPlaid, "INSTITUTION_NOT_AVAILABLE", "The institution is not available; retry in a few hours or the next day"),
			eq(sysPlaid, "PLANNED_MAINTENANCE", "Planned maintenance (HTTP 503); check the status page"),
			eq(sysGoCardless, "503", "Service unavailable at the bank or at GoCardless"),
			eq(sysHTTP, "502", "Bad Gateway: the bank's front server got no good answer from the one behind it"),
			eq(sysHTTP, "503", "Service Unavailable, often with a Retry-After saying when to come back"),
			eq(sysHTTP, "504", "Gateway Timeout: the server behind the bank's front server did not answer in time"),
		},
	},
	{
		Class: FailServerError,
		Code:  "BF-302",
		Title: "The bank's server answered with an error",
		Cause: "The bank's server answered, but with an error instead of your statement: an HTTP 500, OFX's " +
			"catch-all \"general error\" (2000), an empty answer, or a web page where the statement should be. " +
			"Something broke at the bank's end; the bank's own message, when it gave one, is shown with the failure.",
		Transient:  true,
		Retry:      RetryQuickThenBackoff,
		RetryWords: retryQuickWords,
		Reason:     "the bank's server returned an error",
		BankSide:   true,
		DataRisk:   dataSafe,
		Steps: []string{
			"Nothing at first: bankfeed retries by itself, and most server errors clear within hours.",
			"Read the bank's own message: bankfeed status shows it, and bankfeed runs show ID shows the whole exchange.",
			importFile,
		},
		TimeToFix: "usually hours; sometimes a day or two",
		Escalate: "After two business days of failing (bankfeed flags it then), tell the bank's online-banking " +
			"support, quoting the bank's message and the time from bankfeed runs show ID. Intuit gives the same " +
			"advice for QuickBooks error 102 after 48 hours.",
		Equivalents: []Equivalent{
			eq(sysQuickBooks, "102", "A server error between the bank (or its aggregator) and QuickBooks, or the bank's "+
				"site down; Intuit advises contacting support after 48 hours"),
			eq(sysQuickBooks, "9999", "A generic or unknown connection error"+thirdParty),
			eq(sysQuickBooks, "OL-202", "The bank sent an error, or the last connection did not complete"+thirdParty),
			eq(sysQuickBooks, "OL-393", "QuickBooks Desktop cannot exchange data with the bank: out of sync"),
			eq(sysOFX, "2000", "General error, with no more specific reason in its message"),
			eq(sysPlaid, "INTERNAL_SERVER_ERROR", "An internal error at Plaid or the institution (HTTP 500); retry"),
			eq(sysSimpleFIN, "act.failed", "Fetching the account failed at the bank; try again later"),
			eq(sysGoCardless, "500", "An unknown error at the bank or at GoCardless"),
			eq(sysHTTP, "500", "Internal Server Error: the bank's server failed while answering"),
		},
	},
	{
		Class: FailBlockedClient,
		Code:  "BF-303",
		Title: "The bank's firewall refused bankfeed",
		Cause: "The bank turned this software away before looking at your login: a firewall or bot-filter page " +
			"(Cloudflare, Incapsula, Akamai) came back, or the bank said it no longer accepts this application " +
			"or its version. Some banks let in only what Quicken and QuickBooks send.",
		Retry:      RetryNever,
		RetryWords: retryNeverWords,
		Reason:     "the bank's firewall rejected this app; import a file from the bank's site instead, and tell the bank",
		BankSide:   true,
		DataRisk:   dataSafe,
		Steps: []string{
			"Download a statement file (.QFX, .OFX or .QBO) from the bank's web site and bankfeed import it, " +
				"so your books stay current.",
			"Some banks accept only the versions Quicken sends: remove the connection (its lines stay) and connect " +
				"again with another --app-ver or --user-agent.",
			"Tell the bank that its firewall blocks OFX Direct Connect.",
			"When the bank says it has lifted the block: bankfeed connection resume NAME.",
		},
		TimeToFix: "minutes if another application version gets in; otherwise until the bank changes its firewall",
		Escalate: "Tell the bank's online-banking support, with the page bankfeed runs show ID shows. If the bank " +
			"will not let the software in, keep importing files.",
		Equivalents: []Equivalent{
			eq(sysOFX, "2000", "General error, whose message says this software or its version is no longer supported"),
			eq(sysHTTP, "403", "Forbidden, from the bank's firewall or for this application"),
			eq(sysHTTP, "400", "Bad Request, with a firewall page instead of an OFX answer"),
		},
	},
	{
		Class: FailInvalidCredentials,
		Code:  "BF-401",
		Title: "The bank rejected the user ID or password",
		Cause: "The bank said the user ID or password is wrong. Usually the password was changed at the bank, or " +
			"expired, and not here; sometimes the bank switched off access for outside software. bankfeed does " +
			"not try the same password again by itself: banks lock a login after a few failed sign-ins.",
		Retry:      RetryNever,
		RetryWords: retryNeverWords,
		Reason:     "the bank rejected the user ID or password; check the password at the bank's site, then enter it here",
		NeedsUser:  true,
		DataRisk:   dataSafe,
		Steps: []string{
			"Log in at the bank's own web site with the same user ID and password, typed by hand, to prove they work.",
			"If the bank has a setting for outside software (Quicken, QuickBooks, Direct Connect), check that it is on.",
			"Enter the working password here: bankfeed connection password NAME.",
			"Try it now: bankfeed sync --connection NAME (it is tried on one account first).",
		},
		TimeToFix: "minutes, once you act",
		Escalate: "If the password works on the bank's site but is still rejected here, call the bank: some banks need " +
			"Direct Connect switched on, or a separate password for it. Do not retry over and over: the bank " +
			"will lock the login.",
		Equivalents: []Equivalent{
			eq(sysQuickBooks, "103", "The sign-in details stored in QuickBooks do not match the bank's: a changed "+
				"password, the wrong bank chosen, or outside access switched off at the bank"),
			eq(sysQuickBooks, "310", "QuickBooks stopped trying after repeated 103 errors, so that the bank does not lock the login"),
			eq(sysQuickBooks, "179", "The stored sign-in details are wrong, or the bank needs an update"+thirdParty),
			eq(sysQuickBooks, "OL-332", "Invalid customer ID or PIN"+thirdParty),
			eq(sysOFX, "15500", "Signon invalid: the user ID or password is wrong"),
			eq(sysOFX, "15508", "Transaction not authorized: this user may not act for the user ID"),
			eq(sysPlaid, "INVALID_CREDENTIALS", "The user ID or password is wrong; ask the user to enter them again"),
			eq(sysGoCardless, "RJ", "Requisition rejected: the bank refused the sign-in"),
			eq(sysHTTP, "401", "Unauthorized: the bank refused the sign-on"),
		},
	},
	{
		Class: FailLocked,
		Code:  "BF-402",
		Title: "The bank locked the login",
		Cause: "The bank locked this login, usually after too many failed sign-ins: here, in another program, or " +
			"on its web site. No sync can get in until the bank unlocks it, and more attempts only keep it locked.",
		Retry:      RetryNever,
		RetryWords: retryNeverWords,
		Reason:     "the bank locked the login; call the bank to unlock it, then retry",
		NeedsUser:  true,
		DataRisk:   dataSafe,
		Steps: []string{
			"Call the bank (the number on its web site or on your card) and ask it to unlock the online-banking login.",
			"If the bank set a new password, enter it here: bankfeed connection password NAME.",
			"Otherwise, tell bankfeed the login is unlocked: bankfeed connection resume NAME.",
		},
		TimeToFix: "the length of a phone call; some banks also unlock by themselves after a set time",
		Escalate:  "Call the bank now: for a locked login, the bank's phone line is the fix.",
		Equivalents: []Equivalent{
			eq(sysOFX, "15502", "USERPASS lockout: too many failed sign-on attempts; call the bank"),
			eq(sysPlaid, "ITEM_LOCKED", "The login is locked; the user unlocks it at the bank"),
		},
	},
	{
		Class: FailMFARequired,
		Code:  "BF-403",
		Title: "The bank wants a one-time code",
		Cause: "The bank asked for extra proof that it is you: a one-time code by text, e-mail or app, or answers " +
			"to security questions. Banks ask for it for a new device, or from time to time. An automatic sync " +
			"has no one there to answer, and bankfeed cannot answer codes yet.",
		Retry:      RetryNever,
		RetryWords: retryNeverWords,
		Reason:     "the bank wants a one-time code; run the sync yourself to answer the bank's code",
		NeedsUser:  true,
		DataRisk:   dataSafe,
		Steps: []string{
			"Download a statement file (.QFX, .OFX or .QBO) from the bank's web site and bankfeed import it, " +
				"so your books stay current.",
			"Ask the bank whether it can stop asking for codes for Direct Connect, or remember this device.",
			"If it does: bankfeed connection resume NAME.",
		},
		TimeToFix: "minutes for a file import; the feed itself waits until the bank stops asking for codes",
		Escalate: "If the bank asks for a code at every sync, call it: some banks can exempt Direct Connect or give " +
			"a separate access code; if yours cannot, statement files are the way.",
		Equivalents: []Equivalent{
			eq(sysQuickBooks, "185", "The bank needs a security code at every update"+thirdParty),
			eq(sysQuickBooks, "187", "The bank's extra security step could not be completed"+thirdParty),
			eq(sysQuickBooks, "OL-334", "The bank requires multi-factor sign-in that QuickBooks Desktop cannot do"+thirdParty),
			eq(sysOFX, "3000", "MFA challenge required: the password is right, but more proof is needed"),
			eq(sysOFX, "3001", "MFA challenge answer invalid"),
			eq(sysOFX, "15511", "MFA error: contact the bank"),
			eq(sysPlaid, "INVALID_MFA", "The answer to the bank's security question or code was wrong"),
			eq(sysPlaid, "ITEM_LOGIN_REQUIRED", "The bank's multi-factor sign-in changed; the user signs in again (update mode)"),
			eq(sysPlaid, "MFA_NOT_SUPPORTED", "The bank asks for a code at every sign-in, which stops background refresh"),
			eq(sysSimpleFIN, "con.auth", "The connection to the bank needs the user to sign in again"),
		},
	},
	{
		Class: FailActionRequired,
		Code:  "BF-304",
		Title: "The bank wants something done on its web site",
		Cause: "The bank is holding the connection until you do something on its web site: accept new terms, " +
			"read a notice, choose a new password, confirm who you are, or approve this application. Its " +
			"message, when it gave one, is shown with the failure.",
		Retry:      RetryNever,
		RetryWords: retryNeverWords,
		Reason:     "the bank wants something done on its web site; log in at the bank's web site and do what it asks, then retry",
		NeedsUser:  true,
		DataRisk:   dataSafe,
		Steps: []string{
			"Log in at the bank's web site, typing its address yourself rather than following a link in an e-mail.",
			"Do what it asks: accept the terms, read the notice, change the password, or approve the new application.",
			"If you changed the password, enter it here: bankfeed connection password NAME; otherwise: bankfeed connection resume NAME.",
			"Try it now: bankfeed sync --connection NAME.",
		},
		TimeToFix: "minutes, once you act",
		Escalate: "If the bank's site asks for nothing and the failure stays, call the bank: some banks must switch on " +
			"Direct Connect, or want a new application approved within a few days of its first sign-in.",
		Equivalents: []Equivalent{
			eq(sysQuickBooks, "OL-301", "QuickBooks Desktop: the bank sent an error, such as a service not activated "+
				"or identity to confirm; log in at the bank and read its messages"),
			eq(sysQuickBooks, "108", "Action required on the bank's web site"+unconfirmed),
			eq(sysQuickBooks, "109", "Action required on the bank's web site"+unconfirmed),
			eq(sysOFX, "2000", "General error, whose message asks to log in, verify, accept terms or get an access code"),
			eq(sysOFX, "15000", "Must change USERPASS: the password must be changed"),
			eq(sysOFX, "15510", "CLIENTUID error: this application must be approved at the bank"),
			eq(sysOFX, "15512", "AUTHTOKEN required: get an access token from the bank"),
			eq(sysOFX, "15513", "AUTHTOKEN invalid"),
			eq(sysPlaid, "USER_SETUP_REQUIRED", "The user must do something at the bank: new terms, missing details"),
			eq(sysPlaid, "PASSWORD_RESET_REQUIRED", "The user must reset the password at the bank"),
			eq(sysSimpleFIN, "con.", "A problem with the connection to the bank, such as \"may need attention\""),
		},
	},
	{
		Class: FailConsentExpired,
		Code:  "BF-404",
		Title: "Permission to read this bank expired",
		Cause: "The permission you gave this connection to read your accounts ended: it expired (many banks give it " +
			"for 90 days at a time) or it was withdrawn at the bank or at the service between us. Your password " +
			"is not the problem; the permission has to be given again.",
		Retry:      RetryNever,
		RetryWords: retryNeverWords,
		Reason:     "permission to read this bank expired or was revoked; reconnect",
		NeedsUser:  true,
		DataRisk:   dataSafe,
		Steps: []string{
			"Set the connection up again: bankfeed connection reset NAME. Its feeds and lines stay.",
			"Give the permission again when the bank asks, for every account you want in your books.",
			"If a SimpleFIN setup token was refused as already claimed, disable it at the SimpleFIN Bridge and make " +
				"a new one: someone else may have used it.",
		},
		TimeToFix: "minutes, once you act",
		Escalate: "If permission keeps ending much sooner than promised, ask the bank or the service between us " +
			"(SimpleFIN, GoCardless, Plaid) why.",
		Equivalents: []Equivalent{
			eq(sysPlaid, "ITEM_LOGIN_REQUIRED", "The consent expired or was revoked; the user signs in again (update mode)"),
			eq(sysPlaid, "PENDING_EXPIRATION", "Webhook: consent ends in 7 days"),
			eq(sysPlaid, "PENDING_DISCONNECT", "Webhook: the connection will stop working soon"),
			eq(sysPlaid, "ACCESS_NOT_GRANTED", "The user did not grant access to the data, or withdrew it"),
			eq(sysSimpleFIN, "403", "Authentication failed: access revoked; when claiming a setup token, the token "+
				"was already claimed and may be compromised"),
			eq(sysSimpleFIN, "gen.auth", "The access URL's credentials were refused"),
			eq(sysGoCardless, "EX", "Requisition expired: the end-user agreement ran out"),
			eq(sysGoCardless, "SU", "Requisition suspended"),
			eq(sysGoCardless, "401", "The end-user agreement expired (some report it as HTTP 400; the message says so)"),
			eq(sysGoCardless, "403", "Access to the account was denied"),
			eq(sysGoCardless, "409", "The requisition is suspended"),
		},
	},
	{
		Class: FailRateLimited,
		Code:  "BF-305",
		Title: "The bank's limit on syncs was reached",
		Cause: "The bank, or the service between us, allows only so many requests a day or a minute, or one " +
			"session at a time, and the limit was reached. It clears by itself when the limit resets.",
		Transient: true,
		Retry:     RetryBackoff,
		RetryWords: "no quick retries, which would only extend the limit: exactly at the reset time the bank gave, " +
			"else after 15 min, 1 h, and every 4 h from then on (each ±20%); flagged as needing attention " +
			"after 48 business hours (weekdays 9–17) of failing",
		Reason:   "the bank's rate limit was reached",
		DataRisk: dataSafe,
		Steps: []string{
			"Nothing: bankfeed waits until the limit resets, at the time the bank gave if it gave one (bankfeed status shows it).",
			"Hold off on syncing by hand until then: each sync counts against the limit and may push the reset later.",
			"If another program (Quicken, QuickBooks, another bankfeed) uses the same login, sync from one of them only.",
		},
		TimeToFix: "minutes to a day: whenever the bank's limit resets",
		Escalate: "If the limit is hit every day with only bankfeed syncing, ask the bank or the service what its limit " +
			"is: some allow only a few requests a day per account (GoCardless: 4).",
		Equivalents: []Equivalent{
			eq(sysOFX, "15501", "Customer account already in use: one session at a time; try again later"),
			eq(sysPlaid, "RATE_LIMIT_EXCEEDED", "Too many requests (HTTP 429)"),
			eq(sysGoCardless, "429", "Rate limit: a few requests a day per account; the answer says when to try again"),
			eq(sysHTTP, "429", "Too Many Requests, often with a Retry-After or a reset time"),
		},
	},
	{
		Class: FailAccountNotFound,
		Code:  "BF-501",
		Title: "The bank no longer lists this account",
		Cause: "bankfeed signed in, but the bank no longer lists this account, or refuses it: it was closed, " +
			"renumbered (a new card after a loss, a new account number), moved to another system after a merger, " +
			"or this login lost access to it.",
		Retry:      RetryNever,
		RetryWords: retryNeverWords,
		Reason:     "the bank no longer lists this account (closed, or a new number?); relink it to the existing ledger account",
		DataRisk: "Nothing was written, and nothing was lost: the lines already kept for this account stay, and " +
			"relinking continues the same feed account, so its history is kept.",
		Steps: []string{
			"Log in at the bank's web site and check that the account is still there, and under which number.",
			"To have the bank list the accounts again: bankfeed connection reset NAME.",
			"If the number changed, remove the connection (its lines stay) and connect again with " +
				"--link NEWNUMBER=FEEDACCOUNT, so the new number continues the same feed account.",
			"If the account was closed, its lines stay; if the login has no other account, stop it: bankfeed connection disable NAME.",
		},
		TimeToFix: "minutes, once you act",
		Escalate: "If the bank's site shows the account but the feed still cannot find it, call the bank: the account " +
			"may need to be switched on for Direct Connect.",
		Equivalents: []Equivalent{
			eq(sysQuickBooks, "106", "Connected to the bank, but the account was not found: closed, renumbered or moved"+thirdParty),
			eq(sysQuickBooks, "324", "QuickBooks cannot find the account at the bank: a new number or card, a system "+
				"move, renamed or closed; reconnect to the existing account to keep its history"),
			eq(sysOFX, "2003", "Account not found"),
			eq(sysOFX, "2004", "Account closed"),
			eq(sysOFX, "2005", "Account not authorized for this login"),
			eq(sysPlaid, "NO_ACCOUNTS", "No open accounts are left at the institution for this login"),
			eq(sysGoCardless, "404", "The account was not found"),
		},
	},
	{
		Class: FailUnsupported,
		Code:  "BF-502",
		Title: "This connection cannot work as set up",
		Cause: "The bank answered, but says the request cannot work as it is set up: a wrong ORG, FID or server " +
			"address, an OFX version or date range it does not accept, a service it does not offer, or a paid " +
			"service that lapsed. Retrying would get the same answer.",
		Retry:      RetryNever,
		RetryWords: retryNeverWords,
		Reason:     "this connection cannot work as set up; fix its settings or import a file instead",
		DataRisk:   dataSafe,
		Steps: []string{
			"Read the bank's message: bankfeed status shows it, and bankfeed runs show ID shows the whole exchange.",
			"Check the connection's settings (--url, --org, --fid, --bank-id, --ofx-version) against the bank's current OFX details.",
			"To change them, remove the connection (its lines stay) and connect again with the right settings: " +
				"the same login continues the same feeds.",
			"If the bank no longer offers Direct Connect, download statement files from its web site and bankfeed import them.",
		},
		TimeToFix: "minutes if a setting was wrong; if the bank dropped the service, none: switch to file imports",
		Escalate: "If the settings match what the bank publishes, ask the bank whether it still offers OFX Direct " +
			"Connect, and at which address.",
		Equivalents: []Equivalent{
			eq(sysOFX, "2021", "Unsupported version: the bank does not speak this OFX version"),
			eq(sysOFX, "2025", "Branch ID missing"),
			eq(sysOFX, "2027", "Invalid date range"),
			eq(sysOFX, "13504", "The FI aggregate (ORG, FID) is missing or invalid in the sign-on"),
			eq(sysOFX, "15503", "Could not change USERPASS: the bank does not allow it here"),
			eq(sysOFX, "15504", "Could not provide random data"),
			eq(sysOFX, "15505", "Country system not supported"),
			eq(sysOFX, "15506", "Empty signon not supported"),
			eq(sysOFX, "15507", "Signon invalid without a password change request"),
			eq(sysPlaid, "INSTITUTION_NO_LONGER_SUPPORTED", "The institution is no longer supported"),
			eq(sysPlaid, "INSTITUTION_REGISTRATION_REQUIRED", "The institution needs a registration first"),
			eq(sysPlaid, "ITEM_NOT_SUPPORTED", "This login or account is not supported"),
			eq(sysSimpleFIN, "402", "Payment required: the SimpleFIN subscription lapsed"),
			eq(sysSimpleFIN, "gen.api", "The request is not one this SimpleFIN server accepts"),
			eq(sysHTTP, "404", "Not Found: there is no OFX server at this address"),
			eq(sysHTTP, "410", "Gone: the OFX server at this address was retired"),
			eq(sysHTTP, "301", "Moved Permanently: the OFX address redirects elsewhere; update the connection's URL"),
		},
	},
	{
		Class: FailDataIncomplete,
		Code:  "BF-601",
		Title: "The bank sent incomplete data",
		Cause: "The bank's answer was cut short, too large, or did not add up, so bankfeed kept none of it rather " +
			"than store half a statement. It is usually a passing fault at the bank or on the way.",
		Transient:  true,
		Retry:      RetryQuickThenBackoff,
		RetryWords: retryQuickWords,
		Reason:     "the bank sent incomplete data; nothing was kept",
		DataRisk: "Nothing was kept: the incomplete answer was set aside whole, so no half statement reached your books. " +
			"The next sync asks again for the same dates.",
		Steps: []string{
			"Nothing: bankfeed retries by itself and asks for the same dates again.",
			"If it keeps failing, look at what came back: bankfeed runs show ID.",
			importFile,
		},
		TimeToFix: "usually minutes to hours",
		Escalate: "If every sync of the account is cut short for a day, tell the bank, with the exchange from " +
			"bankfeed runs show ID; if the answer there looks complete, report it to bankfeed's maintainers instead.",
		Equivalents: []Equivalent{
			eq(sysPlaid, "TRANSACTIONS_SYNC_MUTATION_DURING_PAGINATION", "The data changed while it was being read; start again from the first page"),
			eq(sysSimpleFIN, "act.missingdata", "The account's listing is incomplete"),
		},
	},
	{
		Class: FailInternal,
		Code:  "BF-901",
		Title: "Something went wrong inside bankfeed",
		Cause: "The failure is bankfeed's own, not the bank's: the disk is full, the database is busy or locked, a " +
			"file could not be written, or a bug. The bank may not even have been asked.",
		Retry:      RetryBackoff,
		RetryWords: retryBackoffWords,
		Reason:     "an error inside bankfeed, not at the bank",
		DataRisk: "Nothing was written: a sync's lines and its record are saved together or not at all, so your " +
			"books are as they were.",
		Steps: []string{
			"Check there is free disk space where bankfeed keeps its data (--data-dir; bankfeed --help says where).",
			"See the details: bankfeed runs show ID.",
			"bankfeed retries by itself after 15 minutes; bankfeed sync tries at once.",
		},
		TimeToFix: "minutes if the disk was full or the database busy; otherwise until bankfeed is fixed",
		Escalate: "The bank cannot help with this one. If it goes on with free disk space, report it to bankfeed's " +
			"maintainers with the output of bankfeed runs show ID (the password is already removed from it).",
		Equivalents: []Equivalent{
			eq(sysOFX, "2019", "Duplicate request: the request's ID was used before, a fault of the client, not the bank"),
		},
	},
}
