package ofx

import (
	"errors"
	"fmt"
	"time"
)

// ProfileResponse is a profile response (PROFTRNRS/PROFRS): a minimal but
// valid profile of an institution that serves sign-on, account lists and
// bank and card statements over one URL with no extra security. When Status
// is not a success, no PROFRS is written and nothing else is required.
type ProfileResponse struct {
	TRNUID   string // "0" when empty
	Status   Status
	DTProfUp time.Time
	FIName   string
	Addr1    string
	City     string
	State    string
	// PostalCode is required; Country defaults to USA.
	PostalCode, Country string
	// ServiceURL is where clients send requests (MSGSETCORE/URL).
	ServiceURL string
	// URL is the institution's web site (PROFRS/URL); optional.
	URL string
	// MessageSets lists the message sets offered besides sign-on and profile,
	// which are always listed: SIGNUPMSGSET, BANKMSGSET, CREDITCARDMSGSET.
	// Empty means all three.
	MessageSets []string
	// SignonRealm names the one sign-on realm; DEFAULT when empty.
	SignonRealm string
	// ClientUIDRequired writes CLIENTUIDREQ Y: clients must send a CLIENTUID
	// the user has registered.
	ClientUIDRequired bool
}

// profileSets are the message sets a profile may list, in the order written,
// with what each adds to its MSGSETCORE.
var profileSets = []struct {
	name  string
	extra func(d *docWriter)
}{
	{"SIGNONMSGSET", nil},
	{"SIGNUPMSGSET", func(d *docWriter) {
		d.open("CLIENTENROLL")
		d.flag("ACCTREQUIRED", false)
		d.close("CLIENTENROLL")
		d.flag("CHGUSERINFO", false)
		d.flag("AVAILACCTS", true)
		d.flag("CLIENTACTREQ", false)
	}},
	{"BANKMSGSET", func(d *docWriter) {
		d.flag("CLOSINGAVAIL", false)
		d.open("EMAILPROF")
		d.flag("CANEMAIL", false)
		d.flag("CANNOTIFY", false)
		d.close("EMAILPROF")
	}},
	{"CREDITCARDMSGSET", func(d *docWriter) { d.flag("CLOSINGAVAIL", false) }},
	{"PROFMSGSET", nil},
}

// Profile writes a profile response.
func (w *ResponseWriter) Profile(p ProfileResponse) error {
	if err := w.ready(); err != nil {
		return err
	}
	body := p.Status.OK()
	offered := map[string]bool{"SIGNONMSGSET": true, "PROFMSGSET": true}
	if body {
		var errs []error
		for _, f := range []struct{ name, value string }{
			{"FINAME", p.FIName}, {"ADDR1", p.Addr1}, {"CITY", p.City}, {"STATE", p.State},
			{"POSTALCODE", p.PostalCode}, {"URL of MSGSETCORE (ServiceURL)", p.ServiceURL},
		} {
			if blankValue(f.value) {
				errs = append(errs, fmt.Errorf("no %s", f.name))
			}
		}
		if p.DTProfUp.IsZero() {
			errs = append(errs, errors.New("no DTPROFUP"))
		}
		sets := p.MessageSets
		if len(sets) == 0 {
			sets = []string{"SIGNUPMSGSET", "BANKMSGSET", "CREDITCARDMSGSET"}
		}
		for _, s := range sets {
			switch s {
			case "SIGNONMSGSET", "SIGNUPMSGSET", "BANKMSGSET", "CREDITCARDMSGSET", "PROFMSGSET":
				offered[s] = true
			default:
				errs = append(errs, fmt.Errorf("message set %q is not written", s))
			}
		}
		if err := errors.Join(errs...); err != nil {
			return fmt.Errorf("write profile: %w", err)
		}
	}
	if err := w.enter(setProfile); err != nil {
		return err
	}
	d := w.d
	d.openTRNRS("PROFTRNRS", p.TRNUID, p.Status)
	if body {
		realm := orDefault(p.SignonRealm, "DEFAULT")
		d.open("PROFRS")
		d.open("MSGSETLIST")
		for _, s := range profileSets {
			if !offered[s.name] {
				continue
			}
			d.open(s.name)
			v1 := s.name[:len(s.name)-len("MSGSET")] + "MSGSETV1"
			d.open(v1)
			d.open("MSGSETCORE")
			d.leaf("VER", "1")
			d.leaf("URL", p.ServiceURL)
			d.leaf("OFXSEC", "NONE")
			d.flag("TRANSPSEC", true)
			d.leaf("SIGNONREALM", realm)
			d.leaf("LANGUAGE", "ENG")
			d.leaf("SYNCMODE", "LITE")
			d.flag("RESPFILEER", false)
			d.close("MSGSETCORE")
			if s.extra != nil {
				s.extra(d)
			}
			d.close(v1)
			d.close(s.name)
		}
		d.close("MSGSETLIST")
		d.open("SIGNONINFOLIST")
		d.open("SIGNONINFO")
		d.leaf("SIGNONREALM", realm)
		d.leaf("MIN", "1")
		d.leaf("MAX", "32")
		d.leaf("CHARTYPE", "ALPHAORNUMERIC")
		d.flag("CASESEN", true)
		d.flag("SPECIAL", true)
		d.flag("SPACES", false)
		d.flag("PINCH", false)
		d.flag("CHGPINFIRST", false)
		if p.ClientUIDRequired {
			d.flag("CLIENTUIDREQ", true)
		}
		d.close("SIGNONINFO")
		d.close("SIGNONINFOLIST")
		d.instant("DTPROFUP", p.DTProfUp)
		d.leaf("FINAME", p.FIName)
		d.leaf("ADDR1", p.Addr1)
		d.leaf("CITY", p.City)
		d.leaf("STATE", p.State)
		d.leaf("POSTALCODE", p.PostalCode)
		d.leaf("COUNTRY", orDefault(p.Country, "USA"))
		d.opt("URL", p.URL)
		d.close("PROFRS")
	}
	d.close("PROFTRNRS")
	return w.written(nil)
}
