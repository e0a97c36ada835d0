package fakebank

import (
	"sort"
	"time"
)

// Channels a request arrives on.
const (
	ChannelOFX    = "ofx"    // POST /ofx
	ChannelPortal = "portal" // the web portal
	ChannelTLS    = "tls"    // a handshake answered by a TLS fault
)

// Record is one request as fakebank saw and answered it. Passwords never
// appear in it.
type Record struct {
	Seq         int64     `json:"seq"`
	Time        time.Time `json:"time"`
	Institution string    `json:"institution"`
	Channel     string    `json:"channel"`
	Method      string    `json:"method,omitempty"`
	Path        string    `json:"path,omitempty"`
	Remote      string    `json:"remote,omitempty"`
	UserAgent   string    `json:"user_agent,omitempty"`
	// User is the USERID signed on with, or the portal's user.
	User string `json:"user,omitempty"`
	// Signon is true when the request carried a user's credentials (not an
	// anonymous profile request): what a lockout counts.
	Signon bool `json:"signon"`
	// Asked lists what was asked: signon, acctinfo, stmt:ACCTID,
	// ccstmt:ACCTID, profile; on the portal, the page or action.
	Asked []string `json:"asked,omitempty"`
	// Windows lists each statement served as "ACCTID FIRST LAST", the bank's
	// days its transactions were drawn from.
	Windows []string `json:"windows,omitempty"`
	// AppID and AppVer are the client application the sign-on named.
	AppID  string `json:"appid,omitempty"`
	AppVer string `json:"appver,omitempty"`
	// Fault is the kind of every fault that acted, comma-separated.
	Fault   string `json:"fault,omitempty"`
	FaultID string `json:"fault_id,omitempty"`
	// HTTPStatus is the status sent; 0 when the connection was reset or
	// never answered.
	HTTPStatus int `json:"http_status"`
	// OFXStatus lists the STATUS codes sent: the sign-on's, then each
	// statement's or list's.
	OFXStatus []int  `json:"ofx_status,omitempty"`
	Error     string `json:"error,omitempty"`
	Duration  string `json:"duration,omitempty"`
}

// Filter selects request records; empty fields match anything.
type Filter struct {
	Institution string
	User        string
	Channel     string
	// Fault matches records answered by a fault of this kind; "none"
	// matches records no fault touched, "any" those one did.
	Fault string
	// Signon, when set, matches records that did (true) or did not (false)
	// carry a user's credentials.
	Signon *bool
	// Since matches records with a sequence number above it.
	Since int64
}

func (f *Filter) match(r *Record) bool {
	switch {
	case f.Institution != "" && r.Institution != f.Institution,
		f.User != "" && r.User != f.User,
		f.Channel != "" && r.Channel != f.Channel,
		f.Signon != nil && r.Signon != *f.Signon,
		r.Seq <= f.Since:
		return false
	}
	switch f.Fault {
	case "":
	case "none":
		return r.Fault == ""
	case "any":
		return r.Fault != ""
	default:
		return containsKind(r.Fault, f.Fault)
	}
	return true
}

func containsKind(list, kind string) bool {
	for len(list) > 0 {
		i := 0
		for i < len(list) && list[i] != ',' {
			i++
		}
		if list[:i] == kind {
			return true
		}
		if i == len(list) {
			break
		}
		list = list[i+1:]
	}
	return false
}

// requestLog keeps the latest records, up to max.
type requestLog struct {
	max     int
	seq     int64
	records []Record
}

// record adds a request record and logs it.
func (s *Server) record(r *Record) {
	s.mu.Lock()
	s.reqs.seq++
	r.Seq = s.reqs.seq
	if len(s.reqs.records) >= s.reqs.max {
		n := copy(s.reqs.records, s.reqs.records[len(s.reqs.records)/10+1:])
		s.reqs.records = s.reqs.records[:n]
	}
	s.reqs.records = append(s.reqs.records, *r)
	s.mu.Unlock()
	s.log.Info("request",
		"seq", r.Seq, "institution", r.Institution, "channel", r.Channel, "method", r.Method,
		"path", r.Path, "user", r.User, "asked", r.Asked, "fault", r.Fault,
		"http_status", r.HTTPStatus, "ofx_status", r.OFXStatus, "error", r.Error)
}

// Requests returns the records the filter selects, oldest first.
func (s *Server) Requests(f Filter) []Record {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []Record{}
	for i := range s.reqs.records {
		if f.match(&s.reqs.records[i]) {
			out = append(out, s.reqs.records[i])
		}
	}
	return out
}

// Count returns how many records the filter selects.
func (s *Server) Count(f Filter) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for i := range s.reqs.records {
		if f.match(&s.reqs.records[i]) {
			n++
		}
	}
	return n
}

// lastSeq returns the sequence number of the latest record.
func (s *Server) lastSeq() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.reqs.seq
}

// ClearRequests forgets every record; sequence numbers go on.
func (s *Server) ClearRequests() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reqs.records = nil
}

func sortStrings(s []string) { sort.Strings(s) }
