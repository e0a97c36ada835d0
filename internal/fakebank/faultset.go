package fakebank

import (
	"fmt"
	"maps"
	"math"
	"time"

	"github.com/bankfeed/bankfeed"
)

// AddFault switches a fault on and returns it with its ID.
func (s *Server) AddFault(spec FaultSpec) (FaultSpec, error) {
	if err := spec.check(s.sc); err != nil {
		return FaultSpec{}, bankfeed.Errorf(bankfeed.EInvalid, "fault: %v", err)
	}
	return s.addFault(spec)
}

func (s *Server) addFault(spec FaultSpec) (FaultSpec, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faultSeq++
	spec.ID = fmt.Sprintf("f%d", s.faultSeq)
	spec.Params = maps.Clone(spec.Params)
	s.faults = append(s.faults, newFault(spec, s.faultSeq))
	return spec, nil
}

// RemoveFault switches a fault off.
func (s *Server) RemoveFault(id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, f := range s.faults {
		if f.spec.ID == id {
			s.faults = append(s.faults[:i], s.faults[i+1:]...)
			return nil
		}
	}
	return bankfeed.Errorf(bankfeed.ENotFound, "no fault %q", id)
}

// ClearFaults switches every fault off, those of the scenario included.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = nil
}

// FaultState is a switched-on fault as the admin API shows it.
type FaultState struct {
	FaultSpec
	// Active says whether the fault's schedule holds now.
	Active bool `json:"active"`
	// Left is how many requests it still answers, when it has a Count.
	Left *int `json:"left,omitempty"`
	// ClearedFor lists the users who cleared it in the portal.
	ClearedFor []string `json:"cleared_for,omitempty"`
}

// Faults lists the switched-on faults, oldest first.
func (s *Server) Faults() []FaultState {
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]FaultState, 0, len(s.faults))
	for _, f := range s.faults {
		st := FaultState{FaultSpec: f.spec, Active: f.active(now, s.sc.Location())}
		if f.spec.Count > 0 {
			st.Left = new(f.left)
		}
		for u := range f.cleared {
			st.ClearedFor = append(st.ClearedFor, u)
		}
		sortStrings(st.ClearedFor)
		out = append(out, st)
	}
	return out
}

// pick returns the first fault of the layer that answers a request about t
// at now, consuming one of its Count. accept, when not nil, must also agree
// (a fault that looks at the request itself, such as reject-user-agent).
func (s *Server) pick(layer string, t target, now time.Time, accept func(*fault) bool) *fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, f := range s.faults {
		if s.fires(f, layer, t, now, accept) {
			return f
		}
	}
	return nil
}

// pickAll returns every fault of the layer that answers the request.
func (s *Server) pickAll(layer string, t target, now time.Time) []*fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*fault
	for _, f := range s.faults {
		if s.fires(f, layer, t, now, nil) {
			out = append(out, f)
		}
	}
	return out
}

// fires decides one fault; s.mu is held.
func (s *Server) fires(f *fault, layer string, t target, now time.Time, accept func(*fault) bool) bool {
	if f.kind.Layer != layer || !f.matches(t) || !f.active(now, s.sc.Location()) {
		return false
	}
	if accept != nil && !accept(f) {
		return false
	}
	if p := f.spec.Probability; p > 0 && s.draw() >= p {
		return false
	}
	if f.spec.Count > 0 {
		f.left--
	}
	return true
}

// draw returns a number in [0, 1) from the server's seeded generator;
// s.mu is held.
func (s *Server) draw() float64 {
	s.rng += 0x9e3779b97f4a7c15
	return float64(mix64(s.rng)>>11) / (1 << 53)
}

// mix64 is splitmix64's output function.
func mix64(z uint64) uint64 {
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// shareOf maps a string to a stable number in [0, 1), to pick a share of
// transactions the same way on every request.
func shareOf(s string) float64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return float64(mix64(h)>>11) / (1 << 53)
}

// clearFor marks the faults a portal action clears as cleared for the user.
// It returns how many it cleared.
func (s *Server) clearFor(inst, user, action string, now time.Time) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, f := range s.faults {
		if f.kind.Clears == action && f.spec.Institution == inst && (f.spec.User == "" || f.spec.User == user) &&
			!f.cleared[user] && f.active(now, s.sc.Location()) {
			f.cleared[user] = true
			n++
		}
	}
	return n
}

// pendingFor lists the active faults of the kind that a user has not
// cleared, for the portal's notices.
func (s *Server) pendingFor(inst, user, kind string, now time.Time) []*fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*fault
	for _, f := range s.faults {
		if f.spec.Kind == kind && f.spec.Institution == inst && (f.spec.User == "" || f.spec.User == user) &&
			!f.cleared[user] && f.active(now, s.sc.Location()) {
			out = append(out, f)
		}
	}
	return out
}

// user returns the state of a user; s.mu is held.
func (s *Server) userState(inst, user string) *userState {
	k := userKey{inst, user}
	st := s.users[k]
	if st == nil {
		st = &userState{clientUIDs: map[string]bool{}}
		s.users[k] = st
	}
	return st
}

// Unlock ends a user's lockout and forgets the bad sign-ons, as a call to
// the bank would.
func (s *Server) Unlock(inst, user string) error {
	in := s.sc.Institution(inst)
	if in == nil || in.User(user) == nil {
		return bankfeed.Errorf(bankfeed.ENotFound, "no user %q at %q", user, inst)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.userState(inst, user)
	st.locked, st.badSignons = false, 0
	return nil
}

// retryAfter returns the seconds until when (at least 1), or def when when
// is zero.
func retryAfter(now, when time.Time, def time.Duration) int {
	d := def
	if !when.IsZero() {
		d = when.Sub(now)
	}
	return max(1, int(math.Ceil(d.Seconds())))
}
