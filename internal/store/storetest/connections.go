package storetest

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/bankfeed/bankfeed"
	"github.com/bankfeed/bankfeed/internal/store"
)

// update runs fn in one write transaction and fails the test when it fails.
func update(t *testing.T, db *store.DB, fn func(ctx context.Context, tx *store.Tx) error) {
	t.Helper()
	ctx := context.Background()
	if err := db.Update(ctx, func(tx *store.Tx) error { return fn(ctx, tx) }); err != nil {
		t.Fatal(err)
	}
}

// institution creates (or finds) an institution by org and fid.
func institution(t *testing.T, db *store.DB, org, fid string) bankfeed.InstitutionID {
	t.Helper()
	var id bankfeed.InstitutionID
	update(t, db, func(ctx context.Context, tx *store.Tx) error {
		inst, err := tx.EnsureInstitution(ctx, org, fid, "")
		if inst != nil {
			id = inst.ID
		}
		return err
	})
	return id
}

// newConnection is a connection named name at inst, ready to create.
func newConnection(name string, inst bankfeed.InstitutionID) *bankfeed.Connection {
	return &bankfeed.Connection{Name: name, InstitutionID: inst, UserID: "user-" + name,
		Profile: bankfeed.Profile{URL: "https://ofx.example.com/" + name, Org: "B1", FID: "10898"}}
}

// sealedFor is the sealed password tests store for the connection name.
func sealedFor(name string) []byte { return []byte("sealed\x00\xff:" + name) }

// createConnection stores c with sealedFor(c.Name).
func createConnection(t *testing.T, db *store.DB, c *bankfeed.Connection) *bankfeed.Connection {
	t.Helper()
	update(t, db, func(ctx context.Context, tx *store.Tx) error {
		return tx.CreateConnection(ctx, c, sealedFor(c.Name))
	})
	return c
}

// connection reads a connection back.
func connection(t *testing.T, db *store.DB, id bankfeed.ConnectionID) *bankfeed.Connection {
	t.Helper()
	c, err := db.Connection(context.Background(), id)
	if err != nil {
		t.Fatalf("Connection(%d): %v", id, err)
	}
	return c
}

// names lists the names of cs, in order.
func names(cs []*bankfeed.Connection) []string {
	out := []string{}
	for _, c := range cs {
		out = append(out, c.Name)
	}
	return out
}

// checkSealedAbsent fails when the JSON of v holds sealed, raw or base64.
func checkSealedAbsent(t *testing.T, what string, v any, sealed []byte, marker string) {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("marshal %s: %v", what, err)
	}
	for _, needle := range [][]byte{sealed, []byte(marker), []byte(base64.StdEncoding.EncodeToString(sealed))} {
		if bytes.Contains(b, needle) {
			t.Errorf("%s holds the sealed password: %s", what, b)
		}
	}
}

