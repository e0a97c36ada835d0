package web

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/bankfeed/bankfeed"
)

// TestDecisionReportsOtherLines: the add that teaches a payee's learned
// rule answers with the payee's waiting line the rule then added
// (review.auto_add), so the review page can show it decided without a
// reload; an add that teaches nothing answers with no others.
func TestDecisionReportsOtherLines(t *testing.T) {
	e := newTestEnv(t)
	bk := e.signIn("bookkeeper")
	doc := booksOFX("1001",
		booksTxn{"b1", "2026-01-05", "-4.50", "SQ *BLUE BOTTLE 0113 OAKLAND CA"},
		booksTxn{"b2", "2026-01-12", "-5.25", "SQ *BLUE BOTTLE 0113 OAKLAND CA"},
		booksTxn{"b3", "2026-01-19", "-4.75", "SQ *BLUE BOTTLE 0257 OAKLAND CA"},
		booksTxn{"b4", "2026-01-26", "-5.50", "SQ *BLUE BOTTLE 0113 OAKLAND CA"},
		booksTxn{"w1", "2026-01-20", "-60.00", "CITY WATER"})
	decode(t, e.booksUpload(bk, map[string]string{"jan.ofx": doc}), http.StatusOK, nil)
	ids := e.booksQueue(bk, "")
	if len(ids) != 5 {
		t.Fatalf("queue %v, want 5 lines", ids)
	}
	// The queue is in line order, which is the file's.
	b1, b2, b3, b4, w1 := ids[0], ids[1], ids[2], ids[3], ids[4]
	add := func(line int64) decisionResult {
		t.Helper()
		var res decisionResult
		decode(t, e.do(bk, "POST", fmt.Sprintf("/api/v1/review/%d/add", line),
			map[string]string{"payee": "Blue Bottle", "category": "Expenses:Meals"}), http.StatusOK, &res)
		return res
	}
	if res := add(b1); len(res.Others) != 0 {
		t.Errorf("the first add reports others: %+v", res.Others)
	}
	add(b2)
	res := add(b3)
	if len(res.Others) != 1 || int64(res.Others[0].LineID) != b4 || res.Others[0].Action != "review.auto_add" {
		t.Fatalf("the add that taught the rule reports %+v, want line %d review.auto_add", res.Others, b4)
	}
	st := e.booksStates()
	if st[b4] != bankfeed.ReviewAdded || st[w1] != bankfeed.ReviewPending {
		t.Errorf("after the rule: b4 %s, w1 %s; want added, For Review", st[b4], st[w1])
	}
}
