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

// Users, their sessions and API tokens. Only hashes of secrets reach the
// store: the caller hashes a password (argon2id), a session id and a token
// (SHA-256) before they come here.

const userCols = `id, name, role, disabled, created_at`

func scanUser(sc interface{ Scan(...any) error }, hash *string) (*bankfeed.User, error) {
	var u bankfeed.User
	var at string
	dest := []any{&u.ID, &u.Name, &u.Role, &u.Disabled, &at}
	if hash != nil {
		dest = append(dest, hash)
	}
	if err := sc.Scan(dest...); err != nil {
		return nil, err
	}
	var err error
	u.CreatedAt, err = parseTime(at)
	return &u, err
}

// checkUser returns what is wrong with a user's fields, naming them.
func checkUser(u *bankfeed.User) error {
	name := strings.TrimSpace(u.Name)
	switch {
	case name == "" || name != u.Name:
		return bankfeed.Errorf(bankfeed.EInvalid, "user name %s: empty, or with spaces at an end", strconv.Quote(u.Name))
	case len(name) > 64 || strings.ContainsAny(name, "\x00\r\n\t/"):
		return bankfeed.Errorf(bankfeed.EInvalid, "user name %s: at most 64 characters, without control characters or /", strconv.Quote(u.Name))
	case !u.Role.Valid():
		return bankfeed.Errorf(bankfeed.EInvalid, "user %s: role %s is not one of viewer, bookkeeper, admin", u.Name, strconv.Quote(string(u.Role)))
	}
	return nil
}

// AddUser adds a user with a password hash; u.ID and u.CreatedAt are set.
// A name already taken (in any case) is EConflict.
func (tx *Tx) AddUser(ctx context.Context, u *bankfeed.User, passwordHash string) error {
	if err := checkUser(u); err != nil {
		return err
	}
	if passwordHash == "" {
		return bankfeed.Errorf(bankfeed.EInvalid, "user %s: no password", u.Name)
	}
	u.CreatedAt = tx.Now()
	err := tx.q().QueryRowContext(ctx, tx.d.rebind(`INSERT INTO users (name, role, password_hash, disabled, created_at)
		VALUES (?, ?, ?, ?, ?) RETURNING id`), u.Name, string(u.Role), passwordHash, u.Disabled, formatTime(u.CreatedAt)).Scan(&u.ID)
	if err != nil {
		if bankfeed.ErrorCodeOf(tx.d.mapError(err)) == bankfeed.EConflict {
			return bankfeed.Errorf(bankfeed.EConflict, "user %s exists already", u.Name)
		}
		return tx.d.wrap("add user "+u.Name, err)
	}
	return nil
}

