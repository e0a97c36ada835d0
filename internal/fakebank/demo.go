package fakebank

import (
	"bytes"
	_ "embed"
	"time"
)

//go:embed scenarios/demo.json
var demoScenario []byte

// The demo's institutions.
const (
	DemoHealthy     = "maple-street" // answers every request
	DemoMaintenance = "harbor-cu"    // goes into scheduled maintenance
	DemoTerms       = "summit-card"  // wants new terms accepted on its web site
)

// DemoScenario returns the scenario `bankfeed demo` serves: one person's
// three logins, at a bank that works (checking, savings, card), a credit
// union about to go into maintenance (checking, savings) and a card issuer
// about to ask for new terms (one card). DemoFaults gives the trouble.
func DemoScenario() []byte { return bytes.Clone(demoScenario) }

// DemoFaults returns the faults that give the demo's institutions their
// trouble from now on: DemoMaintenance answers HTTP 503 with a Retry-After
// until 2h30m from now, its web site too, and DemoTerms refuses to sign its
// user on until the new terms are accepted in its portal.
func DemoFaults(now time.Time) []FaultSpec {
	return []FaultSpec{
		{Kind: FaultMaintenance503, Institution: DemoMaintenance, From: now, Until: now.Add(150 * time.Minute)},
		{Kind: FaultAcceptTerms, Institution: DemoTerms},
	}
}
