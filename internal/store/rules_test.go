package store_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/bankfeed/bankfeed"
	"github.com/bankfeed/bankfeed/internal/store"
	"github.com/bankfeed/bankfeed/internal/store/storetest"
)

func TestRules(t *testing.T) {
	ctx := context.Background()
	clock := storetest.NewClock()
	db := openSQLite(t, clock.Now)
	if rs, err := db.Rules(ctx); err != nil || len(rs) != 0 {
		t.Fatalf("rules of an empty store: %v, %v", rs, err)
	}
	def := `{"match":"all","conditions":[{"field":"payee","op":"is","value":"Amazon"}],"actions":[{"set":"category","value":"Expenses:Office"}]}`
	a := &store.RuleRecord{Name: "Amazon", Stage: "default", Enabled: true, Origin: "user", Definition: def}
	b := &store.RuleRecord{Name: "Proposed: SHELL OIL", Stage: "pre", Priority: 2, Origin: "proposed", Definition: def}
	err := db.Update(ctx, func(tx *store.Tx) error {
		if err := tx.AddRule(ctx, a); err != nil {
			return err
		}
		if err := tx.Audit(ctx, "alice", "rule.add", "rule 1", def); err != nil {
			return err
		}
		return tx.AddRule(ctx, b)
	})
	if err != nil {
		t.Fatal(err)
	}
	if a.ID == 0 || b.ID <= a.ID || !a.CreatedAt.Equal(clock.T) || !a.UpdatedAt.Equal(clock.T) {
		t.Fatalf("added: %+v %+v", a, b)
	}
	got, err := db.Rules(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]*store.RuleRecord{a, b}, got); diff != "" {
		t.Errorf("Rules (-want +got):\n%s", diff)
	}

	clock.Advance(time.Hour)
	b.Enabled, b.Origin, b.Name = true, "user", "Shell"
	err = db.Update(ctx, func(tx *store.Tx) error {
		if err := tx.UpdateRule(ctx, b); err != nil {
			return err
		}
		r, err := tx.Rule(ctx, b.ID)
		if err != nil {
			return err
		}
		if diff := cmp.Diff(b, r); diff != "" {
			t.Errorf("Rule after edit (-want +got):\n%s", diff)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !b.UpdatedAt.Equal(clock.T) || b.CreatedAt.Equal(clock.T) {
		t.Errorf("edited times: created %v, updated %v", b.CreatedAt, b.UpdatedAt)
	}

	// Not found, and invalid with every problem named.
	update := func(fn func(tx *store.Tx) error) error { return db.Update(ctx, fn) }
	tests := []struct {
		name     string
		fn       func(tx *store.Tx) error
		wantCode bankfeed.ErrorCode
		wantMsg  string
	}{
		{"read missing", func(tx *store.Tx) error { _, err := tx.Rule(ctx, 99); return err }, bankfeed.ENotFound, "no rule 99"},
		{"edit missing", func(tx *store.Tx) error {
			return tx.UpdateRule(ctx, &store.RuleRecord{ID: 99, Name: "x", Stage: "pre", Origin: "user", Definition: def})
		}, bankfeed.ENotFound, "edit rule: no rule 99"},
		{"remove missing", func(tx *store.Tx) error { return tx.RemoveRule(ctx, 99) }, bankfeed.ENotFound, "remove rule: no rule 99"},
		{"add invalid", func(tx *store.Tx) error {
			return tx.AddRule(ctx, &store.RuleRecord{Name: " ", Stage: "late", Origin: "robot"})
		}, bankfeed.EInvalid, `add rule " ": name: empty; stage: "late" is not one of pre, default, post; origin: "robot" is not one of user, learned, proposed; definition: empty`},
		{"edit invalid", func(tx *store.Tx) error {
			return tx.UpdateRule(ctx, &store.RuleRecord{ID: a.ID, Name: "x", Stage: "", Origin: "user", Definition: def})
		}, bankfeed.EInvalid, `stage: "" is not one of pre, default, post`},
	}
	for _, tc := range tests {
		err := update(tc.fn)
		if bankfeed.ErrorCodeOf(err) != tc.wantCode || !strings.Contains(err.Error(), tc.wantMsg) {
			t.Errorf("%s: %v (%s), want %s %q", tc.name, err, bankfeed.ErrorCodeOf(err), tc.wantCode, tc.wantMsg)
		}
	}

	// A failed change rolls back its audit entry with it.
	boom := errors.New("boom")
	err = db.Update(ctx, func(tx *store.Tx) error {
		if err := tx.RemoveRule(ctx, a.ID); err != nil {
			return err
		}
		if err := tx.Audit(ctx, "alice", "rule.remove", "rule 1", def); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatal(err)
	}
	if rs, _ := db.Rules(ctx); len(rs) != 2 {
		t.Errorf("after a rolled-back remove: %d rules", len(rs))
	}
	if log, _ := db.AuditLog(ctx, store.AuditFilter{Action: "rule."}); len(log) != 1 || log[0].Action != "rule.add" {
		t.Errorf("audit log: %+v", log)
	}

	if err := db.Update(ctx, func(tx *store.Tx) error { return tx.RemoveRule(ctx, a.ID) }); err != nil {
		t.Fatal(err)
	}
	if rs, _ := db.Rules(ctx); len(rs) != 1 || rs[0].ID != b.ID {
		t.Errorf("after remove: %+v", rs)
	}
}

func TestPayeeAliases(t *testing.T) {
	ctx := context.Background()
	db := openSQLite(t, storetest.NewClock().Now)
	set := func(d, p, origin string) error {
		return db.Update(ctx, func(tx *store.Tx) error { return tx.SetPayeeAlias(ctx, d, p, origin) })
	}
	for _, a := range [][3]string{
		{"SQ BLUE BOTTLE OAKLAND CA", "Blue Bottle", "learned"},
		{"AMZN MKTP US", "Amazon", "learned"},
		{"SQ BLUE BOTTLE OAKLAND CA", "Blue Bottle Coffee", "user"}, // replaces
	} {
		if err := set(a[0], a[1], a[2]); err != nil {
			t.Fatal(err)
		}
	}
	got, err := db.PayeeAliases(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"SQ BLUE BOTTLE OAKLAND CA": "Blue Bottle Coffee", "AMZN MKTP US": "Amazon"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("PayeeAliases (-want +got):\n%s", diff)
	}
	err = set(" ", "", "guessed")
	want2 := `set payee alias " ": descriptor: empty; payee: empty; origin: "guessed" is not one of learned, user`
	if bankfeed.ErrorCodeOf(err) != bankfeed.EInvalid || err.Error() != want2 {
		t.Errorf("bad alias: %v", err)
	}
}
