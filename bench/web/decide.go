package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/bankfeed/bankfeed/internal/books"
	"github.com/bankfeed/bankfeed/internal/secret"
	"github.com/bankfeed/bankfeed/internal/store"
)

// timeDecisions times review decisions through the API on a copy of the
// store in dir (the cached one stays as built): n lines waiting are added,
// the add undone, and the line excluded.
func timeDecisions(ctx context.Context, dir string, n int, w io.Writer) error {
	tmp, err := os.MkdirTemp("", "bankfeed-bench-web-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	for _, name := range []string{store.FileName, "key"} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(tmp, name), b, 0o600); err != nil {
			return err
		}
	}
	db, err := store.Open(ctx, tmp, store.Options{})
	if err != nil {
		return err
	}
	defer db.Close()
	key, err := secret.LoadKey(secret.KeyOptions{Getenv: func(string) string { return "" }, DefaultPath: filepath.Join(tmp, "key")})
	if err != nil {
		return err
	}
	// The store's history went in by plain SQL, past the review service:
	// the learned rules it teaches were never written, nor applied to the
	// queue, as the product does decision by decision. Catch up once,
	// untimed, so that the timed adds are everyday ones (the first would
	// otherwise write every rule the history teaches and add the thousands
	// of waiting lines those rules cover).
	began := time.Now()
	before, err := db.CountUnreviewed(ctx)
	if err != nil {
		return err
	}
	err = db.Update(ctx, func(tx *store.Tx) error {
		if _, err := books.WriteLearned(ctx, db, tx); err != nil {
			return err
		}
		return books.ReviewService(db).Rematch(ctx, tx, nil)
	})
	if err != nil {
		return err
	}
	after, err := db.CountUnreviewed(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "\ncatch-up (untimed): the history's learned rules written and applied to the queue in %.1f s; %d of %d lines still wait\n",
		time.Since(began).Seconds(), after, before)
	base, c, stop, err := serve(ctx, db, key)
	if err != nil {
		return err
	}
	defer stop()
	var page store.QueuePage
	if err := call(ctx, c, "GET", base+"/api/v1/review?limit="+strconv.Itoa(n), nil, &page); err != nil {
		return err
	}
	took := map[string][]time.Duration{}
	skipped := 0
lines:
	for _, it := range page.Items {
		line := base + "/api/v1/review/" + strconv.FormatInt(int64(it.LineID), 10)
		for _, step := range []struct{ action, body string }{{"add", `{"category":"Expenses:Misc"}`}, {"undo", ""}, {"exclude", ""}} {
			start := time.Now()
			err := call(ctx, c, "POST", line+"/"+step.action, strings.NewReader(step.body), nil)
			var se *statusError
			if step.action == "add" && errors.As(err, &se) && se.status == http.StatusConflict {
				// A rule an earlier add taught decided this line since.
				skipped++
				continue lines
			}
			if err != nil {
				return err
			}
			took[step.action] = append(took[step.action], time.Since(start))
		}
	}
	if len(took["add"]) == 0 {
		return fmt.Errorf("no line of the queue's first %d was left to decide", len(page.Items))
	}
	fmt.Fprintf(w, "\n%d review decisions of each kind through the API, one at a time (on a copy of the store; %d lines decided by a rule before their turn skipped)\n\n",
		len(took["add"]), skipped)
	fmt.Fprintf(w, "%-12s %8s %8s %8s\n", "DECISION", "p50 ms", "p95 ms", "max ms")
	for _, a := range []string{"add", "undo", "exclude"} {
		t := took[a]
		slices.Sort(t)
		fmt.Fprintf(w, "%-12s %8.1f %8.1f %8.1f\n", a, ms(pct(t, 0.5)), ms(pct(t, 0.95)), ms(t[len(t)-1]))
	}
	return nil
}

// call sends a request and wants 200; out, when not nil, gets the answer.
func call(ctx context.Context, c *http.Client, method, url string, body io.Reader, out any) error {
	req, err := http.NewRequestWithContext(ctx, method, url, body)
	if err != nil {
		return err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := c.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return err
	}
	if res.StatusCode != http.StatusOK {
		return &statusError{status: res.StatusCode, msg: fmt.Sprintf("%s %s: %s: %s", method, url, res.Status, b)}
	}
	if out != nil {
		return json.Unmarshal(b, out)
	}
	return nil
}

// statusError is an answer other than 200.
type statusError struct {
	status int
	msg    string
}

func (e *statusError) Error() string { return e.msg }