func testConnectionRoundTrip(t *testing.T, open Opener) {
	ctx := context.Background()
	clock := NewClock()
	db := open(t, clock.Now)
	a := seed(t, db, "1")
	const marker = "k9Qz-sealed-marker"
	est := time.FixedZone("EST", -5*3600)
	tests := []struct {
		name      string
		in        bankfeed.Connection
		sealed    []byte
		wantState bankfeed.ConnectionState
	}{
		{
			name: "defaults",
			in: bankfeed.Connection{Name: "Plain", InstitutionID: a.InstitutionID, UserID: "jdoe",
				Profile: bankfeed.Profile{URL: "https://ofx.b1.example/ofx"}},
			sealed:    []byte(marker + "-plain"),
			wantState: bankfeed.ConnNew,
		},
		{
			name: "every field",
			in: bankfeed.Connection{Name: "Everyday at B1", InstitutionID: a.InstitutionID, UserID: "jane.doe@example.com",
				Profile: bankfeed.Profile{URL: "https://ofx.b1.example/ofx?x=1", Org: "B1", FID: "10898", BankID: "021000021",
					Version: "220", AppID: "QWIN", AppVer: "2700", UserAgent: "InetClntApp/3.0", ClientUIDRequired: true,
					CAFile: "/etc/bankfeed/b1.pem", PortalURL: "https://www.b1.example/"},
				ClientUID: "6b1d3c4e-0f8a-4c1e-9d2b-3a4f5e6d7c8b", State: bankfeed.ConnRetrying, Reason: "the bank is down",
				NextAttemptAt: time.Date(2026, 3, 1, 7, 45, 30, 123456000, est), Verified: true, Disabled: true},
			sealed:    append([]byte{0, 0xff, 0x80, '\n', '"'}, marker+"-every"...),
			wantState: bankfeed.ConnRetrying,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			clock.Advance(time.Minute)
			c := tc.in
			update(t, db, func(ctx context.Context, tx *store.Tx) error { return tx.CreateConnection(ctx, &c, tc.sealed) })
			if c.ID == 0 || !c.CreatedAt.Equal(clock.T) || c.State != tc.wantState {
				t.Errorf("created as id %d at %v in state %q; want an id, %v and %q", c.ID, c.CreatedAt, c.State, clock.T,
					tc.wantState)
			}
			want := tc.in
			want.ID, want.CreatedAt, want.State, want.Accounts = c.ID, clock.T, tc.wantState, []*bankfeed.ConnectionAccount{}
			got := connection(t, db, c.ID)
			if diff := cmp.Diff(&want, got); diff != "" {
				t.Errorf("connection read back (-want +got):\n%s", diff)
			}
			if got.CreatedAt.Location() != time.UTC || (!got.NextAttemptAt.IsZero() && got.NextAttemptAt.Location() != time.UTC) {
				t.Errorf("times read back as %v and %v, want UTC", got.CreatedAt, got.NextAttemptAt)
			}
			sealed, err := db.SealedPassword(ctx, c.ID)
			if err != nil || !bytes.Equal(sealed, tc.sealed) {
				t.Errorf("SealedPassword = %q, %v; want %q", sealed, err, tc.sealed)
			}
			list, err := db.Connections(ctx, store.ConnectionFilter{})
			if err != nil {
				t.Fatal(err)
			}
			checkSealedAbsent(t, "the created connection", c, tc.sealed, marker)
			checkSealedAbsent(t, "the connection read back", got, tc.sealed, marker)
			checkSealedAbsent(t, "the list of connections", list, tc.sealed, marker)
		})
	}
	if _, err := db.SealedPassword(ctx, 999); bankfeed.ErrorCodeOf(err) != bankfeed.ENotFound {
		t.Errorf("SealedPassword of a missing connection: %v, want not_found", err)
	}
}

func testCreateConnectionErrors(t *testing.T, open Opener) {
	ctx := context.Background()
	db := open(t, NewClock().Now)
	a := seed(t, db, "1")
	createConnection(t, db, newConnection("Everyday", a.InstitutionID))
	tests := []struct {
		name    string
		c       *bankfeed.Connection
		sealed  []byte
		wantErr bankfeed.ErrorCode
		wantMsg string // the error names this
	}{
		{"duplicate name", newConnection("Everyday", a.InstitutionID), []byte("x"), bankfeed.EConflict, `"Everyday"`},
		{"no name", newConnection("", a.InstitutionID), []byte("x"), bankfeed.EInvalid, ""},
		{"no password", newConnection("No password", a.InstitutionID), nil, bankfeed.EInvalid, "No password"},
		{"empty password", newConnection("Empty password", a.InstitutionID), []byte{}, bankfeed.EInvalid, ""},
		{"unknown institution", newConnection("Nowhere", 12345), []byte("x"), bankfeed.ENotFound, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := db.Update(ctx, func(tx *store.Tx) error { return tx.CreateConnection(ctx, tc.c, tc.sealed) })
			if code := bankfeed.ErrorCodeOf(err); code != tc.wantErr {
				t.Fatalf("CreateConnection = %v (code %q), want %q", err, code, tc.wantErr)
			}
			if !strings.Contains(err.Error(), tc.wantMsg) {
				t.Errorf("error %q does not name %s", err, tc.wantMsg)
			}
		})
	}
	list, err := db.Connections(ctx, store.ConnectionFilter{})
	if err != nil || len(list) != 1 {
		t.Errorf("after failed creates: %v, %v; want only Everyday", names(list), err)
	}
}