// UpdateUser writes a user's role and disabled flag. Disabling a user ends
// their sessions.
func (tx *Tx) UpdateUser(ctx context.Context, u *bankfeed.User) error {
	if err := checkUser(u); err != nil {
		return err
	}
	res, err := tx.q().ExecContext(ctx, tx.d.rebind(`UPDATE users SET role = ?, disabled = ? WHERE id = ?`), string(u.Role), u.Disabled, u.ID)
	if err != nil {
		return tx.d.wrap("update user "+u.Name, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return bankfeed.Errorf(bankfeed.ENotFound, "no user %d", u.ID)
	}
	if u.Disabled {
		_, err = tx.q().ExecContext(ctx, tx.d.rebind(`DELETE FROM sessions WHERE user_id = ?`), u.ID)
		return tx.d.wrap("end the sessions of "+u.Name, err)
	}
	return nil
}

// SetUserPassword replaces a user's password hash and ends their sessions.
func (tx *Tx) SetUserPassword(ctx context.Context, id bankfeed.UserID, passwordHash string) error {
	if passwordHash == "" {
		return bankfeed.Errorf(bankfeed.EInvalid, "user %d: no password", id)
	}
	res, err := tx.q().ExecContext(ctx, tx.d.rebind(`UPDATE users SET password_hash = ? WHERE id = ?`), passwordHash, id)
	if err != nil {
		return tx.d.wrap("set password", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return bankfeed.Errorf(bankfeed.ENotFound, "no user %d", id)
	}
	_, err = tx.q().ExecContext(ctx, tx.d.rebind(`DELETE FROM sessions WHERE user_id = ?`), id)
	return tx.d.wrap("end sessions", err)
}

// RemoveUser removes a user, their sessions and tokens.
func (tx *Tx) RemoveUser(ctx context.Context, id bankfeed.UserID) error {
	res, err := tx.q().ExecContext(ctx, tx.d.rebind(`DELETE FROM users WHERE id = ?`), id)
	if err != nil {
		return tx.d.wrap("remove user", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return bankfeed.Errorf(bankfeed.ENotFound, "no user %d", id)
	}
	return nil
}

// Users lists the users by name.
func (db *DB) Users(ctx context.Context) ([]*bankfeed.User, error) {
	var out []*bankfeed.User
	err := db.view(ctx, func(tx cachedTx) error {
		rows, err := tx.QueryContext(ctx, `SELECT `+userCols+` FROM users ORDER BY name`)
		if err != nil {
			return db.d.wrap("list users", err)
		}
		defer rows.Close()
		for rows.Next() {
			u, err := scanUser(rows, nil)
			if err != nil {
				return db.d.wrap("list users", err)
			}
			out = append(out, u)
		}
		return db.d.wrap("list users", rows.Err())
	})
	return out, err
}

// UserByName returns a user (any case of the name) and their password
// hash; ENotFound when there is none.
func (db *DB) UserByName(ctx context.Context, name string) (*bankfeed.User, string, error) {
	var u *bankfeed.User
	var hash string
	err := db.view(ctx, func(tx cachedTx) error {
		var err error
		u, err = scanUser(tx.QueryRowContext(ctx, db.d.rebind(`SELECT `+userCols+`, password_hash FROM users WHERE name = ?`), name), &hash)
		if errors.Is(err, sql.ErrNoRows) {
			return bankfeed.Errorf(bankfeed.ENotFound, "no user %s", strconv.Quote(name))
		}
		return db.d.wrap("read user", err)
	})
	return u, hash, err
}

// UserByID returns a user; ENotFound when there is none.
func (db *DB) UserByID(ctx context.Context, id bankfeed.UserID) (*bankfeed.User, error) {
	var u *bankfeed.User
	err := db.view(ctx, func(tx cachedTx) error {
		var err error
		u, err = scanUser(tx.QueryRowContext(ctx, db.d.rebind(`SELECT `+userCols+` FROM users WHERE id = ?`), id), nil)
		if errors.Is(err, sql.ErrNoRows) {
			return bankfeed.Errorf(bankfeed.ENotFound, "no user %d", id)
		}
		return db.d.wrap("read user", err)
	})
	return u, err
}

// AddSession records a session of a user until expires.
func (tx *Tx) AddSession(ctx context.Context, idHash []byte, user bankfeed.UserID, expires time.Time) error {
	now := tx.Now()
	_, err := tx.q().ExecContext(ctx, tx.d.rebind(`DELETE FROM sessions WHERE expires_at < ?`), formatTime(now))
	if err != nil {
		return tx.d.wrap("purge sessions", err)
	}
	_, err = tx.q().ExecContext(ctx, tx.d.rebind(`INSERT INTO sessions (id_hash, user_id, created_at, expires_at) VALUES (?, ?, ?, ?)`),
		idHash, user, formatTime(now), formatTime(expires))
	return tx.d.wrap("add session", err)
}

// RemoveSession ends a session; ending one that is gone is no error.
func (db *DB) RemoveSession(ctx context.Context, idHash []byte) error {
	return db.Update(ctx, func(tx *Tx) error {
		_, err := tx.q().ExecContext(ctx, tx.d.rebind(`DELETE FROM sessions WHERE id_hash = ?`), idHash)
		return tx.d.wrap("end session", err)
	})
}

// SessionUser returns the user of a session that has not expired, and when
// it expires; a nil user when there is no such session or the user is
// disabled.
func (db *DB) SessionUser(ctx context.Context, idHash []byte) (*bankfeed.User, time.Time, error) {
	var u *bankfeed.User
	var expires time.Time
	err := db.view(ctx, func(tx cachedTx) error {
		var exp string
		row := tx.QueryRowContext(ctx, db.d.rebind(`SELECT u.id, u.name, u.role, u.disabled, u.created_at, s.expires_at
			FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id_hash = ? AND s.expires_at > ? AND u.disabled = 0`),
			idHash, formatTime(db.Now()))
		var err error
		u, err = scanUser(row, &exp)
		if errors.Is(err, sql.ErrNoRows) {
			u = nil
			return nil
		}
		if err != nil {
			return db.d.wrap("read session", err)
		}
		expires, err = parseTime(exp)
		return db.d.wrap("read session", err)
	})
	return u, expires, err
}

// AddToken records a user's API token by its hash; t.ID and t.CreatedAt
// are set.
func (tx *Tx) AddToken(ctx context.Context, t *bankfeed.APIToken, hash []byte) error {
	if strings.TrimSpace(t.Name) == "" {
		return bankfeed.Errorf(bankfeed.EInvalid, "token name: empty")
	}
	t.CreatedAt = tx.Now()
	err := tx.q().QueryRowContext(ctx, tx.d.rebind(`INSERT INTO api_tokens (user_id, name, token_hash, created_at) VALUES (?, ?, ?, ?) RETURNING id`),
		t.UserID, t.Name, hash, formatTime(t.CreatedAt)).Scan(&t.ID)
	return tx.d.wrap("add token", err)
}

// RemoveToken removes one of a user's tokens; ENotFound when the user has
// no such token.
func (tx *Tx) RemoveToken(ctx context.Context, user bankfeed.UserID, id int64) error {
	res, err := tx.q().ExecContext(ctx, tx.d.rebind(`DELETE FROM api_tokens WHERE id = ? AND user_id = ?`), id, user)
	if err != nil {
		return tx.d.wrap("remove token", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return bankfeed.Errorf(bankfeed.ENotFound, "no token %d", id)
	}
	return nil
}

// Tokens lists a user's tokens (all users' when user is 0), newest first.
func (db *DB) Tokens(ctx context.Context, user bankfeed.UserID) ([]*bankfeed.APIToken, error) {
	var out []*bankfeed.APIToken
	err := db.view(ctx, func(tx cachedTx) error {
		rows, err := tx.QueryContext(ctx, db.d.rebind(`SELECT id, user_id, name, created_at, last_used_at FROM api_tokens
			WHERE (? = 0 OR user_id = ?) ORDER BY id DESC`), user, user)
		if err != nil {
			return db.d.wrap("list tokens", err)
		}
		defer rows.Close()
		for rows.Next() {
			var t bankfeed.APIToken
			var at string
			var used sql.NullString
			if err := rows.Scan(&t.ID, &t.UserID, &t.Name, &at, &used); err != nil {
				return db.d.wrap("list tokens", err)
			}
			if t.CreatedAt, err = parseTime(at); err != nil {
				return db.d.wrap("list tokens", err)
			}
			if t.LastUsed, err = scanTime(used); err != nil {
				return db.d.wrap("list tokens", err)
			}
			out = append(out, &t)
		}
		return db.d.wrap("list tokens", rows.Err())
	})
	return out, err
}

// TokenUser returns the enabled user a token hash belongs to and the
// token; a nil user when there is none.
func (db *DB) TokenUser(ctx context.Context, hash []byte) (*bankfeed.User, *bankfeed.APIToken, error) {
	var u *bankfeed.User
	var t bankfeed.APIToken
	err := db.view(ctx, func(tx cachedTx) error {
		var at string
		var used sql.NullString
		err := tx.QueryRowContext(ctx, db.d.rebind(`SELECT t.id, t.user_id, t.name, t.created_at, t.last_used_at
			FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.token_hash = ? AND u.disabled = 0`), hash).
			Scan(&t.ID, &t.UserID, &t.Name, &at, &used)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return db.d.wrap("read token", err)
		}
		if t.CreatedAt, err = parseTime(at); err != nil {
			return db.d.wrap("read token", err)
		}
		if t.LastUsed, err = scanTime(used); err != nil {
			return db.d.wrap("read token", err)
		}
		return nil
	})
	if err != nil || t.ID == 0 {
		return nil, nil, err
	}
	u, err = db.UserByID(ctx, t.UserID)
	if err != nil {
		return nil, nil, err
	}
	return u, &t, nil
}

// TouchToken records that a token was used now.
func (db *DB) TouchToken(ctx context.Context, id int64) error {
	return db.Update(ctx, func(tx *Tx) error {
		_, err := tx.q().ExecContext(ctx, tx.d.rebind(`UPDATE api_tokens SET last_used_at = ? WHERE id = ?`), formatTime(tx.Now()), id)
		return tx.d.wrap("touch token", err)
	})
}

// Settings returns every setting changed from the web interface.
func (db *DB) Settings(ctx context.Context) (map[string]string, error) {
	out := map[string]string{}
	err := db.view(ctx, func(tx cachedTx) error {
		rows, err := tx.QueryContext(ctx, `SELECT key, value FROM settings`)
		if err != nil {
			return db.d.wrap("read settings", err)
		}
		defer rows.Close()
		for rows.Next() {
			var k, v string
			if err := rows.Scan(&k, &v); err != nil {
				return db.d.wrap("read settings", err)
			}
			out[k] = v
		}
		return db.d.wrap("read settings", rows.Err())
	})
	return out, err
}

// SetSetting writes one setting; an empty value removes it.
func (tx *Tx) SetSetting(ctx context.Context, key, value string) error {
	var err error
	if value == "" {
		_, err = tx.q().ExecContext(ctx, tx.d.rebind(`DELETE FROM settings WHERE key = ?`), key)
	} else {
		_, err = tx.q().ExecContext(ctx, tx.d.rebind(`INSERT INTO settings (key, value) VALUES (?, ?)
			ON CONFLICT (key) DO UPDATE SET value = excluded.value`), key, value)
	}
	return tx.d.wrap("write setting "+key, err)
}
