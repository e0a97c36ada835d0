package syncer

import (
	"testing"

	"github.com/bankfeed/bankfeed"
	"github.com/bankfeed/bankfeed/internal/secret"
)

// TestConnectNamesInstitution: an institution is shown by the name its
// profile gives (not its ORG), a name the user gives wins, and a later
// connection without a name keeps it.
func TestConnectNamesInstitution(t *testing.T) {
	e := newEnv(t, Options{})
	name := func(org string) string {
		t.Helper()
		insts, err := e.db.Institutions(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		for _, in := range insts {
			if in.Org == org {
				return in.Name
			}
		}
		t.Fatalf("no institution %s", org)
		return ""
	}
	connect := func(login, inst, user, bankName string) {
		t.Helper()
		u := e.bank.Scenario().Institution(inst).User(user)
		res, err := e.s.Connect(t.Context(), ConnectRequest{Name: login, Profile: e.profile(inst), UserID: user,
			Password: secret.String(u.Password), InstitutionName: bankName})
		if err != nil || res.Err != nil {
			t.Fatalf("connect %s: %v, %v", login, err, res.Err)
		}
	}

	connect("carol", "card", "carol", "")
	if got := name("CC"); got != "Card Co" {
		t.Errorf("institution named %q after connecting, want the profile's FINAME %q", got, "Card Co")
	}
	connect("alice", "sgml", "alice", "  My SGML bank ")
	if got := name("SB"); got != "My SGML bank" {
		t.Errorf("institution named %q, want the name given", got)
	}
	connect("dave", "sgml", "dave", "")
	if got := name("SB"); got != "My SGML bank" {
		t.Errorf("a second connection renamed the institution to %q", got)
	}

	u := e.bank.Scenario().Institution("xml").User("bob")
	_, err := e.s.Connect(t.Context(), ConnectRequest{Name: "long", Profile: e.profile("xml"), UserID: "bob",
		Password: secret.String(u.Password), InstitutionName: string(make([]byte, 201))})
	if bankfeed.ErrorCodeOf(err) != bankfeed.EInvalid {
		t.Errorf("a 201-byte name: %v, want invalid", err)
	}
}
