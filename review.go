package bankfeed

import "time"

// ReviewState is where a feed line stands in review.
type ReviewState string

// Review states. A new line is For Review until a person or an automatic
// decision adds, matches or excludes it; every decision can be undone.
const (
	ReviewPending  ReviewState = "review"   // For Review
	ReviewAdded    ReviewState = "added"    // a new entry was made from it
	ReviewMatched  ReviewState = "matched"  // linked to an entry already in the books
	ReviewExcluded ReviewState = "excluded" // kept out of the books
	// ReviewMerged: the same bank transaction as an earlier line, delivered
	// again under a new id (re-keyed) or posted from a pending line; its id
	// became an alias of that line.
	ReviewMerged ReviewState = "merged"
	// ReviewVoided: a pending line that never posted.
	ReviewVoided ReviewState = "voided"
)

// Review is the review record of one feed line.
type Review struct {
	LineID    LineID      `json:"line_id"`
	AccountID AccountID   `json:"account_id"`
	State     ReviewState `json:"state"`
	// EntryID is the entry the line was added as or matched to.
	EntryID *EntryID `json:"entry_id,omitempty"`
	// SameAs is the earlier line a merged line is the same transaction as.
	SameAs *LineID `json:"same_as,omitempty"`
	// What review proposes while the line waits: an entry to match (with its
	// score), or the payee, category and memo rules and learning set.
	Suggestion *EntryID `json:"suggestion,omitempty"`
	Score      float64  `json:"score,omitempty"`
	Payee      string   `json:"payee,omitempty"`
	Category   string   `json:"category,omitempty"`
	Memo       string   `json:"memo,omitempty"`
	// TransferWith is the other own account's line a transfer pairs it with.
	TransferWith *LineID `json:"transfer_with,omitempty"`
	// SetBy says which rule (or "learned", "match") set each field.
	SetBy     map[string]string `json:"set_by,omitempty"`
	Auto      bool              `json:"auto,omitempty"` // decided without a person
	DecidedBy string            `json:"decided_by,omitempty"`
	DecidedAt time.Time         `json:"decided_at,omitzero"`
}

// AuditEntry is one recorded change: a review decision, a rule change, a
// reconciliation. Who is a person's name or "bankfeed" for automatic work.
type AuditEntry struct {
	ID      int64     `json:"id"`
	At      time.Time `json:"at"`
	Actor   string    `json:"actor"`
	Action  string    `json:"action"`  // "review.add", "rule.enable", …
	Subject string    `json:"subject"` // "line 12", "rule 3"
	Detail  string    `json:"detail,omitempty"`
}