func testFindConnection(t *testing.T, open Opener) {
	ctx := context.Background()
	db := open(t, NewClock().Now)
	a := seed(t, db, "1")
	every := createConnection(t, db, newConnection("Everyday", a.InstitutionID))
	savings := createConnection(t, db, newConnection("Savings at B1", a.InstitutionID))
	tests := []struct {
		name, ref string
		want      bankfeed.ConnectionID
		wantErr   bankfeed.ErrorCode
	}{
		{"by name", "Savings at B1", savings.ID, ""},
		{"by id", fmt.Sprint(every.ID), every.ID, ""},
		{"unknown name", "Nope", 0, bankfeed.ENotFound},
		{"unknown id", "999", 0, bankfeed.ENotFound},
		{"id zero", "0", 0, bankfeed.ENotFound},
		{"name differs in case", "everyday", 0, bankfeed.ENotFound},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := db.FindConnection(ctx, tc.ref)
			if code := bankfeed.ErrorCodeOf(err); code != tc.wantErr {
				t.Fatalf("FindConnection(%q) = %v (code %q), want %q", tc.ref, err, code, tc.wantErr)
			}
			if err == nil && got.ID != tc.want {
				t.Errorf("FindConnection(%q) = connection %d, want %d", tc.ref, got.ID, tc.want)
			}
		})
	}
	if _, err := db.Connection(ctx, 999); bankfeed.ErrorCodeOf(err) != bankfeed.ENotFound {
		t.Errorf("Connection(999) = %v, want not_found", err)
	}
	t.Run("no connection is id zero", func(t *testing.T) {
		if c, err := db.Connection(ctx, 0); bankfeed.ErrorCodeOf(err) != bankfeed.ENotFound {
			t.Errorf("Connection(0) = %+v, %v; want not_found", c, err)
		}
	})
	t.Run("empty ref with a single connection", func(t *testing.T) {
		one := open(t, NewClock().Now)
		b := seed(t, one, "1")
		createConnection(t, one, newConnection("Only", b.InstitutionID))
		for _, ref := range []string{"", " "} {
			c, err := one.FindConnection(ctx, ref)
			if code := bankfeed.ErrorCodeOf(err); code != bankfeed.EInvalid && code != bankfeed.ENotFound {
				t.Errorf("FindConnection(%q) = %+v, %v; want invalid or not_found", ref, c, err)
			}
		}
	})
}

