package store

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"github.com/bankfeed/bankfeed"
)

// CreateConnection stores a new connection with its sealed password; c.ID
// and c.CreatedAt are set. Its accounts are linked with LinkAccount.
func (tx *Tx) CreateConnection(ctx context.Context, c *bankfeed.Connection, sealedPassword []byte) error {
	if c.Name == "" {
		return bankfeed.Errorf(bankfeed.EInvalid, "create connection: no name")
	}
	if len(sealedPassword) == 0 {
		return bankfeed.Errorf(bankfeed.EInvalid, "create connection %q: no password", c.Name)
	}
	if c.State == "" {
		c.State = bankfeed.ConnNew
	}
	c.CreatedAt = tx.Now()
	p := c.Profile
	err := tx.q().QueryRowContext(ctx, tx.d.rebind(`INSERT INTO connections
		(name, institution_id, url, org, fid, bank_id, version, app_id, app_ver, user_agent, clientuid_required,
		 ca_file, portal_url, user_id, password_sealed, clientuid, state, reason, next_attempt_at, verified, disabled,
		 created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`),
		c.Name, c.InstitutionID, p.URL, p.Org, p.FID, p.BankID, p.Version, p.AppID, p.AppVer, p.UserAgent,
		p.ClientUIDRequired, p.CAFile, p.PortalURL, c.UserID, sealedPassword, c.ClientUID, c.State, c.Reason,
		nullTime(c.NextAttemptAt), c.Verified, c.Disabled, formatTime(c.CreatedAt)).Scan(&c.ID)
	if bankfeed.ErrorCodeOf(tx.d.mapError(err)) == bankfeed.EConflict {
		return bankfeed.Errorf(bankfeed.EConflict, "a connection named %q exists already", c.Name)
	}
	return tx.d.wrap("create connection", err)
}

// UpdateProfile replaces a connection's profile.
func (tx *Tx) UpdateProfile(ctx context.Context, id bankfeed.ConnectionID, p bankfeed.Profile) error {
	return tx.updateConnection(ctx, id, "update profile", `url = ?, org = ?, fid = ?, bank_id = ?, version = ?,
		app_id = ?, app_ver = ?, user_agent = ?, clientuid_required = ?, ca_file = ?, portal_url = ?`,
		p.URL, p.Org, p.FID, p.BankID, p.Version, p.AppID, p.AppVer, p.UserAgent, p.ClientUIDRequired, p.CAFile, p.PortalURL)
}

// SetPassword replaces a connection's sealed password: a user's action,
// so a sync under way learns nothing about it. The new password is not yet known to work: the connection is no
// longer verified, and one that waited for the user is due now.
func (tx *Tx) SetPassword(ctx context.Context, id bankfeed.ConnectionID, sealed []byte) error {
	if len(sealed) == 0 {
		return bankfeed.Errorf(bankfeed.EInvalid, "set password: empty")
	}
	return tx.updateConnection(ctx, id, "set password", `password_sealed = ?, verified = 0, action_gen = action_gen + 1,
		state = CASE WHEN state = 'needs_action' THEN 'new' ELSE state END,
		reason = CASE WHEN state = 'needs_action' THEN '' ELSE reason END,
		next_attempt_at = CASE WHEN state = 'needs_action' THEN ? ELSE next_attempt_at END`,
		sealed, formatTime(tx.Now()))
}

// SetClientUID records the CLIENTUID generated for a connection.
func (tx *Tx) SetClientUID(ctx context.Context, id bankfeed.ConnectionID, uid string) error {
	return tx.updateConnection(ctx, id, "set clientuid", `clientuid = ?`, uid)
}

// ConnectionUpdate is what a sync learned about a connection.
type ConnectionUpdate struct {
	State  bankfeed.ConnectionState
	Reason string
	Next   time.Time // zero: no automatic attempt
	// Verified, when set, records whether the password worked.
	Verified *bool
	// UserAction says the update is the user's (see UpdateConnectionStateFor).
	UserAction bool
}

// UpdateConnectionState records a connection's state; UserAction says it is
// the user's doing (Resume, Reset), which a sync under way must not undo.
func (tx *Tx) UpdateConnectionState(ctx context.Context, id bankfeed.ConnectionID, u ConnectionUpdate) error {
	set, args := u.set()
	return tx.updateConnection(ctx, id, "update connection", set, args...)
}

