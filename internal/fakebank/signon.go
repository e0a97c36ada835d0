package fakebank

import (
	"fmt"
	"slices"
	"strings"

	"github.com/bankfeed/bankfeed/internal/ofx"
)

func status(code int, msg string) ofx.Status {
	return ofx.Status{Set: true, Code: code, Message: msg}
}

// postAuth are the sign-on faults a bank answers only once the password is
// right: it would not tell a stranger to accept its terms.
var postAuth = map[string]bool{
	FaultChangePassword: true, FaultClientUID: true, FaultAcceptTerms: true, FaultMFA: true,
}

// userOnly are the sign-on faults about a user, which an anonymous request
// (a profile) never meets.
var userOnly = map[string]bool{FaultBadCredentials: true, FaultLockout: true}

// signon decides the sign-on's STATUS: a lockout first, then a fault of the
// whole service (maintenance, errors, rate limits, rejected software, bad
// credentials), then the bank's own checks (institution, application,
// password), then what it asks of a signed-on user (a new password, terms,
// a registered CLIENTUID, MFA).
func (s *Server) signon(x *exchange) ofx.Status {
	in, so, now := x.in, &x.req.Signon, x.now
	user := x.t.user

	if user != "" {
		s.mu.Lock()
		locked := s.knownUserLocked(in, user)
		s.mu.Unlock()
		if locked {
			return s.lockedStatus()
		}
	}
	if f := s.pick(layerSignon, x.t, now, func(f *fault) bool {
		switch k := f.spec.Kind; {
		case postAuth[k], userOnly[k] && user == "":
			return false
		case k == FaultRejectAppVer:
			list := f.param("appvers")
			return list == "" || slices.Contains(strings.Split(list, ","), so.AppVer)
		}
		return true
	}); f != nil {
		x.acted(f)
		return s.faultStatus(x, f)
	}
	if so.Org != in.Org || so.FID != in.FID {
		return status(codeGeneral, fmt.Sprintf("Unknown financial institution ORG %q FID %q.", so.Org, so.FID))
	}
	if len(in.AppIDs) > 0 && !slices.Contains(in.AppIDs, so.AppID) ||
		len(in.AppVersions) > 0 && !slices.Contains(in.AppVersions, so.AppVer) {
		return status(codeGeneral, "This software version is no longer supported. Please upgrade to a current version.")
	}
	if user == "" {
		if x.req.AccountInfo != nil || len(x.req.Statements) > 0 {
			return status(codeBadSignon, "Invalid user ID or password.")
		}
		return status(codeOK, "")
	}
	if st := s.checkPassword(in, user, so.UserPass.Reveal()); st.Code != codeOK {
		return st
	}
	if f := s.pick(layerSignon, x.t, now, func(f *fault) bool { return postAuth[f.spec.Kind] }); f != nil {
		x.acted(f)
		return s.faultStatus(x, f)
	}
	if in.ClientUIDRequired {
		cuid := so.ClientUID
		if cuid == "" {
			return status(codeClientUID, "This service requires a registered CLIENTUID. Please update your software.")
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		st := s.userState(in.ID, user)
		if !st.clientUIDs[cuid] {
			st.addPending(cuid)
			return status(codeClientUID, "To protect your account, please log in at "+s.PortalURL(in.ID)+
				" within 7 days and approve this application (ID "+cuid+").")
		}
	}
	return status(codeOK, "")
}

// checkPassword checks a user's password, counting a bad one toward the
// lockout and resetting the count on a good one. Unknown users leave no
// state behind.
func (s *Server) checkPassword(in *Institution, user, password string) ofx.Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := in.User(user)
	if u == nil {
		return status(codeBadSignon, "Invalid user ID or password.")
	}
	st := s.userState(in.ID, user)
	if st.locked {
		return s.lockedStatus()
	}
	want := u.Password
	if st.password != "" {
		want = st.password
	}
	if password != want {
		return s.badSignonLocked(in, st)
	}
	st.badSignons = 0
	return status(codeOK, "")
}

// knownUserLocked reports whether a user of the institution is locked out;
// s.mu is held.
func (s *Server) knownUserLocked(in *Institution, user string) bool {
	if in.User(user) == nil {
		return false
	}
	return s.userState(in.ID, user).locked
}

// maxPending bounds the CLIENTUIDs a user has waiting for approval.
const maxPending = 20

// addPending remembers a CLIENTUID waiting for approval, the oldest
// forgotten beyond maxPending.
func (st *userState) addPending(cuid string) {
	if slices.Contains(st.pending, cuid) {
		return
	}
	st.pending = append(st.pending, cuid)
	if len(st.pending) > maxPending {
		st.pending = st.pending[len(st.pending)-maxPending:]
	}
}

func (s *Server) lockedStatus() ofx.Status {
	return status(codeLocked, "Your online access is locked after too many failed sign-on attempts. Please call us at 1-800-555-0100.")
}

// badSignonLocked counts a rejected sign-on and locks the user when the
// institution's limit is reached; s.mu is held.
func (s *Server) badSignonLocked(in *Institution, st *userState) ofx.Status {
	st.badSignons++
	if n := in.Lockout(); n > 0 && st.badSignons >= n {
		st.locked = true
		return s.lockedStatus()
	}
	return status(codeBadSignon, "Invalid user ID or password.")
}

// faultStatus is the sign-on STATUS a sign-on fault answers with.
func (s *Server) faultStatus(x *exchange, f *fault) ofx.Status {
	in, now := x.in, x.now
	switch f.spec.Kind {
	case FaultMaintenanceOFX:
		msg := f.param("message")
		if back := f.ends(now, s.sc.Location()); !back.IsZero() {
			msg += " We expect to be back by " + back.In(s.sc.Location()).Format("Monday 15:04 MST") + "."
		}
		return status(codeGeneral, msg)
	case FaultOFX2000:
		return status(codeGeneral, f.param("message"))
	case FaultRejectAppVer:
		return status(codeGeneral, "This software version is no longer supported. Please upgrade to a current version.")
	case FaultChangePassword:
		return status(codeChangePassword, "You must change your password. Please log in at "+s.PortalURL(in.ID)+" to choose a new one.")
	case FaultClientUID:
		// Answered after a good password, so the user is known.
		if cuid := x.req.Signon.ClientUID; cuid != "" {
			s.mu.Lock()
			s.userState(in.ID, x.t.user).addPending(cuid)
			s.mu.Unlock()
		}
		return status(codeClientUID, "This application is not registered. Please log in at "+s.PortalURL(in.ID)+
			" and approve it to continue downloading.")
	case FaultAcceptTerms:
		return status(codeGeneral, "Please log in to our website at "+s.PortalURL(in.ID)+
			" and accept the updated Terms and Conditions to continue using this service.")
	case FaultBadCredentials:
		s.mu.Lock()
		defer s.mu.Unlock()
		if in.User(x.t.user) == nil {
			return status(codeBadSignon, "Invalid user ID or password.")
		}
		return s.badSignonLocked(in, s.userState(in.ID, x.t.user))
	case FaultLockout:
		// Locked while the fault is on; the user's own state is untouched.
		return s.lockedStatus()
	case FaultMFA:
		return status(codeMFA, "Additional authentication is required. Please answer the security challenge.")
	case FaultRateLimitOFX:
		reset := now.Add(f.duration("reset")).In(s.sc.Location())
		return status(codeInUse, "Too many requests. Please try again after "+reset.Format("2006-01-02 15:04 MST")+".")
	}
	return status(codeGeneral, "General error.")
}