func testLinkAccounts(t *testing.T, open Opener) {
	ctx := context.Background()
	db := open(t, NewClock().Now)
	a, b, c := seed(t, db, "111"), seed(t, db, "222"), seed(t, db, "333")
	c1 := createConnection(t, db, newConnection("One", a.InstitutionID))
	c2 := createConnection(t, db, newConnection("Two", a.InstitutionID))
	link := func(conn *bankfeed.Connection, acct *bankfeed.Account, desc string, enabled bool) bankfeed.ConnectionAccount {
		return bankfeed.ConnectionAccount{ConnectionID: conn.ID, AccountID: acct.ID, Kind: acct.Kind, BankID: acct.BankID,
			Number: acct.Number, Type: acct.Type, Desc: desc, Enabled: enabled}
	}
	relinked := link(c1, a, "Everyday checking", false)
	relinked.Type = "MONEYMRKT"
	steps := []struct {
		name    string
		link    bankfeed.ConnectionAccount
		wantErr bankfeed.ErrorCode
		wantMsg string
	}{
		{"link", link(c1, a, "Checking", true), "", ""},
		{"link a second account", link(c1, b, "", true), "", ""},
		{"relink the same pair updates it", relinked, "", ""},
		{"account fed by another connection", link(c2, a, "Mine", true), bankfeed.EConflict, fmt.Sprint("connection ", c1.ID)},
		{"unknown account", bankfeed.ConnectionAccount{ConnectionID: c2.ID, AccountID: 999, Kind: bankfeed.KindBank,
			Number: "9"}, bankfeed.ENotFound, ""},
		{"unknown connection", link(&bankfeed.Connection{ID: 999}, c, "", true), bankfeed.ENotFound, ""},
		{"another connection, another account", link(c2, c, "Card", true), "", ""},
	}
	for _, st := range steps {
		err := db.Update(ctx, func(tx *store.Tx) error {
			l := st.link
			return tx.LinkAccount(ctx, &l)
		})
		if code := bankfeed.ErrorCodeOf(err); code != st.wantErr {
			t.Fatalf("%s: LinkAccount = %v (code %q), want %q", st.name, err, code, st.wantErr)
		}
		if err != nil && !strings.Contains(err.Error(), st.wantMsg) {
			t.Errorf("%s: error %q does not name %s", st.name, err, st.wantMsg)
		}
	}
	wantB := link(c1, b, "", true)
	wantC := link(c2, c, "Card", true)
	list, err := db.Connections(ctx, store.ConnectionFilter{})
	if err != nil || len(list) != 2 {
		t.Fatalf("Connections = %v, %v", names(list), err)
	}
	if diff := cmp.Diff([]*bankfeed.ConnectionAccount{&relinked, &wantB}, list[0].Accounts); diff != "" {
		t.Errorf("accounts of One (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]*bankfeed.ConnectionAccount{&wantC}, list[1].Accounts); diff != "" {
		t.Errorf("accounts of Two (-want +got):\n%s", diff)
	}

	update(t, db, func(ctx context.Context, tx *store.Tx) error { return tx.UnlinkAccounts(ctx, c1.ID) })
	if got := connection(t, db, c1.ID).Accounts; got == nil || len(got) != 0 {
		t.Errorf("accounts of One after UnlinkAccounts = %#v, want an empty list", got)
	}
	if diff := cmp.Diff([]*bankfeed.ConnectionAccount{&wantC}, connection(t, db, c2.ID).Accounts); diff != "" {
		t.Errorf("accounts of Two after unlinking One (-want +got):\n%s", diff)
	}
	for _, acct := range []*bankfeed.Account{a, b} {
		if _, err := db.Account(ctx, acct.ID); err != nil {
			t.Errorf("feed account %d after UnlinkAccounts: %v", acct.ID, err)
		}
	}
	// The unlinked account is free for another connection.
	update(t, db, func(ctx context.Context, tx *store.Tx) error {
		l := link(c2, a, "Mine", true)
		return tx.LinkAccount(ctx, &l)
	})
	if got := connection(t, db, c2.ID).Accounts; len(got) != 2 || got[0].AccountID != a.ID {
		t.Errorf("accounts of Two = %+v, want %d and %d", got, a.ID, c.ID)
	}
}

func testConnectionFilter(t *testing.T, open Opener) {
	ctx := context.Background()
	clock := NewClock()
	db := open(t, clock.Now)
	acct := seed(t, db, "1")
	inst1 := acct.InstitutionID
	inst2 := institution(t, db, "B2", "20000")
	now := clock.T
	for _, c := range []struct {
		name     string
		inst     bankfeed.InstitutionID
		next     time.Time
		disabled bool
	}{
		{"past", inst1, now.Add(-time.Hour), false},
		{"now", inst1, now, false},
		{"future", inst2, now.Add(time.Hour), false},
		{"never", inst1, time.Time{}, false},
		{"disabled", inst2, now.Add(-time.Hour), true},
	} {
		conn := newConnection(c.name, c.inst)
		conn.NextAttemptAt, conn.Disabled = c.next, c.disabled
		createConnection(t, db, conn)
		if c.name == "now" {
			update(t, db, func(ctx context.Context, tx *store.Tx) error {
				return tx.LinkAccount(ctx, &bankfeed.ConnectionAccount{ConnectionID: conn.ID, AccountID: acct.ID,
					Kind: acct.Kind, Number: acct.Number, Enabled: true})
			})
		}
	}
	tests := []struct {
		name string
		f    store.ConnectionFilter
		want []string
	}{
		{"all", store.ConnectionFilter{}, []string{"past", "now", "future", "never", "disabled"}},
		{"institution", store.ConnectionFilter{InstitutionID: inst1}, []string{"past", "now", "never"}},
		{"other institution", store.ConnectionFilter{InstitutionID: inst2}, []string{"future", "disabled"}},
		{"due now", store.ConnectionFilter{DueBy: now}, []string{"past", "now"}},
		{"due just before now", store.ConnectionFilter{DueBy: now.Add(-time.Microsecond)}, []string{"past"}},
		{"due in an hour", store.ConnectionFilter{DueBy: now.Add(time.Hour)}, []string{"past", "now", "future"}},
		{"due at another institution", store.ConnectionFilter{DueBy: now, InstitutionID: inst2}, []string{}},
		{"due in another zone", store.ConnectionFilter{DueBy: now.In(time.FixedZone("X", 9*3600))}, []string{"past", "now"}},
		{"name", store.ConnectionFilter{Name: "future"}, []string{"future"}},
		{"unknown institution", store.ConnectionFilter{InstitutionID: 999}, []string{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := db.Connections(ctx, tc.f)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, names(got)); diff != "" {
				t.Errorf("Connections (-want +got):\n%s", diff)
			}
			for _, c := range got {
				wantAccts := 0
				if c.Name == "now" {
					wantAccts = 1
				}
				if len(c.Accounts) != wantAccts {
					t.Errorf("%s has %d accounts, want %d", c.Name, len(c.Accounts), wantAccts)
				}
			}
		})
	}
	var inTx []*bankfeed.Connection
	update(t, db, func(ctx context.Context, tx *store.Tx) (err error) {
		inTx, err = tx.Connections(ctx, store.ConnectionFilter{DueBy: now})
		return err
	})
	if diff := cmp.Diff([]string{"past", "now"}, names(inTx)); diff != "" {
		t.Errorf("Tx.Connections (-want +got):\n%s", diff)
	}
}