// set is the SET clause of u and its arguments.
func (u ConnectionUpdate) set() (string, []any) {
	set := `state = ?, reason = ?, next_attempt_at = ?`
	args := []any{u.State, u.Reason, nullTime(u.Next)}
	if u.Verified != nil {
		set += `, verified = ?`
		args = append(args, *u.Verified)
	}
	if u.UserAction {
		set += `, action_gen = action_gen + 1`
	}
	return set, args
}

// UpdateConnectionStateFor is UpdateConnectionState for what a sync that
// started at action generation gen learned: it applies only if the user
// has not acted on the connection since, and reports whether it did. A
// user's action (a new password, resume, reset) keeps the standing it gave.
func (tx *Tx) UpdateConnectionStateFor(ctx context.Context, id bankfeed.ConnectionID, gen int64, u ConnectionUpdate) (bool, error) {
	set, args := u.set()
	res, err := tx.tx.ExecContext(ctx, tx.d.rebind(`UPDATE connections SET `+set+` WHERE id = ? AND action_gen = ?`),
		append(args, id, gen)...)
	if err != nil {
		return false, tx.d.wrap("update connection", err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 1 {
		return err == nil, tx.d.wrap("update connection", err)
	}
	var one int
	err = tx.q().QueryRowContext(ctx, tx.d.rebind(`SELECT 1 FROM connections WHERE id = ?`), id).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, bankfeed.Errorf(bankfeed.ENotFound, "update connection: no connection %d", id)
	}
	return false, tx.d.wrap("update connection", err)
}

// SetDisabled switches a connection off or on. A connection switched on is
// due at once.
func (tx *Tx) SetDisabled(ctx context.Context, id bankfeed.ConnectionID, disabled bool) error {
	if disabled {
		return tx.updateConnection(ctx, id, "disable connection", `disabled = 1`)
	}
	return tx.updateConnection(ctx, id, "enable connection", `disabled = 0, next_attempt_at = ?`, formatTime(tx.Now()))
}

func (tx *Tx) updateConnection(ctx context.Context, id bankfeed.ConnectionID, what, set string, args ...any) error {
	res, err := tx.tx.ExecContext(ctx, tx.d.rebind(`UPDATE connections SET `+set+` WHERE id = ?`), append(args, id)...)
	if err != nil {
		return tx.d.wrap(what, err)
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		return bankfeed.Errorf(bankfeed.ENotFound, "%s: no connection %d", what, id)
	}
	return nil
}

// DeleteConnection removes a connection and its links. Its feed accounts,
// their lines, cursors and runs stay: the history is the user's.
func (tx *Tx) DeleteConnection(ctx context.Context, id bankfeed.ConnectionID) error {
	if _, err := tx.q().ExecContext(ctx, tx.d.rebind(`DELETE FROM connection_accounts WHERE connection_id = ?`), id); err != nil {
		return tx.d.wrap("remove connection", err)
	}
	res, err := tx.q().ExecContext(ctx, tx.d.rebind(`DELETE FROM connections WHERE id = ?`), id)
	if err != nil {
		return tx.d.wrap("remove connection", err)
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		return bankfeed.Errorf(bankfeed.ENotFound, "remove connection: no connection %d", id)
	}
	return nil
}

// LinkAccount links an account the bank lists for a connection to a feed
// account. A feed account is filled by one connection at a time: linking
// one that another connection fills is a conflict. Linking again the same
// pair updates the bank's description of it.
func (tx *Tx) LinkAccount(ctx context.Context, ca *bankfeed.ConnectionAccount) error {
	var other bankfeed.ConnectionID
	err := tx.q().QueryRowContext(ctx, tx.d.rebind(`SELECT connection_id FROM connection_accounts WHERE account_id = ?`),
		ca.AccountID).Scan(&other)
	switch {
	case err == nil && other != ca.ConnectionID:
		return bankfeed.Errorf(bankfeed.EConflict, "account %d is already fed by connection %d; remove or reset that one first",
			ca.AccountID, other)
	case err != nil && !errors.Is(err, sql.ErrNoRows):
		return tx.d.wrap("link account", err)
	}
	_, err = tx.q().ExecContext(ctx, tx.d.rebind(`INSERT INTO connection_accounts
		(connection_id, account_id, kind, bank_id, number, type, descr, enabled) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (connection_id, account_id) DO UPDATE SET kind = excluded.kind, bank_id = excluded.bank_id,
		number = excluded.number, type = excluded.type, descr = excluded.descr, enabled = excluded.enabled`),
		ca.ConnectionID, ca.AccountID, ca.Kind, ca.BankID, ca.Number, ca.Type, ca.Desc, ca.Enabled)
	return tx.d.wrap("link account", err)
}

// UnlinkAccounts drops every link of a connection; the feed accounts stay.
func (tx *Tx) UnlinkAccounts(ctx context.Context, id bankfeed.ConnectionID) error {
	_, err := tx.q().ExecContext(ctx, tx.d.rebind(`DELETE FROM connection_accounts WHERE connection_id = ?`), id)
	return tx.d.wrap("unlink accounts", err)
}

const connectionColumns = `id, name, institution_id, url, org, fid, bank_id, version, app_id, app_ver, user_agent,
	clientuid_required, ca_file, portal_url, user_id, clientuid, state, reason, next_attempt_at, verified, disabled,
	created_at, action_gen`

func scanConnection(row interface{ Scan(...any) error }) (*bankfeed.Connection, error) {
	var c bankfeed.Connection
	var next sql.NullString
	var created string
	p := &c.Profile
	if err := row.Scan(&c.ID, &c.Name, &c.InstitutionID, &p.URL, &p.Org, &p.FID, &p.BankID, &p.Version, &p.AppID,
		&p.AppVer, &p.UserAgent, &p.ClientUIDRequired, &p.CAFile, &p.PortalURL, &c.UserID, &c.ClientUID, &c.State,
		&c.Reason, &next, &c.Verified, &c.Disabled, &created, &c.ActionGen); err != nil {
		return nil, err
	}
	var err error
	if c.NextAttemptAt, err = scanTime(next); err != nil {
		return nil, err
	}
	c.CreatedAt, err = parseTime(created)
	c.Accounts = []*bankfeed.ConnectionAccount{}
	return &c, err
}

// ConnectionFilter selects connections; zero fields select everything.
type ConnectionFilter struct {
	ID            bankfeed.ConnectionID
	Name          string
	InstitutionID bankfeed.InstitutionID
	// DueBy keeps enabled connections due for an automatic sync at or
	// before it.
	DueBy time.Time
}

// Connections lists the connections f selects by id, with their accounts.
func (db *DB) Connections(ctx context.Context, f ConnectionFilter) ([]*bankfeed.Connection, error) {
	var out []*bankfeed.Connection
	err := db.view(ctx, func(tx cachedTx) (err error) {
		out, err = connections(ctx, tx, db.d, f)
		return err
	})
	return out, err
}

// Connections lists connections inside the transaction.
func (tx *Tx) Connections(ctx context.Context, f ConnectionFilter) ([]*bankfeed.Connection, error) {
	return connections(ctx, tx.q(), tx.d, f)
}

func connections(ctx context.Context, q querier, d *dialect, f ConnectionFilter) ([]*bankfeed.Connection, error) {
	where := ` WHERE 1 = 1`
	var args []any
	if f.ID != 0 {
		where += ` AND id = ?`
		args = append(args, f.ID)
	}
	if f.Name != "" {
		where += ` AND name = ?`
		args = append(args, f.Name)
	}
	if f.InstitutionID != 0 {
		where += ` AND institution_id = ?`
		args = append(args, f.InstitutionID)
	}
	if !f.DueBy.IsZero() {
		where += ` AND disabled = 0 AND next_attempt_at IS NOT NULL AND next_attempt_at <= ?`
		args = append(args, formatTime(f.DueBy))
	}
	rows, err := q.QueryContext(ctx, d.rebind(`SELECT `+connectionColumns+` FROM connections`+where+` ORDER BY id`), args...)
	if err != nil {
		return nil, d.wrap("list connections", err)
	}
	defer rows.Close()
	out := []*bankfeed.Connection{}
	byID := map[bankfeed.ConnectionID]*bankfeed.Connection{}
	for rows.Next() {
		c, err := scanConnection(rows)
		if err != nil {
			return nil, d.wrap("list connections", err)
		}
		out = append(out, c)
		byID[c.ID] = c
	}
	if err := rows.Err(); err != nil {
		return nil, d.wrap("list connections", err)
	}
	rows.Close()
	if len(out) == 0 {
		return out, nil
	}
	rows, err = q.QueryContext(ctx, d.rebind(`SELECT `+connectionAccountColumns+`
		FROM connection_accounts WHERE connection_id IN (SELECT id FROM connections`+where+`) ORDER BY connection_id, account_id`), args...)
	if err != nil {
		return nil, d.wrap("list connection accounts", err)
	}
	defer rows.Close()
	for rows.Next() {
		ca, err := scanConnectionAccount(rows)
		if err != nil {
			return nil, d.wrap("list connection accounts", err)
		}
		if c := byID[ca.ConnectionID]; c != nil {
			c.Accounts = append(c.Accounts, ca)
		}
	}
	return out, d.wrap("list connection accounts", rows.Err())
}

const connectionAccountColumns = `connection_id, account_id, kind, bank_id, number, type, descr, enabled`

func scanConnectionAccount(rows *sql.Rows) (*bankfeed.ConnectionAccount, error) {
	var ca bankfeed.ConnectionAccount
	err := rows.Scan(&ca.ConnectionID, &ca.AccountID, &ca.Kind, &ca.BankID, &ca.Number, &ca.Type, &ca.Desc, &ca.Enabled)
	return &ca, err
}

// connectionAccounts returns the accounts of connection id, by account.
func connectionAccounts(ctx context.Context, q querier, d *dialect, id bankfeed.ConnectionID) ([]*bankfeed.ConnectionAccount, error) {
	rows, err := q.QueryContext(ctx, d.rebind(`SELECT `+connectionAccountColumns+`
		FROM connection_accounts WHERE connection_id = ? ORDER BY account_id`), id)
	if err != nil {
		return nil, d.wrap("list connection accounts", err)
	}
	defer rows.Close()
	out := []*bankfeed.ConnectionAccount{}
	for rows.Next() {
		ca, err := scanConnectionAccount(rows)
		if err != nil {
			return nil, d.wrap("list connection accounts", err)
		}
		out = append(out, ca)
	}
	return out, d.wrap("list connection accounts", rows.Err())
}

// qualify prefixes each column of a list with prefix (a table's alias).
func qualify(prefix, columns string) string {
	cs := strings.Split(columns, ",")
	for i, c := range cs {
		cs[i] = prefix + strings.TrimSpace(c)
	}
	return strings.Join(cs, ", ")
}

// Connection returns the connection with id, with its accounts.
func (db *DB) Connection(ctx context.Context, id bankfeed.ConnectionID) (*bankfeed.Connection, error) {
	if id <= 0 {
		return nil, bankfeed.Errorf(bankfeed.ENotFound, "no connection %d", id)
	}
	cs, err := db.Connections(ctx, ConnectionFilter{ID: id})
	if err != nil {
		return nil, err
	}
	if len(cs) == 0 {
		return nil, bankfeed.Errorf(bankfeed.ENotFound, "no connection %d", id)
	}
	return cs[0], nil
}

// FindConnection returns the connection named ref, or whose id is ref.
func (db *DB) FindConnection(ctx context.Context, ref string) (*bankfeed.Connection, error) {
	ref = strings.TrimSpace(ref)
	if ref == "" {
		return nil, bankfeed.Errorf(bankfeed.EInvalid, "no connection given")
	}
	cs, err := db.Connections(ctx, ConnectionFilter{Name: ref})
	if err != nil {
		return nil, err
	}
	if len(cs) == 1 {
		return cs[0], nil
	}
	if id, ok := parseID(ref); ok {
		return db.Connection(ctx, bankfeed.ConnectionID(id))
	}
	return nil, bankfeed.Errorf(bankfeed.ENotFound, "no connection %q (see bankfeed connections)", ref)
}

// SealedPassword returns a connection's sealed password, for the one
// caller that holds the key.
func (db *DB) SealedPassword(ctx context.Context, id bankfeed.ConnectionID) ([]byte, error) {
	var sealed []byte
	err := db.view(ctx, func(tx cachedTx) error {
		err := tx.QueryRowContext(ctx, db.d.rebind(`SELECT password_sealed FROM connections WHERE id = ?`), id).Scan(&sealed)
		if errors.Is(err, sql.ErrNoRows) {
			return bankfeed.Errorf(bankfeed.ENotFound, "no connection %d", id)
		}
		return db.d.wrap("read password", err)
	})
	return sealed, err
}

// WakeConnections makes the enabled connections of an institution due now,
// but for except and those waiting for their user: what an institution's
// closing circuit does, so all resume at once.
func (tx *Tx) WakeConnections(ctx context.Context, inst bankfeed.InstitutionID, except bankfeed.ConnectionID) error {
	_, err := tx.q().ExecContext(ctx, tx.d.rebind(`UPDATE connections SET next_attempt_at = ?
		WHERE institution_id = ? AND id <> ? AND disabled = 0 AND next_attempt_at IS NOT NULL AND next_attempt_at > ?`),
		formatTime(tx.Now()), inst, except, formatTime(tx.Now()))
	return tx.d.wrap("wake connections", err)
}
