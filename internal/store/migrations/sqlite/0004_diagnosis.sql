-- Diagnosis: each verdict kept (the latest is what the status board shows),
-- the state a connection's user was last told of (a webhook fires once per
-- change, not on every retry), and the deadlines that make a stale feed
-- urgent.
CREATE TABLE diagnoses (
	id            INTEGER PRIMARY KEY,
	connection_id INTEGER NOT NULL REFERENCES connections (id) ON DELETE CASCADE,
	checked_at    TEXT NOT NULL,
	class         TEXT NOT NULL,   -- the verdict's class, or 'ok'
	escalate      INTEGER NOT NULL DEFAULT 0,
	verdict       TEXT NOT NULL    -- the verdict, as docs/diagnose.md documents it
);
CREATE INDEX diagnoses_connection ON diagnoses (connection_id, checked_at);

CREATE TABLE notifications (
	connection_id INTEGER PRIMARY KEY REFERENCES connections (id) ON DELETE CASCADE,
	state_key     TEXT NOT NULL,   -- what the user was told of: '' when nothing needs them
	sent_at       TEXT NOT NULL
);

CREATE TABLE deadlines (
	id       INTEGER PRIMARY KEY,
	name     TEXT NOT NULL UNIQUE,
	due_on   TEXT NOT NULL,        -- YYYY-MM-DD, the next (or only) due date
	every    TEXT NOT NULL DEFAULT '' -- '', 'week', 'month', 'quarter' or 'year'
);

-- The bank's own words about a failed run, sanitized.
ALTER TABLE sync_runs ADD COLUMN bank_message TEXT NOT NULL DEFAULT '';
