package cli

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime/debug"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/bankfeed/bankfeed"
	"github.com/bankfeed/bankfeed/internal/diagnose"
	"github.com/bankfeed/bankfeed/internal/notify"
	"github.com/bankfeed/bankfeed/internal/store"
	"github.com/bankfeed/bankfeed/internal/syncer"
	"github.com/bankfeed/bankfeed/internal/web"
)

func init() { extraCommands = append(extraCommands, newDiagnoseCmd) }

const diagnoseLong = `Diagnose runs, for a connection, the checks a bank's support article would
have you run by hand, and says what is wrong in plain words.

It looks at the connection's failed syncs and what the bank answered, then
probes: resolves the bank's host name, connects, checks its certificate
(validity, expiry, host name) and this computer's clock against the bank's,
reads the bank's web site for a maintenance notice or something to act on,
asks the bank's OFX server for its profile (no password), signs on (never
after the bank rejected the password or locked the login: that would lock
it), compares with the other connections at the same bank, and checks a
second host when BANKFEED_CHECK_HOST (host:port) names one.

The verdict names the most likely cause first, with the evidence, what was
ruled out and why, the bank's own message, whether data is at risk (never:
a failed sync writes nothing), what to do, when bankfeed tries again, and
when to call the bank or an expert. Deadlines (bankfeed deadlines) raise
its severity as they near. A sync that fails is diagnosed by itself.

Without CONNECTION, every connection is diagnosed. --json prints the
verdict (an array without CONNECTION); docs/diagnose.md documents it.
--bundle writes a zip an expert can read: the verdict, recent runs and
their transcripts, the probes, the version and the configuration, with
every secret redacted.

Exit status: 0 when nothing is wrong, 1 when a connection has a problem.`

func newDiagnoseCmd(e *env) *cobra.Command {
	var asJSON bool
	var bundle string
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "diagnose [CONNECTION]",
		Short: "Find out why a bank feed fails, and what to do",
		Long:  diagnoseLong,
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ref := ""
			if len(args) == 1 {
				ref = args[0]
			}
			if bundle != "" && ref == "" {
				return &exitError{code: exitUsage, err: fmt.Errorf("--bundle needs a CONNECTION")}
			}
			if timeout < 0 {
				return &exitError{code: exitUsage, err: fmt.Errorf("--timeout %s is negative", timeout)}
			}
			return runDiagnose(cmd.Context(), e, ref, asJSON, bundle, timeout)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the verdict as JSON")
	cmd.Flags().StringVar(&bundle, "bundle", "", "also write a diagnostic bundle (zip) to this file")
	cmd.Flags().DurationVar(&timeout, "timeout", 0, "bound on the probes (default 4.5s)")
	return cmd
}

