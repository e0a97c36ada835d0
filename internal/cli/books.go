package cli

import (
	"github.com/bankfeed/bankfeed/internal/books"
	"github.com/bankfeed/bankfeed/internal/review"
	"github.com/bankfeed/bankfeed/internal/rules"
	"github.com/bankfeed/bankfeed/internal/store"
)

// The review service and its rules live in package books, shared with the
// web interface; these are the CLI's short names for them.

func reviewService(db *store.DB) *review.Service { return books.ReviewService(db) }

func ruleOf(rec *store.RuleRecord) (*rules.Rule, error) { return books.RuleOf(rec) }

func recordOf(r *rules.Rule) *store.RuleRecord { return books.RecordOf(r) }
