package cli

import (
	"bufio"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/bankfeed/bankfeed"
	"github.com/bankfeed/bankfeed/internal/fakebank"
)

func init() { extraCommands = append(extraCommands, newFakebankCmd) }

// fakebankFlags are the flags that choose and shape the scenario.
type fakebankFlags struct {
	scenario string
	seed     string
	now      string
}

func (f *fakebankFlags) add(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.scenario, "scenario", "", "scenario file (JSON); the built-in sample when empty")
	cmd.Flags().StringVar(&f.seed, "seed", "", "generator seed, in place of the scenario's")
	cmd.Flags().StringVar(&f.now, "now", "", "a fixed clock (RFC 3339 time, or YYYY-MM-DD for noon UTC): same seed and clock, same bytes")
}

// load reads the scenario and the clock.
func (f *fakebankFlags) load() (*fakebank.Scenario, func() time.Time, error) {
	var sc *fakebank.Scenario
	var err error
	if f.scenario == "" {
		sc, err = fakebank.ParseScenario(strings.NewReader(string(fakebank.SampleScenario())))
	} else {
		sc, err = fakebank.LoadScenario(f.scenario)
	}
	if err != nil {
		return nil, nil, bankfeed.Errorf(bankfeed.EInvalid, "scenario: %v", err)
	}
	if f.seed != "" {
		n, err := strconv.ParseUint(f.seed, 10, 64)
		if err != nil {
			return nil, nil, usageError("--seed %q: want a whole number", f.seed)
		}
		sc.Seed = n
	}
	now := time.Now
	if f.now != "" {
		t, err := parseClock(f.now)
		if err != nil {
			return nil, nil, usageError("--now %q: want an RFC 3339 time or YYYY-MM-DD", f.now)
		}
		now = func() time.Time { return t }
	}
	return sc, now, nil
}

func parseClock(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	t, err := time.Parse(time.DateOnly, s)
	return t.Add(12 * time.Hour), err
}

func usageError(format string, args ...any) error {
	return &exitError{code: exitUsage, err: fmt.Errorf(format, args...)}
}

const fakebankLong = `Fakebank is a bank simulator that speaks real OFX (Direct Connect), for
tests, demos and anyone building on bank feeds. It serves the institutions of
a scenario, each on its own port with HTTP and HTTPS on that port:

  POST /ofx   sign-on, account list (ACCTINFORQ), bank and card statements,
              profile (PROFRQ), in SGML (1.02, 1.03) or XML (2.x) as the
              institution is set up
  /           the institution's web portal: log in, accept new terms,
              approve an application (CLIENTUID), change the password

Transactions come from a generator seeded by the scenario: paychecks, rent by
check, card purchases and payments, transfers between a user's accounts
(both legs), fees and interest, with stable FITIDs and balances that add up.
The same scenario, seed and clock (--now) give byte-identical statements.

Faults (bankfeed fakebank faults lists them) are switched on in the scenario
or at run time through the admin API (bankfeed fakebank fault add ...), for
an institution, a user or an account; always, in a weekly window ("Sat
01:00-05:00"), between two times, for the next N requests, or with a
probability.

Without --scenario it serves the built-in sample (bankfeed fakebank sample
prints it). A scenario is JSON:

  {"seed": 42, "start": "2026-01-01", "zone": "America/New_York",
   "institutions": [{"id": "first-state", "name": "First State Bank",
     "org": "FSB", "fid": "10898", "bank_id": "121000358", "version": "102",
     "users": [{"id": "alice", "password": "secret", "accounts": [
       {"id": "1001234567", "type": "checking"},
       {"id": "4111222233334444", "type": "creditcard"}]}],
     "faults": [{"kind": "maintenance-503", "window": "Sat 01:00-05:00"}]}]}

docs/fakebank.md describes every field. HTTPS uses a local CA kept in
--tls-dir (ca.pem): point clients at it (SSL_CERT_FILE=ca.pem, curl --cacert).
Every request is logged to stderr and kept for the admin API
(bankfeed fakebank requests).`

