package store

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/bankfeed/bankfeed"
)

// RuleRecord is a bank rule as the store keeps it: the columns a list
// shows and sorts by, and the rest of the rule (match, conditions,
// actions) as JSON the rules package reads. The store does not look inside
// Definition.
type RuleRecord struct {
	ID       int64
	Name     string
	Stage    string // "pre", "default" or "post"
	Priority int
	Enabled  bool
	Origin   string // "user", "learned" or "proposed"
	// Definition is JSON: {"match": …, "conditions": […], "actions": […]}.
	Definition string
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// check returns every problem of r the store can see, naming the field.
func (r *RuleRecord) check() []string {
	var problems []string
	if strings.TrimSpace(r.Name) == "" {
		problems = append(problems, "name: empty")
	}
	switch r.Stage {
	case "pre", "default", "post":
	default:
		problems = append(problems, "stage: "+strconv.Quote(r.Stage)+" is not one of pre, default, post")
	}
	switch r.Origin {
	case "user", "learned", "proposed":
	default:
		problems = append(problems, "origin: "+strconv.Quote(r.Origin)+" is not one of user, learned, proposed")
	}
	if strings.TrimSpace(r.Definition) == "" {
		problems = append(problems, "definition: empty")
	}
	return problems
}

const ruleColumns = `id, name, stage, priority, enabled, origin, definition, created_at, updated_at`

// scanRule reads one row of ruleColumns.
func scanRule(row interface{ Scan(...any) error }) (*RuleRecord, error) {
	var r RuleRecord
	var created, updated string
	if err := row.Scan(&r.ID, &r.Name, &r.Stage, &r.Priority, &r.Enabled, &r.Origin, &r.Definition, &created, &updated); err != nil {
		return nil, err
	}
	var err error
	if r.CreatedAt, err = parseTime(created); err != nil {
		return nil, err
	}
	if r.UpdatedAt, err = parseTime(updated); err != nil {
		return nil, err
	}
	return &r, nil
}

// Rules lists every rule, enabled or not, by id.
func (db *DB) Rules(ctx context.Context) ([]*RuleRecord, error) {
	var out []*RuleRecord
	err := db.view(ctx, func(tx cachedTx) (err error) {
		out, err = listRules(ctx, tx, db.d)
		return err
	})
	return out, err
}

// Rules is DB.Rules in the transaction: it sees the rules the transaction
// added.
func (tx *Tx) Rules(ctx context.Context) ([]*RuleRecord, error) {
	return listRules(ctx, tx.q(), tx.d)
}

func listRules(ctx context.Context, q querier, d *dialect) ([]*RuleRecord, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+ruleColumns+` FROM rules ORDER BY id`)
	if err != nil {
		return nil, d.wrap("list rules", err)
	}
	defer rows.Close()
	var out []*RuleRecord
	for rows.Next() {
		r, err := scanRule(rows)
		if err != nil {
			return nil, d.wrap("list rules", err)
		}
		out = append(out, r)
	}
	return out, d.wrap("list rules", rows.Err())
}