func runDiagnose(ctx context.Context, e *env, ref string, asJSON bool, bundle string, timeout time.Duration) error {
	db, err := openStore(ctx, e)
	if err != nil {
		return err
	}
	defer db.Close()
	var conns []*bankfeed.Connection
	if ref != "" {
		c, err := db.FindConnection(ctx, ref)
		if err != nil {
			return err
		}
		conns = []*bankfeed.Connection{c}
	} else if conns, err = db.Connections(ctx, store.ConnectionFilter{}); err != nil {
		return err
	}
	if len(conns) == 0 {
		_, err := fmt.Fprintln(e.stdout, noConnections)
		return err
	}
	key, err := loadKey()
	if err != nil {
		return err
	}
	s := syncer.New(db, key, syncer.Options{})
	d := diagnose.New(db, s, diagnose.Options{Timeout: timeout})
	hook := notify.FromEnv()
	var verdicts []*diagnose.Verdict
	for _, c := range conns {
		v, err := d.Diagnose(ctx, c.ID)
		if err != nil {
			return fmt.Errorf("diagnose %s: %w", c.Name, err)
		}
		verdicts = append(verdicts, v)
		if hook != nil {
			if _, err := notify.Notify(ctx, db, hook, v); err != nil {
				fmt.Fprintf(e.stderr, "Warning: the webhook was not told about %s: %v\n", c.Name, err)
			}
		}
	}
	if bundle != "" {
		if err := writeBundle(ctx, db, s, conns[0], verdicts[0], bundle); err != nil {
			return err
		}
	}
	w := bufio.NewWriter(e.stdout)
	if asJSON {
		enc := newJSONEncoder(w, true)
		if ref != "" {
			err = enc.Encode(verdicts[0])
		} else {
			err = enc.Encode(verdicts)
		}
	} else {
		for i, v := range verdicts {
			if i > 0 {
				fmt.Fprintln(w)
			}
			printVerdict(w, v, time.Now())
		}
		if bundle != "" {
			fmt.Fprintf(w, "\nThe diagnostic bundle is in %s (no password or key in it).\n", bundle)
		}
	}
	if ferr := w.Flush(); err == nil {
		err = ferr
	}
	if err != nil {
		return err
	}
	problems := 0
	for _, v := range verdicts {
		if v.Class != diagnose.ClassOK {
			problems++
		}
	}
	if problems > 0 {
		return &exitError{code: exitFailure, err: fmt.Errorf("%d of %d %s %s a problem", problems, len(verdicts),
			plural(len(verdicts), "connection", "connections"), plural(problems, "has", "have"))}
	}
	return nil
}

// printVerdict writes a verdict in plain words.
func printVerdict(w io.Writer, v *diagnose.Verdict, now time.Time) {
	fmt.Fprintf(w, "%s (%s)\n", v.Connection, v.Institution)
	fmt.Fprintf(w, "  %s  [%s, %s]\n", v.Title, v.Class, v.Code)
	if v.Class == diagnose.ClassOK {
		fmt.Fprintf(w, "  %s\n", v.DataRisk)
	} else {
		fmt.Fprintf(w, "  Is data at risk? No. %s\n", v.DataRisk)
	}
	if v.BankMessage != "" {
		fmt.Fprintf(w, "  The bank said: %q\n", v.BankMessage)
	}
	if v.FailingSince != nil {
		fmt.Fprintf(w, "  Failing since %s.\n", v.FailingSince.Local().Format("Mon 2 Jan 15:04"))
	}
	if len(v.Steps) > 0 {
		fmt.Fprintln(w, "  What to do:")
		for i, s := range v.Steps {
			fmt.Fprintf(w, "    %d. %s\n", i+1, s)
		}
	}
	switch {
	case v.NextRetryAt != nil:
		fmt.Fprintf(w, "  Next automatic try: %s (%s).\n", v.NextRetryAt.Local().Format("Mon 2 Jan 15:04"), until(*v.NextRetryAt, now))
	case v.Class != diagnose.ClassOK:
		fmt.Fprintln(w, "  No automatic retry: bankfeed waits for you.")
	}
	if v.Escalate {
		fmt.Fprintf(w, "  Time to call the bank or an expert: %s.\n", v.EscalateWhy)
	}
	if v.Severity.Level != "" {
		fmt.Fprintf(w, "  Severity: %s. %s\n", v.Severity.Level, v.Severity.Why)
	}
	if len(v.Likelihoods) > 1 {
		var parts []string
		for _, l := range v.Likelihoods[:min(4, len(v.Likelihoods))] {
			parts = append(parts, fmt.Sprintf("%s %.0f%%", l.Class, l.P*100))
		}
		fmt.Fprintf(w, "  Likelihoods: %s\n", strings.Join(parts, ", "))
	}
	if len(v.Evidence) > 0 {
		fmt.Fprintln(w, "  Evidence:")
		for _, ev := range v.Evidence {
			fmt.Fprintf(w, "    - %s: %s\n", ev.Source, ev.Finding)
		}
	}
	if len(v.RuledOut) > 0 {
		fmt.Fprintln(w, "  Ruled out:")
		for _, r := range v.RuledOut {
			fmt.Fprintf(w, "    - %s: %s\n", r.Class, r.Why)
		}
	}
	fmt.Fprintf(w, "  Checked in %.1f s.\n", float64(v.TookMS)/1000)
}