func testSetPassword(t *testing.T, open Opener) {
	ctx := context.Background()
	clock := NewClock()
	db := open(t, clock.Now)
	a := seed(t, db, "1")
	later := clock.T.Add(6 * time.Hour)
	tests := []struct {
		name       string
		state      bankfeed.ConnectionState
		reason     string
		next       time.Time
		wantState  bankfeed.ConnectionState
		wantReason string
		wantNowDue bool // next_attempt_at becomes now; else it stays next
	}{
		{"needs action turns new and due", bankfeed.ConnNeedsAction, "the bank refused the password", time.Time{},
			bankfeed.ConnNew, "", true},
		{"retrying stays", bankfeed.ConnRetrying, "the bank is down", later, bankfeed.ConnRetrying, "the bank is down", false},
		{"ok stays", bankfeed.ConnOK, "", later, bankfeed.ConnOK, "", false},
		{"escalate stays", bankfeed.ConnEscalate, "failing for a week", time.Time{}, bankfeed.ConnEscalate,
			"failing for a week", false},
		{"waiting for bank stays", bankfeed.ConnWaitingForBank, "maintenance", later, bankfeed.ConnWaitingForBank,
			"maintenance", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := createConnection(t, db, newConnection(tc.name, a.InstitutionID))
			verified := true
			update(t, db, func(ctx context.Context, tx *store.Tx) error {
				return tx.UpdateConnectionState(ctx, c.ID, store.ConnectionUpdate{State: tc.state, Reason: tc.reason,
					Next: tc.next, Verified: &verified})
			})
			clock.Advance(time.Minute)
			sealed := []byte("new sealed password " + tc.name)
			update(t, db, func(ctx context.Context, tx *store.Tx) error { return tx.SetPassword(ctx, c.ID, sealed) })
			got := connection(t, db, c.ID)
			wantNext := tc.next
			if tc.wantNowDue {
				wantNext = clock.T
			}
			if got.Verified || got.State != tc.wantState || got.Reason != tc.wantReason || !got.NextAttemptAt.Equal(wantNext) {
				t.Errorf("after SetPassword: verified %v, state %q, reason %q, next %v; want false, %q, %q, %v",
					got.Verified, got.State, got.Reason, got.NextAttemptAt, tc.wantState, tc.wantReason, wantNext)
			}
			if stored, err := db.SealedPassword(ctx, c.ID); err != nil || !bytes.Equal(stored, sealed) {
				t.Errorf("SealedPassword = %q, %v; want %q", stored, err, sealed)
			}
		})
	}
	err := db.Update(ctx, func(tx *store.Tx) error { return tx.SetPassword(ctx, 1, nil) })
	if code := bankfeed.ErrorCodeOf(err); code != bankfeed.EInvalid {
		t.Errorf("SetPassword(empty) = %v, want invalid", err)
	}
}

