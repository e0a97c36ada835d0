package store

import (
	"context"
	"database/sql"
	"errors"

	"github.com/bankfeed/bankfeed"
)

// LinesByID reads the lines with ids, and the review record of each that
// has one, in one read transaction: a page that shows an entry's bank lines
// does not queue behind the writer. A missing line is not found.
func (db *DB) LinesByID(ctx context.Context, ids []bankfeed.LineID) (map[bankfeed.LineID]*bankfeed.Line, map[bankfeed.LineID]*bankfeed.Review, error) {
	lines := make(map[bankfeed.LineID]*bankfeed.Line, len(ids))
	reviews := make(map[bankfeed.LineID]*bankfeed.Review, len(ids))
	err := db.view(ctx, func(tx cachedTx) error {
		for _, id := range ids {
			if _, ok := lines[id]; ok {
				continue
			}
			l, err := lineByID(ctx, tx, db.d, id)
			if err != nil {
				return err
			}
			lines[id] = l
			r, err := scanReview(tx.QueryRowContext(ctx, db.d.rebind(`SELECT `+reviewColumns+` FROM line_reviews WHERE line_id = ?`), id))
			switch {
			case errors.Is(err, sql.ErrNoRows):
			case err != nil:
				return db.d.wrap("read review record", err)
			default:
				reviews[id] = r
			}
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	return lines, reviews, nil
}

func lineByID(ctx context.Context, q querier, d *dialect, id bankfeed.LineID) (*bankfeed.Line, error) {
	rows, err := q.QueryContext(ctx, d.rebind(lineSelect+` WHERE l.id = ?`), id)
	if err != nil {
		return nil, d.wrap("read line", err)
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return nil, d.wrap("read line", err)
		}
		return nil, bankfeed.Errorf(bankfeed.ENotFound, "no line %d", id)
	}
	l, err := scanLine(rows)
	return l, d.wrap("read line", err)
}