func until(t, now time.Time) string {
	d := t.Sub(now)
	if d <= 0 {
		return "now"
	}
	if d < time.Hour {
		return fmt.Sprintf("in %d min", int(d.Minutes())+1)
	}
	return fmt.Sprintf("in %.1f h", d.Hours())
}

// writeBundle writes a diagnostic bundle of a connection.
func writeBundle(ctx context.Context, db *store.DB, s *syncer.Syncer, c *bankfeed.Connection, v *diagnose.Verdict,
	path string) error {
	list, err := db.FindSyncRuns(ctx, store.SyncRunFilter{ConnectionID: c.ID, Limit: 20})
	if err != nil {
		return err
	}
	runs := make([]*bankfeed.SyncRun, 0, len(list))
	for _, r := range list {
		full, err := db.SyncRun(ctx, r.ID)
		if err != nil {
			return err
		}
		runs = append(runs, full)
	}
	secrets := []string{c.UserID}
	if cr, err := s.Credentials(ctx, c); err == nil {
		secrets = append(secrets, cr.Password.Reveal())
	}
	for _, k := range []string{envKey, "BANKFEED_WEBHOOK_SECRET"} {
		if x := os.Getenv(k); x != "" {
			secrets = append(secrets, x)
		}
	}
	config := map[string]string{}
	for _, kv := range os.Environ() {
		if k, val, ok := strings.Cut(kv, "="); ok && (strings.HasPrefix(k, "BANKFEED_") ||
			k == "HTTPS_PROXY" || k == "HTTP_PROXY" || k == "NO_PROXY" || k == "https_proxy" || k == "http_proxy" || k == "no_proxy") {
			config[k] = val
		}
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	err = diagnose.WriteBundle(f, &diagnose.Bundle{Verdict: v, Runs: runs, Connection: c, Version: buildVersion(),
		Config: config, Secrets: secrets})
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return fmt.Errorf("write the bundle %s: %w", path, err)
	}
	return nil
}

// buildVersion is the module version and VCS revision of this binary.
func buildVersion() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "bankfeed (unknown version)"
	}
	s := "bankfeed " + bi.Main.Version + " " + bi.GoVersion
	for _, st := range bi.Settings {
		if st.Key == "vcs.revision" || st.Key == "vcs.time" || st.Key == "vcs.modified" {
			s += " " + st.Key + "=" + st.Value
		}
	}
	return s
}

// newWatcher returns what diagnoses a failed sync and tells the webhook,
// if one is set (BANKFEED_WEBHOOK_URL), once per change.
func newWatcher(db *store.DB, s *syncer.Syncer, log *slog.Logger) *diagnose.Watcher {
	w := &diagnose.Watcher{Syncer: s, Diagnoser: diagnose.New(db, s, diagnose.Options{}), Logger: log}
	w.Notify = func(ctx context.Context, v *diagnose.Verdict) error {
		hook, err := webhook(ctx, db)
		if hook == nil || err != nil {
			return err
		}
		_, err = notify.Notify(ctx, db, hook, v)
		return err
	}
	return w
}

// webhook returns the webhook to tell: BANKFEED_WEBHOOK_URL, else the one
// set on the web interface's settings page; nil for none.
func webhook(ctx context.Context, db *store.DB) (*notify.Webhook, error) {
	if hook := notify.FromEnv(); hook != nil {
		return hook, nil
	}
	m, err := db.Settings(ctx)
	if err != nil || m[web.SettingWebhookURL] == "" {
		return nil, err
	}
	return &notify.Webhook{URL: m[web.SettingWebhookURL], Secret: os.Getenv(notify.EnvSecret)}, nil
}