func testConnectionUpdates(t *testing.T, open Opener) {
	ctx := context.Background()
	clock := NewClock()
	db := open(t, clock.Now)
	a := seed(t, db, "1")
	c := createConnection(t, db, newConnection("Everyday", a.InstitutionID))
	yes, no := true, false
	next := clock.T.Add(15 * time.Minute)
	profile := bankfeed.Profile{URL: "https://new.b1.example/ofx", Org: "B1NEW", FID: "1", BankID: "2", Version: "103",
		AppID: "QMOFX", AppVer: "2500", UserAgent: "ua", ClientUIDRequired: true, CAFile: "ca.pem", PortalURL: "https://b1.example"}
	steps := []struct {
		name string
		do   func(ctx context.Context, tx *store.Tx) error
		want func(c *bankfeed.Connection) // edits the expected connection
	}{
		{"state with verified", func(ctx context.Context, tx *store.Tx) error {
			return tx.UpdateConnectionState(ctx, c.ID, store.ConnectionUpdate{State: bankfeed.ConnOK, Next: next, Verified: &yes})
		}, func(c *bankfeed.Connection) { c.State, c.NextAttemptAt, c.Verified = bankfeed.ConnOK, next, true }},
		{"state without verified keeps it", func(ctx context.Context, tx *store.Tx) error {
			return tx.UpdateConnectionState(ctx, c.ID, store.ConnectionUpdate{State: bankfeed.ConnRetrying,
				Reason: "timed out", Next: next.Add(time.Hour)})
		}, func(c *bankfeed.Connection) {
			c.State, c.Reason, c.NextAttemptAt = bankfeed.ConnRetrying, "timed out", next.Add(time.Hour)
		}},
		{"state with verified false and no next attempt", func(ctx context.Context, tx *store.Tx) error {
			return tx.UpdateConnectionState(ctx, c.ID, store.ConnectionUpdate{State: bankfeed.ConnNeedsAction,
				Reason: "wrong password", Verified: &no})
		}, func(c *bankfeed.Connection) {
			c.State, c.Reason, c.NextAttemptAt, c.Verified = bankfeed.ConnNeedsAction, "wrong password", time.Time{}, false
		}},
		{"disable", func(ctx context.Context, tx *store.Tx) error {
			return tx.SetDisabled(ctx, c.ID, true)
		}, func(c *bankfeed.Connection) { c.Disabled = true }},
		{"enable makes it due now", func(ctx context.Context, tx *store.Tx) error {
			clock.Advance(time.Hour)
			return tx.SetDisabled(ctx, c.ID, false)
		}, func(c *bankfeed.Connection) { c.Disabled, c.NextAttemptAt = false, clock.T }},
		{"profile", func(ctx context.Context, tx *store.Tx) error {
			return tx.UpdateProfile(ctx, c.ID, profile)
		}, func(c *bankfeed.Connection) { c.Profile = profile }},
		{"clientuid", func(ctx context.Context, tx *store.Tx) error {
			return tx.SetClientUID(ctx, c.ID, "0f8fad5b-d9cb-469f-a165-70867728950e")
		}, func(c *bankfeed.Connection) { c.ClientUID = "0f8fad5b-d9cb-469f-a165-70867728950e" }},
	}
	want := connection(t, db, c.ID)
	for _, st := range steps {
		update(t, db, st.do)
		st.want(want)
		if diff := cmp.Diff(want, connection(t, db, c.ID)); diff != "" {
			t.Errorf("after %s (-want +got):\n%s", st.name, diff)
		}
		if st.name == "disable" {
			due, err := db.Connections(ctx, store.ConnectionFilter{DueBy: clock.T.Add(24 * time.Hour)})
			if err != nil || len(due) != 0 {
				t.Errorf("a disabled connection is due: %v, %v", names(due), err)
			}
		}
		if st.name == "enable makes it due now" {
			due, err := db.Connections(ctx, store.ConnectionFilter{DueBy: clock.T})
			if err != nil || len(due) != 1 {
				t.Errorf("an enabled connection is not due now: %v, %v", names(due), err)
			}
		}
	}

	const missing bankfeed.ConnectionID = 999
	unknown := []struct {
		name string
		do   func(ctx context.Context, tx *store.Tx) error
	}{
		{"UpdateProfile", func(ctx context.Context, tx *store.Tx) error { return tx.UpdateProfile(ctx, missing, profile) }},
		{"SetPassword", func(ctx context.Context, tx *store.Tx) error { return tx.SetPassword(ctx, missing, []byte("x")) }},
		{"SetClientUID", func(ctx context.Context, tx *store.Tx) error { return tx.SetClientUID(ctx, missing, "u") }},
		{"UpdateConnectionState", func(ctx context.Context, tx *store.Tx) error {
			return tx.UpdateConnectionState(ctx, missing, store.ConnectionUpdate{State: bankfeed.ConnOK})
		}},
		{"SetDisabled true", func(ctx context.Context, tx *store.Tx) error { return tx.SetDisabled(ctx, missing, true) }},
		{"SetDisabled false", func(ctx context.Context, tx *store.Tx) error { return tx.SetDisabled(ctx, missing, false) }},
		{"DeleteConnection", func(ctx context.Context, tx *store.Tx) error { return tx.DeleteConnection(ctx, missing) }},
	}
	for _, tc := range unknown {
		t.Run(tc.name+" of a missing connection", func(t *testing.T) {
			err := db.Update(ctx, func(tx *store.Tx) error { return tc.do(ctx, tx) })
			if code := bankfeed.ErrorCodeOf(err); code != bankfeed.ENotFound {
				t.Errorf("%v (code %q), want not_found", err, code)
			}
		})
	}
}

