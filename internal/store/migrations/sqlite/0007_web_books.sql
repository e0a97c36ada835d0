-- The web review queue pages through the open lines by line id, and lists
-- the newest decisions first: both without reading the whole queue.
CREATE INDEX line_reviews_state_line ON line_reviews (state, line_id);
CREATE INDEX line_reviews_decided ON line_reviews (decided_at);