// Rule reads one rule; not found when there is none.
func (tx *Tx) Rule(ctx context.Context, id int64) (*RuleRecord, error) {
	r, err := scanRule(tx.q().QueryRowContext(ctx, tx.d.rebind(`SELECT `+ruleColumns+` FROM rules WHERE id = ?`), id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, bankfeed.Errorf(bankfeed.ENotFound, "no rule %d", id)
	}
	if err != nil {
		return nil, tx.d.wrap("read rule "+itoa(id), err)
	}
	return r, nil
}

// AddRule stores a new rule; r.ID, r.CreatedAt and r.UpdatedAt are set. A
// bad field is invalid (every problem is named) and nothing is written.
func (tx *Tx) AddRule(ctx context.Context, r *RuleRecord) error {
	if problems := r.check(); len(problems) > 0 {
		return bankfeed.Errorf(bankfeed.EInvalid, "add rule %s: %s", strconv.Quote(r.Name), strings.Join(problems, "; "))
	}
	now := tx.Now()
	err := tx.q().QueryRowContext(ctx, tx.d.rebind(`INSERT INTO rules (name, stage, priority, enabled, origin, definition, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`),
		r.Name, r.Stage, r.Priority, r.Enabled, r.Origin, r.Definition, formatTime(now), formatTime(now)).Scan(&r.ID)
	if err != nil {
		return tx.d.wrap("add rule", err)
	}
	r.CreatedAt, r.UpdatedAt = now.Truncate(time.Microsecond), now.Truncate(time.Microsecond)
	return nil
}

// UpdateRule replaces everything of rule r.ID but its creation time;
// r.UpdatedAt is set. Not found when there is no such rule; invalid, with
// every problem named, when a field is bad.
func (tx *Tx) UpdateRule(ctx context.Context, r *RuleRecord) error {
	if problems := r.check(); len(problems) > 0 {
		return bankfeed.Errorf(bankfeed.EInvalid, "edit rule %d: %s", r.ID, strings.Join(problems, "; "))
	}
	now := tx.Now()
	res, err := tx.q().ExecContext(ctx, tx.d.rebind(`UPDATE rules SET name = ?, stage = ?, priority = ?, enabled = ?, origin = ?,
		definition = ?, updated_at = ? WHERE id = ?`),
		r.Name, r.Stage, r.Priority, r.Enabled, r.Origin, r.Definition, formatTime(now), r.ID)
	if err != nil {
		return tx.d.wrap("edit rule "+itoa(r.ID), err)
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		return bankfeed.Errorf(bankfeed.ENotFound, "edit rule: no rule %d", r.ID)
	}
	r.UpdatedAt = now.Truncate(time.Microsecond)
	return nil
}

// RemoveRule deletes a rule; not found when there is none.
func (tx *Tx) RemoveRule(ctx context.Context, id int64) error {
	res, err := tx.q().ExecContext(ctx, tx.d.rebind(`DELETE FROM rules WHERE id = ?`), id)
	if err != nil {
		return tx.d.wrap("remove rule "+itoa(id), err)
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		return bankfeed.Errorf(bankfeed.ENotFound, "remove rule: no rule %d", id)
	}
	return nil
}

// PayeeAliases returns every descriptor → payee alias, learned or typed.
// Descriptors are normalized by whoever set them.
func (db *DB) PayeeAliases(ctx context.Context) (map[string]string, error) {
	out := map[string]string{}
	err := db.view(ctx, func(tx cachedTx) error {
		rows, err := tx.QueryContext(ctx, `SELECT descriptor, payee FROM payee_aliases`)
		if err != nil {
			return db.d.wrap("list payee aliases", err)
		}
		defer rows.Close()
		for rows.Next() {
			var d, p string
			if err := rows.Scan(&d, &p); err != nil {
				return db.d.wrap("list payee aliases", err)
			}
			out[d] = p
		}
		return db.d.wrap("list payee aliases", rows.Err())
	})
	return out, err
}

// SetPayeeAlias records that a (normalized) descriptor means payee,
// replacing what it meant before. origin is "learned" (from a confirmed
// decision) or "user" (typed by a person).
func (tx *Tx) SetPayeeAlias(ctx context.Context, descriptor, payee, origin string) error {
	var problems []string
	if strings.TrimSpace(descriptor) == "" {
		problems = append(problems, "descriptor: empty")
	}
	if strings.TrimSpace(payee) == "" {
		problems = append(problems, "payee: empty")
	}
	if origin != "learned" && origin != "user" {
		problems = append(problems, "origin: "+strconv.Quote(origin)+" is not one of learned, user")
	}
	if len(problems) > 0 {
		return bankfeed.Errorf(bankfeed.EInvalid, "set payee alias %s: %s", strconv.Quote(descriptor), strings.Join(problems, "; "))
	}
	_, err := tx.q().ExecContext(ctx, tx.d.rebind(`INSERT INTO payee_aliases (descriptor, payee, origin, updated_at)
		VALUES (?, ?, ?, ?) ON CONFLICT (descriptor) DO UPDATE SET payee = excluded.payee, origin = excluded.origin,
		updated_at = excluded.updated_at`), descriptor, payee, origin, formatTime(tx.Now()))
	return tx.d.wrap("set payee alias", err)
}