// testActionGen: a user's action (a new password, an update marked as
// theirs) moves the action generation on, and a sync's update for an
// earlier generation is not applied.
func testActionGen(t *testing.T, open Opener) {
	ctx := context.Background()
	clock := NewClock()
	db := open(t, clock.Now)
	a := seed(t, db, "1")
	c := createConnection(t, db, newConnection("Everyday", a.InstitutionID))
	yes := true
	syncFor := func(gen int64) bool {
		t.Helper()
		var applied bool
		update(t, db, func(ctx context.Context, tx *store.Tx) (err error) {
			applied, err = tx.UpdateConnectionStateFor(ctx, c.ID, gen, store.ConnectionUpdate{State: bankfeed.ConnOK,
				Reason: "synced", Next: clock.T.Add(24 * time.Hour), Verified: &yes})
			return err
		})
		return applied
	}
	gen := connection(t, db, c.ID).ActionGen
	if !syncFor(gen) {
		t.Fatal("an update for the current generation was not applied")
	}
	if got := connection(t, db, c.ID); got.State != bankfeed.ConnOK || !got.Verified {
		t.Fatalf("after the sync's update: %s verified %v", got.State, got.Verified)
	}
	update(t, db, func(ctx context.Context, tx *store.Tx) error { return tx.SetPassword(ctx, c.ID, []byte("new")) })
	if got := connection(t, db, c.ID).ActionGen; got != gen+1 {
		t.Fatalf("generation after a new password: %d, want %d", got, gen+1)
	}
	if syncFor(gen) {
		t.Error("an update for the generation before the new password was applied")
	}
	if got := connection(t, db, c.ID); got.Verified {
		t.Error("the new password is verified by an update for the old one")
	}
	update(t, db, func(ctx context.Context, tx *store.Tx) error {
		return tx.UpdateConnectionState(ctx, c.ID, store.ConnectionUpdate{State: bankfeed.ConnNew, Reason: "resumed",
			Next: clock.T, UserAction: true})
	})
	if syncFor(gen + 1) {
		t.Error("an update for the generation before the user's resume was applied")
	}
	if !syncFor(gen + 2) {
		t.Error("an update for the current generation was not applied")
	}
	err := db.Update(ctx, func(tx *store.Tx) error {
		_, err := tx.UpdateConnectionStateFor(ctx, 999, 0, store.ConnectionUpdate{State: bankfeed.ConnOK})
		return err
	})
	if code := bankfeed.ErrorCodeOf(err); code != bankfeed.ENotFound {
		t.Errorf("update of a missing connection: %v, want not_found", err)
	}
}

