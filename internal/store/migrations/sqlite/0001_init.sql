-- The feed store: institutions, accounts, feed lines and the ids the bank
-- gave them, imports of statement files, sync runs. Times are UTC text
-- (YYYY-MM-DDTHH:MM:SS.ffffffZ) in *_at columns; calendar dates are text
-- YYYY-MM-DD in *_on columns; money is exact decimal text, plus integer minor
-- units when those are exact.

CREATE TABLE institutions (
    id         INTEGER PRIMARY KEY,
    key        TEXT    NOT NULL UNIQUE, -- bankfeed.InstitutionKey(org, fid, intu_bid); '' = unknown
    org        TEXT    NOT NULL DEFAULT '',
    fid        TEXT    NOT NULL DEFAULT '',
    intu_bid   TEXT    NOT NULL DEFAULT '',
    name       TEXT    NOT NULL DEFAULT '',
    created_at TEXT    NOT NULL
);

CREATE TABLE accounts (
    id             INTEGER PRIMARY KEY,
    institution_id INTEGER NOT NULL REFERENCES institutions (id),
    kind           TEXT    NOT NULL CHECK (kind IN ('bank', 'creditcard', 'investment')),
    type           TEXT    NOT NULL DEFAULT '',
    bank_id        TEXT    NOT NULL DEFAULT '', -- BANKID or BROKERID
    branch_id      TEXT    NOT NULL DEFAULT '',
    number         TEXT    NOT NULL,            -- ACCTID
    currency       TEXT    NOT NULL DEFAULT '',
    name           TEXT    NOT NULL DEFAULT '',
    created_at     TEXT    NOT NULL,
    UNIQUE (institution_id, kind, bank_id, number)
);

CREATE TABLE sync_runs (
    id              INTEGER PRIMARY KEY,
    account_id      INTEGER NOT NULL REFERENCES accounts (id),
    started_at      TEXT    NOT NULL,
    finished_at     TEXT,
    outcome         TEXT    NOT NULL,
    failure_class   TEXT    NOT NULL DEFAULT '',
    http_status     INTEGER NOT NULL DEFAULT 0,
    ofx_status      TEXT    NOT NULL DEFAULT '',
    error           TEXT    NOT NULL DEFAULT '',
    new_lines       INTEGER NOT NULL DEFAULT 0,
    duplicate_lines INTEGER NOT NULL DEFAULT 0,
    collisions      INTEGER NOT NULL DEFAULT 0,
    skipped         INTEGER NOT NULL DEFAULT 0,
    warnings        INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX sync_runs_account ON sync_runs (account_id, started_at);

CREATE TABLE imports (
    id              INTEGER PRIMARY KEY,
    file_name       TEXT    NOT NULL,
    file_sha256     TEXT    NOT NULL,
    file_size       INTEGER NOT NULL,
    started_at      TEXT    NOT NULL,
    finished_at     TEXT,
    new_lines       INTEGER NOT NULL DEFAULT 0,
    duplicate_lines INTEGER NOT NULL DEFAULT 0,
    collisions      INTEGER NOT NULL DEFAULT 0,
    skipped         INTEGER NOT NULL DEFAULT 0,
    warnings        INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX imports_sha256 ON imports (file_sha256);

-- One row per statement of an imported file: what the bank said the
-- statement covers and its balances, which reconciliation reads.
CREATE TABLE import_statements (
    import_id            INTEGER NOT NULL REFERENCES imports (id),
    statement_index      INTEGER NOT NULL,
    account_id           INTEGER REFERENCES accounts (id), -- NULL: no account could be told
    kind                 TEXT    NOT NULL,
    currency             TEXT    NOT NULL DEFAULT '',
    status_code          INTEGER NOT NULL DEFAULT 0,
    start_on             TEXT,
    end_on               TEXT,
    ledger_balance       TEXT,
    ledger_balance_at    TEXT,
    available_balance    TEXT,
    available_balance_at TEXT,
    transactions         INTEGER NOT NULL DEFAULT 0,
    new_lines            INTEGER NOT NULL DEFAULT 0,
    duplicate_lines      INTEGER NOT NULL DEFAULT 0,
    collisions           INTEGER NOT NULL DEFAULT 0,
    skipped              INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (import_id, statement_index)
);
CREATE INDEX import_statements_account ON import_statements (account_id, end_on);

-- Feed lines. Ids are handed out by the writer in file order. Columns that
-- most bank lines leave empty are NULL rather than ''.
CREATE TABLE lines (
    id           INTEGER PRIMARY KEY,
    account_id   INTEGER NOT NULL REFERENCES accounts (id),
    import_id    INTEGER REFERENCES imports (id),
    sync_run_id  INTEGER REFERENCES sync_runs (id),
    fitid        TEXT    NOT NULL,
    posted_on    TEXT    NOT NULL,
    posted_at    TEXT,
    user_on      TEXT,
    amount       TEXT    NOT NULL,
    amount_minor INTEGER,
    currency     TEXT    NOT NULL,
    type         TEXT    NOT NULL,
    name         TEXT    NOT NULL,
    memo         TEXT    NOT NULL,
    check_num    TEXT,
    ref_num      TEXT,
    security_id  TEXT,
    units        TEXT,
    unit_price   TEXT,
    collision    INTEGER NOT NULL DEFAULT 0,
    created_at   TEXT    NOT NULL
);
CREATE INDEX lines_account_posted ON lines (account_id, posted_on);
-- Dedupe looks lines up by the bank's id within an account and compares
-- amounts: the index covers that lookup.
CREATE INDEX lines_account_fitid ON lines (account_id, fitid, amount);

-- The other ids the bank gave a line, besides its FITID (a SRVRTID, the id
-- of a later delivery of the same line), for dedupe lookups by
-- (account_id, alias). The FITID itself is lines.fitid, indexed with the
-- account: keeping it here too would cost a second million-row tree on every
-- large import. line_ids shows every id of every line.
CREATE TABLE line_aliases (
    account_id INTEGER NOT NULL REFERENCES accounts (id),
    alias      TEXT    NOT NULL,
    line_id    INTEGER NOT NULL REFERENCES lines (id),
    PRIMARY KEY (account_id, alias, line_id)
) WITHOUT ROWID;

-- Every id the bank gave a line: its FITID and its aliases. A FITID the bank
-- reused for a different line maps to both lines.
CREATE VIEW line_ids (account_id, alias, line_id) AS
    SELECT account_id, fitid, id FROM lines
    UNION ALL
    SELECT account_id, alias, line_id FROM line_aliases;