func newFakebankCmd(e *env) *cobra.Command {
	var ff fakebankFlags
	var host, tlsDir string
	var port int
	var asJSON, quiet bool
	cmd := &cobra.Command{
		Use:   "fakebank",
		Short: "Run a simulated OFX bank with scheduled faults",
		Long:  fakebankLong,
		Example: `  bankfeed fakebank                          # the sample scenario on 127.0.0.1:8440-8443
  bankfeed fakebank --scenario my.json --port 0 --json
  bankfeed fakebank fault add maintenance-503 --institution first-state --count 3
  bankfeed fakebank requests --institution first-state --count`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			sc, now, err := ff.load()
			if err != nil {
				return err
			}
			if port < 0 || port > 65535-len(sc.Institutions) {
				return usageError("--port %d out of range", port)
			}
			assignPorts(sc, port)
			if tlsDir == "" {
				tlsDir = filepath.Join(e.cfg.DataDir, "fakebank", "tls")
			}
			logger := slog.New(slog.DiscardHandler)
			if !quiet {
				logger = slog.New(slog.NewTextHandler(e.stderr, nil))
			}
			srv, err := fakebank.Start(sc, fakebank.Options{Host: host, AdminPort: port, Now: now, Logger: logger, TLSDir: tlsDir})
			if err != nil {
				return err
			}
			defer srv.Close()
			if err := printServing(e, srv, filepath.Join(tlsDir, "ca.pem"), asJSON); err != nil {
				return err
			}
			<-cmd.Context().Done()
			return srv.Close()
		},
	}
	ff.add(cmd)
	cmd.Flags().StringVar(&host, "host", "127.0.0.1", "address to listen on")
	cmd.Flags().IntVar(&port, "port", 8440, "admin API port; institutions without a port in the scenario take the next ones; 0 picks free ports")
	cmd.Flags().StringVar(&tlsDir, "tls-dir", "", "where the CA is kept (ca.pem, ca.key); default DATA_DIR/fakebank/tls")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the addresses as one JSON object when ready")
	cmd.Flags().BoolVar(&quiet, "quiet", false, "do not log requests to stderr")
	cmd.PersistentFlags().String("admin", envOr("BANKFEED_FAKEBANK_ADMIN", "http://127.0.0.1:8440"),
		"admin API of a running fakebank, for the subcommands that talk to it (env BANKFEED_FAKEBANK_ADMIN)")
	cmd.AddCommand(newFakebankFaultsCmd(e), newFakebankSampleCmd(e), newFakebankStatementCmd(e),
		newFakebankFaultCmd(e), newFakebankRequestsCmd(e), newFakebankUnlockCmd(e))
	return cmd
}

