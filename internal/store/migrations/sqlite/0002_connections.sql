-- Direct Connect: connections (a login at an institution, with the profile
-- a client needs and the sealed password), the accounts each feeds, how far
-- each account is synced, the institution's circuit, and leases that keep
-- one run per account and a bounded number per institution across workers.

CREATE TABLE connections (
    id                 INTEGER PRIMARY KEY,
    name               TEXT    NOT NULL UNIQUE,
    institution_id     INTEGER NOT NULL REFERENCES institutions (id),
    url                TEXT    NOT NULL,
    org                TEXT    NOT NULL DEFAULT '',
    fid                TEXT    NOT NULL DEFAULT '',
    bank_id            TEXT    NOT NULL DEFAULT '',
    version            TEXT    NOT NULL DEFAULT '',
    app_id             TEXT    NOT NULL DEFAULT '',
    app_ver            TEXT    NOT NULL DEFAULT '',
    user_agent         TEXT    NOT NULL DEFAULT '',
    clientuid_required INTEGER NOT NULL DEFAULT 0,
    ca_file            TEXT    NOT NULL DEFAULT '',
    portal_url         TEXT    NOT NULL DEFAULT '',
    user_id            TEXT    NOT NULL,
    password_sealed    BLOB    NOT NULL, -- secret.Key.Seal; never plain text
    clientuid          TEXT    NOT NULL DEFAULT '',
    state              TEXT    NOT NULL DEFAULT 'new',
    reason             TEXT    NOT NULL DEFAULT '',
    next_attempt_at    TEXT,
    verified           INTEGER NOT NULL DEFAULT 0,
    disabled           INTEGER NOT NULL DEFAULT 0,
    created_at         TEXT    NOT NULL
);
CREATE INDEX connections_institution ON connections (institution_id);
CREATE INDEX connections_next_attempt ON connections (next_attempt_at);

-- An account a login sees, linked to the feed account its lines go to. A
-- feed account is filled by one connection at a time.
CREATE TABLE connection_accounts (
    connection_id INTEGER NOT NULL REFERENCES connections (id) ON DELETE CASCADE,
    account_id    INTEGER NOT NULL REFERENCES accounts (id),
    kind          TEXT    NOT NULL,
    bank_id       TEXT    NOT NULL DEFAULT '',
    number        TEXT    NOT NULL,
    type          TEXT    NOT NULL DEFAULT '',
    descr         TEXT    NOT NULL DEFAULT '',
    enabled       INTEGER NOT NULL DEFAULT 1,
    PRIMARY KEY (connection_id, account_id)
);
CREATE UNIQUE INDEX connection_accounts_account ON connection_accounts (account_id);

-- How far each feed account is synced: the next window starts at
-- statement_end less the overlap.
CREATE TABLE sync_cursors (
    account_id      INTEGER PRIMARY KEY REFERENCES accounts (id),
    statement_end   TEXT    NOT NULL,
    last_success_at TEXT    NOT NULL,
    sync_run_id     INTEGER REFERENCES sync_runs (id)
);

-- One circuit per institution: open while the bank is down, so its other
-- connections wait for one probe instead of hammering it.
CREATE TABLE institution_circuits (
    institution_id INTEGER PRIMARY KEY REFERENCES institutions (id),
    state          TEXT    NOT NULL DEFAULT 'closed', -- closed, open
    failure_class  TEXT    NOT NULL DEFAULT '',
    reason         TEXT    NOT NULL DEFAULT '',
    failures       INTEGER NOT NULL DEFAULT 0,
    opened_at      TEXT,
    next_probe_at  TEXT,
    updated_at     TEXT    NOT NULL
);

-- Leases: a named right held by one worker until it lets go or it expires
-- ("account:12", "institution:3:0").
CREATE TABLE leases (
    name       TEXT NOT NULL PRIMARY KEY,
    holder     TEXT NOT NULL,
    expires_at TEXT NOT NULL
);

ALTER TABLE sync_runs ADD COLUMN connection_id INTEGER REFERENCES connections (id) ON DELETE SET NULL;
ALTER TABLE sync_runs ADD COLUMN trigger TEXT NOT NULL DEFAULT '';
ALTER TABLE sync_runs ADD COLUMN window_start TEXT;
ALTER TABLE sync_runs ADD COLUMN window_end TEXT;
ALTER TABLE sync_runs ADD COLUMN retry_at TEXT;
ALTER TABLE sync_runs ADD COLUMN transcript TEXT NOT NULL DEFAULT '';
CREATE INDEX sync_runs_connection ON sync_runs (connection_id, started_at);
