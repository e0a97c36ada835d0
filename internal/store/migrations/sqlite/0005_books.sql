-- The books: a chart of accounts, entries and their splits, the review record
-- of every feed line, bank rules, learned payee aliases, statement
-- reconciliations and an audit log of every decision. Amounts are exact
-- decimal text plus integer minor units (for sums and matching).

-- Lines a source marks pending (SimpleFIN, aggregators; OFX never does), and
-- the provider's id of the pending line a posted one settles.
ALTER TABLE lines ADD COLUMN pending INTEGER NOT NULL DEFAULT 0;
ALTER TABLE lines ADD COLUMN pending_of TEXT;

CREATE TABLE ledger_accounts (
    id              INTEGER PRIMARY KEY,
    name            TEXT    NOT NULL UNIQUE, -- "Assets:Bank:Checking"
    type            TEXT    NOT NULL CHECK (type IN ('asset', 'liability', 'income', 'expense', 'equity')),
    currency        TEXT    NOT NULL DEFAULT '',
    feed_account_id INTEGER UNIQUE REFERENCES accounts (id),
    created_at      TEXT    NOT NULL
);

CREATE TABLE entries (
    id         INTEGER PRIMARY KEY,
    uid        TEXT    NOT NULL UNIQUE,
    date_on    TEXT    NOT NULL,
    payee      TEXT    NOT NULL DEFAULT '',
    memo       TEXT    NOT NULL DEFAULT '',
    check_num  TEXT    NOT NULL DEFAULT '',
    origin     TEXT    NOT NULL,
    created_by TEXT    NOT NULL,
    created_at TEXT    NOT NULL
);
CREATE INDEX entries_date ON entries (date_on);

CREATE TABLE splits (
    id                INTEGER PRIMARY KEY,
    entry_id          INTEGER NOT NULL REFERENCES entries (id) ON DELETE CASCADE,
    ledger_account_id INTEGER NOT NULL REFERENCES ledger_accounts (id),
    amount            TEXT    NOT NULL,
    amount_minor      INTEGER NOT NULL,
    currency          TEXT    NOT NULL,
    memo              TEXT    NOT NULL DEFAULT '',
    status            TEXT    NOT NULL DEFAULT '' CHECK (status IN ('', 'cleared', 'reconciled')),
    reconciliation_id INTEGER REFERENCES reconciliations (id),
    -- Denormalized from the entry, so the matcher reads a bank account's
    -- open splits by date without a join.
    date_on           TEXT    NOT NULL
);
CREATE INDEX splits_entry ON splits (entry_id);
CREATE INDEX splits_account_date ON splits (ledger_account_id, date_on);

-- Which feed lines a split stands for: a line belongs to at most one split.
CREATE TABLE split_lines (
    line_id  INTEGER PRIMARY KEY REFERENCES lines (id),
    split_id INTEGER NOT NULL REFERENCES splits (id) ON DELETE CASCADE
);
CREATE INDEX split_lines_split ON split_lines (split_id);

-- The review record of every feed line (bankfeed.Review).
CREATE TABLE line_reviews (
    line_id        INTEGER PRIMARY KEY REFERENCES lines (id),
    account_id     INTEGER NOT NULL REFERENCES accounts (id),
    state          TEXT    NOT NULL CHECK (state IN ('review', 'added', 'matched', 'excluded', 'merged', 'voided')),
    entry_id       INTEGER REFERENCES entries (id) ON DELETE SET NULL,
    same_as        INTEGER REFERENCES lines (id),
    suggestion     INTEGER REFERENCES entries (id) ON DELETE SET NULL,
    score          REAL    NOT NULL DEFAULT 0,
    payee          TEXT    NOT NULL DEFAULT '',
    category       TEXT    NOT NULL DEFAULT '',
    memo           TEXT    NOT NULL DEFAULT '',
    transfer_with  INTEGER REFERENCES lines (id),
    set_by         TEXT    NOT NULL DEFAULT '', -- JSON object: field → rule or "learned"
    auto           INTEGER NOT NULL DEFAULT 0,
    decided_by     TEXT    NOT NULL DEFAULT '',
    decided_at     TEXT
);
CREATE INDEX line_reviews_state ON line_reviews (state, account_id);

CREATE TABLE rules (
    id          INTEGER PRIMARY KEY,
    name        TEXT    NOT NULL,
    stage       TEXT    NOT NULL CHECK (stage IN ('pre', 'default', 'post')),
    priority    INTEGER NOT NULL DEFAULT 0,
    enabled     INTEGER NOT NULL DEFAULT 1,
    origin      TEXT    NOT NULL DEFAULT 'user', -- 'user', 'learned', 'proposed'
    definition  TEXT    NOT NULL,                -- JSON: match, conditions, actions
    created_at  TEXT    NOT NULL,
    updated_at  TEXT    NOT NULL
);

-- What a bank's descriptor means: learned from confirmed decisions
-- (descriptor → payee), or typed by a person.
CREATE TABLE payee_aliases (
    descriptor TEXT NOT NULL PRIMARY KEY, -- normalized: upper case, digits and noise removed
    payee      TEXT NOT NULL,
    origin     TEXT NOT NULL DEFAULT 'learned',
    updated_at TEXT NOT NULL
);

CREATE TABLE reconciliations (
    id                INTEGER PRIMARY KEY,
    ledger_account_id INTEGER NOT NULL REFERENCES ledger_accounts (id),
    statement_on      TEXT    NOT NULL,
    ending_balance    TEXT    NOT NULL,
    state             TEXT    NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'locked')),
    created_by        TEXT    NOT NULL,
    created_at        TEXT    NOT NULL,
    locked_at         TEXT
);
CREATE INDEX reconciliations_account ON reconciliations (ledger_account_id, statement_on);
-- The splits ticked in an open reconciliation.
CREATE TABLE reconciliation_ticks (
    reconciliation_id INTEGER NOT NULL REFERENCES reconciliations (id) ON DELETE CASCADE,
    split_id          INTEGER NOT NULL REFERENCES splits (id) ON DELETE CASCADE,
    PRIMARY KEY (reconciliation_id, split_id)
);

CREATE TABLE audit_log (
    id      INTEGER PRIMARY KEY,
    at      TEXT NOT NULL,
    actor   TEXT NOT NULL,
    action  TEXT NOT NULL,
    subject TEXT NOT NULL,
    detail  TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_log_at ON audit_log (at);