// assignPorts gives each institution without a port the next free one
// after the admin port, skipping ports the scenario names; with admin port 0
// every such institution gets a free port from the system.
func assignPorts(sc *fakebank.Scenario, admin int) {
	if admin == 0 {
		return
	}
	taken := map[int]bool{admin: true}
	for _, in := range sc.Institutions {
		taken[in.Port] = true
	}
	next := admin + 1
	for _, in := range sc.Institutions {
		if in.Port != 0 {
			continue
		}
		for taken[next] {
			next++
		}
		in.Port = next
		taken[next] = true
	}
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// serving is what `bankfeed fakebank --json` prints when ready.
type serving struct {
	AdminURL     string                     `json:"admin_url"`
	CAFile       string                     `json:"ca_file"`
	Seed         uint64                     `json:"seed"`
	Institutions []fakebank.InstitutionInfo `json:"institutions"`
}

func printServing(e *env, srv *fakebank.Server, caFile string, asJSON bool) error {
	info := serving{AdminURL: srv.AdminURL(), CAFile: caFile, Seed: srv.Scenario().Seed, Institutions: srv.Institutions()}
	if asJSON {
		return json.NewEncoder(e.stdout).Encode(info)
	}
	out := bufio.NewWriter(e.stdout)
	fmt.Fprintf(out, "fakebank: %d institutions, seed %d; HTTPS CA: %s\n\n", len(info.Institutions), info.Seed, caFile)
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "INSTITUTION\tORG\tFID\tOFX\tOFX URL (also http://)\tUSERS AND ACCOUNTS")
	for _, in := range info.Institutions {
		var users []string
		for _, u := range in.Users {
			var accts []string
			for _, a := range u.Accounts {
				accts = append(accts, a.ID+" "+a.Type)
			}
			users = append(users, u.ID+": "+strings.Join(accts, ", "))
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", in.ID, in.Org, in.FID, in.Version, in.OFXURL, strings.Join(users, "; "))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(out, "\nPortals: the same addresses at /. Admin API: %s/admin/. Stop with Ctrl-C.\n", info.AdminURL)
	return out.Flush()
}

func newFakebankFaultsCmd(e *env) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "faults",
		Short: "List the fault kinds, with their settings",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if asJSON {
				enc := json.NewEncoder(e.stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(fakebank.Kinds)
			}
			out := bufio.NewWriter(e.stdout)
			tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "KIND\tACTS ON\tWHAT A CLIENT GETS")
			for _, k := range fakebank.Kinds {
				fmt.Fprintf(tw, "%s\t%s\t%s\n", k.Name, k.Layer, k.Desc)
				for _, p := range k.Params {
					def := p.Default
					if def == "" {
						def = `""`
					}
					fmt.Fprintf(tw, "\t\t  --param %s=%s: %s\n", p.Name, def, p.Desc)
				}
			}
			if err := tw.Flush(); err != nil {
				return err
			}
			return out.Flush()
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "as JSON")
	return cmd
}

func newFakebankSampleCmd(e *env) *cobra.Command {
	return &cobra.Command{
		Use:   "sample",
		Short: "Print the built-in sample scenario, to start your own from",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			_, err := e.stdout.Write(fakebank.SampleScenario())
			return err
		},
	}
}

func newFakebankStatementCmd(e *env) *cobra.Command {
	var ff fakebankFlags
	var inst, acct, start, end string
	cmd := &cobra.Command{
		Use:   "statement",
		Short: "Print the OFX statement fakebank would answer, without serving it",
		Long: `Statement prints the OFX document an institution of the scenario answers a
statement request with, for one account over a window, as its owner signing
on at --now. Same scenario, seed, window and clock: same bytes.`,
		Example: `  bankfeed fakebank statement --institution first-state --account 1001234567 \
      --start 2026-10-01 --end 2026-10-31 --now 2026-11-24`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			sc, now, err := ff.load()
			if err != nil {
				return err
			}
			var from, to time.Time
			if start != "" {
				if from, err = time.Parse(time.DateOnly, start); err != nil {
					return usageError("--start %q: want YYYY-MM-DD", start)
				}
			}
			if end != "" {
				if to, err = time.Parse(time.DateOnly, end); err != nil {
					return usageError("--end %q: want YYYY-MM-DD", end)
				}
			}
			out, err := fakebank.RenderStatement(sc, fakebank.Options{Now: now}, inst, acct, from, to)
			if err != nil {
				return err
			}
			_, err = e.stdout.Write(out)
			return err
		},
	}
	ff.add(cmd)
	cmd.Flags().StringVar(&inst, "institution", "", "institution id (required)")
	cmd.Flags().StringVar(&acct, "account", "", "account id, the ACCTID (required)")
	cmd.Flags().StringVar(&start, "start", "", "first day, YYYY-MM-DD; 90 days back when empty")
	cmd.Flags().StringVar(&end, "end", "", "last day, YYYY-MM-DD; today when empty")
	_ = cmd.MarkFlagRequired("institution")
	_ = cmd.MarkFlagRequired("account")
	return cmd
}

// adminURL returns the --admin flag of the fakebank command.
func adminURL(cmd *cobra.Command) string {
	v, _ := cmd.Flags().GetString("admin")
	return strings.TrimSuffix(v, "/")
}
