-- A connection's action generation: one more each time its user acts on
-- it (sets a password, resumes it, resets it). A sync records what it
-- learned only if no action came since it started: a sync under way when
-- the user typed a new password must not mark the new one verified, nor
-- refused, and one that met the bank's "accept our terms" must not undo
-- the user's "done".
ALTER TABLE connections ADD COLUMN action_gen INTEGER NOT NULL DEFAULT 0;
