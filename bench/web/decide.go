package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

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
	for _, it := range page.Items {
		line := base + "/api/v1/review/" + strconv.FormatInt(int64(it.LineID), 10)
		for _, step := range []struct{ action, body string }{{"add", `{"category":"Expenses:Misc"}`}, {"undo", ""}, {"exclude", ""}} {
			start := time.Now()
			if err := call(ctx, c, "POST", line+"/"+step.action, strings.NewReader(step.body), nil); err != nil {
				return err
			}
			took[step.action] = append(took[step.action], time.Since(start))
		}
	}
	fmt.Fprintf(w, "\n%d review decisions of each kind through the API, one at a time (on a copy of the store)\n\n", len(page.Items))
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
		return fmt.Errorf("%s %s: %s: %s", method, url, res.Status, b)
	}
	if out != nil {
		return json.Unmarshal(b, out)
	}
	return nil
}
