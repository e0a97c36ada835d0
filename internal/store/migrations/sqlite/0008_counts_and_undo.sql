-- Each account keeps the count of its lines. The line writer adds to it in
-- the transaction that writes the lines (lines are never deleted), so the
-- account list and the dashboard read a column instead of counting a
-- million rows on every request.
ALTER TABLE accounts ADD COLUMN line_count INTEGER NOT NULL DEFAULT 0;
UPDATE accounts SET line_count = (SELECT count(*) FROM lines WHERE lines.account_id = accounts.id);

-- Deleting an entry (an undo) sets or cascades through these references;
-- without an index on each, SQLite scans the whole table to find them.
CREATE INDEX line_reviews_entry ON line_reviews (entry_id);
CREATE INDEX line_reviews_suggestion ON line_reviews (suggestion);
CREATE INDEX reconciliation_ticks_split ON reconciliation_ticks (split_id);
