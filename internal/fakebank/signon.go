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

// signon decides the sign-on's STATUS: a lockout first, then a sign-on
// fault, then the bank's own checks (institution, password, application,
// CLIENTUID).
func (s *Server) signon(x *exchange) ofx.Status {
	in, so, now := x.in, &x.req.Signon, x.now
	user := x.t.user

	if user != "" {
		s.mu.Lock()
		locked := s.userState(in.ID, user).locked
		s.mu.Unlock()
		if locked {
			return s.lockedStatus()
		}
	}
	if f := s.pick(layerSignon, x.t, now, func(f *fault) bool {
		if f.spec.Kind != FaultRejectAppVer {
			return true
		}
		list := f.param("appvers")
		return list == "" || slices.Contains(strings.Split(list, ","), so.AppVer)
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
	u := in.User(user)
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.userState(in.ID, user)
	password := ""
	if u != nil {
		password = u.Password
		if st.password != "" {
			password = st.password
		}
	}
	if u == nil || so.UserPass.Reveal() != password {
		return s.badSignonLocked(in, st)
	}
	if in.ClientUIDRequired {
		cuid := so.ClientUID
		if cuid == "" {
			return status(codeClientUID, "This service requires a registered CLIENTUID. Please update your software.")
		}
		if !st.clientUIDs[cuid] {
			if !slices.Contains(st.pending, cuid) {
				st.pending = append(st.pending, cuid)
			}
			return status(codeClientUID, "To protect your account, please log in at "+s.PortalURL(in.ID)+
				" within 7 days and approve this application (ID "+cuid+").")
		}
	}
	st.badSignons = 0
	return status(codeOK, "")
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
	case FaultMaintenanceOFX, FaultOFX2000:
		return status(codeGeneral, f.param("message"))
	case FaultRejectAppVer:
		return status(codeGeneral, "This software version is no longer supported. Please upgrade to a current version.")
	case FaultChangePassword:
		return status(codeChangePassword, "You must change your password. Please log in at "+s.PortalURL(in.ID)+" to choose a new one.")
	case FaultClientUID:
		if cuid := x.req.Signon.ClientUID; cuid != "" && x.t.user != "" {
			s.mu.Lock()
			st := s.userState(in.ID, x.t.user)
			if !slices.Contains(st.pending, cuid) {
				st.pending = append(st.pending, cuid)
			}
			s.mu.Unlock()
		}
		return status(codeClientUID, "This application is not registered. Please log in at "+s.PortalURL(in.ID)+
			" and approve it to continue downloading.")
	case FaultAcceptTerms:
		return status(codeGeneral, "Please log in to our website at "+s.PortalURL(in.ID)+
			" and accept the updated Terms and Conditions to continue using this service.")
	case FaultBadCredentials:
		if x.t.user == "" {
			return status(codeBadSignon, "Invalid user ID or password.")
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		return s.badSignonLocked(in, s.userState(in.ID, x.t.user))
	case FaultLockout:
		if x.t.user != "" {
			s.mu.Lock()
			s.userState(in.ID, x.t.user).locked = true
			s.mu.Unlock()
		}
		return s.lockedStatus()
	case FaultMFA:
		return status(codeMFA, "Additional authentication is required. Please answer the security challenge.")
	case FaultRateLimitOFX:
		reset := now.Add(f.duration("reset")).In(s.sc.Location())
		return status(codeInUse, "Too many requests. Please try again after "+reset.Format("2006-01-02 15:04 MST")+".")
	}
	return status(codeGeneral, "General error.")
}