func testDeleteConnection(t *testing.T, open Opener) {
	ctx := context.Background()
	clock := NewClock()
	db := open(t, clock.Now)
	a := seed(t, db, "1")
	gone := createConnection(t, db, newConnection("Gone", a.InstitutionID))
	kept := createConnection(t, db, newConnection("Kept", a.InstitutionID))
	b := seed(t, db, "2")
	run := &bankfeed.SyncRun{AccountID: a.ID, ConnectionID: gone.ID, Trigger: bankfeed.TriggerManual}
	other := &bankfeed.SyncRun{AccountID: b.ID, ConnectionID: kept.ID, Trigger: bankfeed.TriggerSchedule}
	end := time.Date(2026, 2, 28, 0, 0, 0, 0, time.UTC)
	update(t, db, func(ctx context.Context, tx *store.Tx) error {
		for _, l := range []bankfeed.ConnectionAccount{
			{ConnectionID: gone.ID, AccountID: a.ID, Kind: a.Kind, Number: a.Number, Enabled: true},
			{ConnectionID: kept.ID, AccountID: b.ID, Kind: b.Kind, Number: b.Number, Enabled: true},
		} {
			if err := tx.LinkAccount(ctx, &l); err != nil {
				return err
			}
		}
		for _, r := range []*bankfeed.SyncRun{run, other} {
			if err := tx.CreateSyncRun(ctx, r); err != nil {
				return err
			}
		}
		w, err := tx.NewLineWriter(ctx, a.ID, nil, &run.ID)
		if err != nil {
			return err
		}
		defer w.Close()
		for _, l := range manyLines(3, "D") {
			if err := w.Add(ctx, &l); err != nil {
				return err
			}
		}
		if err := w.Flush(ctx); err != nil {
			return err
		}
		return tx.SetCursor(ctx, &bankfeed.SyncCursor{AccountID: a.ID, StatementEnd: end, LastSuccess: clock.T, SyncRunID: run.ID})
	})

	update(t, db, func(ctx context.Context, tx *store.Tx) error { return tx.DeleteConnection(ctx, gone.ID) })

	if _, err := db.Connection(ctx, gone.ID); bankfeed.ErrorCodeOf(err) != bankfeed.ENotFound {
		t.Errorf("deleted connection: %v, want not_found", err)
	}
	if _, err := db.Account(ctx, a.ID); err != nil {
		t.Errorf("its feed account: %v", err)
	}
	if counts, err := db.LineCounts(ctx); err != nil || counts[a.ID] != 3 {
		t.Errorf("its lines: %v, %v; want 3", counts, err)
	}
	cursors, err := db.Cursors(ctx)
	if err != nil || cursors[a.ID] == nil || cursors[a.ID].SyncRunID != run.ID || !cursors[a.ID].StatementEnd.Equal(end) {
		t.Errorf("its cursor: %v, %v", cursors, err)
	}
	got, err := db.SyncRun(ctx, run.ID)
	if err != nil || got.ConnectionID != 0 || got.AccountID != a.ID || got.Trigger != bankfeed.TriggerManual {
		t.Errorf("its sync run: %+v, %v; want it kept with connection 0", got, err)
	}
	if runs, err := db.FindSyncRuns(ctx, store.SyncRunFilter{ConnectionID: gone.ID}); err != nil || len(runs) != 0 {
		t.Errorf("runs of the deleted connection: %d, %v", len(runs), err)
	}
	if runs, err := db.FindSyncRuns(ctx, store.SyncRunFilter{ConnectionID: kept.ID}); err != nil || len(runs) != 1 ||
		runs[0].ID != other.ID {
		t.Errorf("runs of the other connection: %v, %v", runs, err)
	}
	k := connection(t, db, kept.ID)
	if len(k.Accounts) != 1 || k.Accounts[0].AccountID != b.ID {
		t.Errorf("the other connection's accounts: %+v", k.Accounts)
	}
	counts, err := db.TableCounts(ctx)
	if err != nil || counts["connections"] != 1 || counts["connection_accounts"] != 1 {
		t.Errorf("table counts %v, %v; want one connection and one link left", counts, err)
	}
	// The account is free again.
	update(t, db, func(ctx context.Context, tx *store.Tx) error {
		return tx.LinkAccount(ctx, &bankfeed.ConnectionAccount{ConnectionID: kept.ID, AccountID: a.ID, Kind: a.Kind,
			Number: a.Number, Enabled: true})
	})
	err = db.Update(ctx, func(tx *store.Tx) error { return tx.DeleteConnection(ctx, gone.ID) })
	if bankfeed.ErrorCodeOf(err) != bankfeed.ENotFound {
		t.Errorf("delete twice: %v, want not_found", err)
	}
}
