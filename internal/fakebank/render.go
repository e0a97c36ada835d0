package fakebank

import (
	"time"

	"github.com/bankfeed/bankfeed"
	"github.com/bankfeed/bankfeed/internal/ofx"
)

// RenderStatement returns the OFX document the institution answers a
// statement request for the account with, over start..end (zero start: 90
// days back; zero end: now), as its owner signing on at opts.Now. The
// scenario's own faults act as on the wire, but those that need the wire
// (HTTP, delivery, TLS) do not. The same scenario, seed, window and clock
// give the same bytes.
func RenderStatement(sc *Scenario, opts Options, inst, acct string, start, end time.Time) ([]byte, error) {
	in := sc.Institution(inst)
	if in == nil {
		return nil, bankfeed.Errorf(bankfeed.ENotFound, "no institution %q in the scenario", inst)
	}
	u, a := in.Account(acct)
	if a == nil {
		return nil, bankfeed.Errorf(bankfeed.ENotFound, "no account %q at %s", acct, inst)
	}
	s, err := newServer(sc, opts)
	if err != nil {
		return nil, err
	}
	now := s.now()
	ref := s.accountRef(in, a)
	appID, appVer := "QWIN", "2500"
	if len(in.AppIDs) > 0 {
		appID = in.AppIDs[0]
	}
	if len(in.AppVersions) > 0 {
		appVer = in.AppVersions[0]
	}
	req := &ofx.Request{
		Signon: ofx.SignonRequest{DTClient: now, UserID: u.ID, UserPass: ofx.Password(u.Password),
			Org: in.Org, FID: in.FID, AppID: appID, AppVer: appVer},
		Statements: []ofx.StatementRequest{{TRNUID: "1", Kind: a.Kind(), Account: ref, Start: start, End: end, Include: true}},
	}
	if in.ClientUIDRequired {
		// The owner's own software, registered long ago.
		req.Signon.ClientUID = "fakebank-render"
		s.userState(in.ID, u.ID).clientUIDs[req.Signon.ClientUID] = true
	}
	x := &exchange{in: in, req: req, now: now, rec: &Record{}, t: target{institution: in.ID}}
	x.describe()
	out, err := s.respond(x)
	if err != nil {
		return nil, err
	}
	for _, f := range s.pickAll(layerBody, x.t, now) {
		switch f.spec.Kind {
		case FaultTruncated:
			out = truncate(out, f.share("share"))
		case FaultMalformed:
			out = malform(out)
		}
	}
	return out, nil
}
