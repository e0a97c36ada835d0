package cli

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/bankfeed/bankfeed"
	"github.com/bankfeed/bankfeed/internal/secret"
	"github.com/bankfeed/bankfeed/internal/source/ofxdirect"
	"github.com/bankfeed/bankfeed/internal/store"
	"github.com/bankfeed/bankfeed/internal/syncer"
)

func init() { extraCommands = append(extraCommands, newConnectCmd) }

const connectLong = `Connect sets up a connection: one login at one bank's OFX Direct Connect
server. It asks the bank for the login's accounts and gives each a feed
account, a new one or, with --link, one that already holds lines (from
imported files, or from a connection removed earlier), whose history then
continues without duplicates. Nothing is downloaded yet: bankfeed sync does
that, 90 days back the first time.

The bank's settings (--url, --org, --fid, and for some banks --bank-id,
--ofx-version, --app-id, --app-ver, --clientuid-required) come from the
bank or from ofxhome-style lists. --ca-file trusts an extra CA for this bank
(a private one, or fakebank's). --portal is the bank's web site, where you
go when it asks for something (new terms, a new password).

The password is read from --password-file (its first line; - reads standard
input), or asked for on the terminal without echo, or read from standard
input when that is not a terminal. There is no --password flag: a password
on the command line shows in ps and in the shell's history. It is kept
sealed with the key that bankfeed key shows, never in the clear.

A password the bank rejects is not saved, and nothing else is: check it and
run connect again. Any other failure (the bank down, asking you to accept
terms) saves the connection, which lists its accounts on its first sync
that gets through. With --json, one JSON object says what happened.
Exit status: 0 when the accounts were listed, 1 when the bank refused or
could not be reached (the output says whether anything was saved).`

type connectFlags struct {
	p            bankfeed.Profile
	user         string
	bankName     string
	passwordFile string
	password     string // refused: see refusePasswordFlag
	links        []string
	asJSON       bool
}

func newConnectCmd(e *env) *cobra.Command {
	var f connectFlags
	cmd := &cobra.Command{
		Use:   "connect NAME --url URL --org ORG --fid FID --user USERID",
		Short: "Connect a bank login (OFX Direct Connect) and list its accounts",
		Long:  connectLong,
		Example: `  bankfeed connect checking --url https://ofx.example-bank.com/ofx --org EXB --fid 1234 \
      --user alice --password-file ~/.secrets/bank
  bankfeed connect card --url https://ofx.card.example/ofx --org CARD --fid 99 --user alice \
      --link 4111222233334444=3      # continue feed account 3 with this card`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := refusePasswordFlag(cmd); err != nil {
				return err
			}
			return runConnect(cmd.Context(), e, args[0], &f)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.p.URL, "url", "", "the bank's OFX server URL (required)")
	fl.StringVar(&f.p.Org, "org", "", "the bank's ORG")
	fl.StringVar(&f.p.FID, "fid", "", "the bank's FID")
	fl.StringVar(&f.p.BankID, "bank-id", "", "routing number (BANKID), for banks whose account list leaves it out")
	fl.StringVar(&f.p.Version, "ofx-version", "", "OFX version to send: 102 (default), 103, 151, 160, 200-220")
	fl.StringVar(&f.p.AppID, "app-id", "", "application id to send (APPID); QWIN when empty")
	fl.StringVar(&f.p.AppVer, "app-ver", "", "application version to send (APPVER); 2500 when empty")
	fl.StringVar(&f.p.UserAgent, "user-agent", "", "HTTP User-Agent; InetClntApp/3.0 when empty")
	fl.BoolVar(&f.p.ClientUIDRequired, "clientuid-required", false, "the bank wants a CLIENTUID (approve it at the bank's web site)")
	fl.StringVar(&f.p.CAFile, "ca-file", "", "PEM file of extra CA certificates to trust for this bank")
	fl.StringVar(&f.p.PortalURL, "portal", "", "the bank's web site, shown when the bank asks you to act")
	fl.StringVar(&f.bankName, "bank-name", "", "the name to show the bank by; empty: the name its OFX profile gives")
	fl.StringVar(&f.user, "user", "", "your user ID at the bank (required)")
	fl.StringVar(&f.passwordFile, "password-file", "", "read the password from the first line of FILE (- for standard input)")
	fl.StringArrayVar(&f.links, "link", nil, "ACCTID=ACCOUNT: send the bank's account ACCTID to the existing feed account ACCOUNT (id or number); repeatable")
	fl.BoolVar(&f.asJSON, "json", false, "print the outcome as one JSON object")
	addPasswordTrap(cmd, &f.password)
	_ = cmd.MarkFlagRequired("url")
	_ = cmd.MarkFlagRequired("user")
	return cmd
}

func runConnect(ctx context.Context, e *env, name string, f *connectFlags) error {
	if f.p.Org == "" && f.p.FID == "" {
		return usageError("give the bank's --org or --fid (or both, as the bank lists them)")
	}
	if f.p.CAFile != "" {
		abs, err := filepath.Abs(f.p.CAFile)
		if err != nil {
			return usageError("--ca-file: %v", err)
		}
		if _, err := os.Stat(abs); err != nil {
			return usageError("--ca-file: %v", err)
		}
		f.p.CAFile = abs // kept with the connection, used from any directory
	}
	db, err := openStore(ctx, e)
	if err != nil {
		return err
	}
	defer db.Close()
	links, err := parseLinks(ctx, db, f.links)
	if err != nil {
		return err
	}
	// A name in use is said before the password is asked for.
	if cs, err := db.Connections(ctx, store.ConnectionFilter{Name: name}); err != nil {
		return err
	} else if len(cs) > 0 {
		return bankfeed.Errorf(bankfeed.EConflict, "a connection named %q exists already (bankfeed connections lists them)", name)
	}
	pw, err := readPassword(ctx, e, f.passwordFile, fmt.Sprintf("Password for %s at %s: ", f.user, hostOf(f.p.URL)))
	if err != nil {
		return err
	}
	key, err := loadKey()
	if err != nil {
		return err
	}
	before, err := accountLines(ctx, db)
	if err != nil {
		return err
	}
	s := syncer.New(db, key, syncer.Options{})
	res, err := s.Connect(ctx, syncer.ConnectRequest{Name: name, Profile: f.p, UserID: f.user, Password: pw, Links: links,
		InstitutionName: f.bankName})
	if err != nil {
		return err
	}
	out := newConnectJSON(res, before, time.Now())
	w := bufio.NewWriter(e.stdout)
	if f.asJSON {
		enc := newJSONEncoder(w, true)
		err = enc.Encode(out)
	} else {
		err = printConnect(w, out, time.Now())
	}
	if ferr := w.Flush(); err == nil {
		err = ferr
	}
	if err != nil {
		return err
	}
	if res.Err == nil {
		return nil
	}
	msg := fmt.Sprintf("connect %s: %s", name, adviceFor(res.Class).what)
	if out.Saved {
		msg += "; the connection is saved"
	} else {
		msg += "; nothing was saved"
	}
	return &exitError{code: exitFailure, err: errors.New(msg)}
}

// parseLinks reads --link ACCTID=ACCOUNT flags.
func parseLinks(ctx context.Context, db *store.DB, flags []string) (map[string]bankfeed.AccountID, error) {
	if len(flags) == 0 {
		return nil, nil
	}
	links := map[string]bankfeed.AccountID{}
	for _, l := range flags {
		acct, ref, ok := strings.Cut(l, "=")
		acct, ref = strings.TrimSpace(acct), strings.TrimSpace(ref)
		if !ok || acct == "" || ref == "" {
			return nil, usageError("--link %q: want ACCTID=ACCOUNT (the bank's account number = a feed account's id or number)", l)
		}
		a, err := db.FindAccount(ctx, ref)
		if err != nil {
			return nil, fmt.Errorf("--link %s: %w", l, err)
		}
		links[acct] = a.ID
	}
	return links, nil
}

// accountLines returns how many lines each feed account holds.
func accountLines(ctx context.Context, db *store.DB) (map[bankfeed.AccountID]int64, error) {
	accts, err := db.Accounts(ctx, bankfeed.AccountFilter{})
	if err != nil {
		return nil, err
	}
	out := make(map[bankfeed.AccountID]int64, len(accts))
	for _, a := range accts {
		out[a.ID] = a.Lines
	}
	return out, nil
}

// connectJSON is what connect prints with --json.
type connectJSON struct {
	Connection    string                   `json:"connection"`
	ID            bankfeed.ConnectionID    `json:"id,omitempty"`
	Institution   string                   `json:"institution"`
	UserID        string                   `json:"user_id"`
	Saved         bool                     `json:"saved"`
	State         bankfeed.ConnectionState `json:"state,omitempty"`
	Reason        string                   `json:"reason,omitempty"`
	NextAttemptAt time.Time                `json:"next_attempt_at,omitzero"`
	Accounts      []connectAccount         `json:"accounts"`
	FailureClass  bankfeed.FailureClass    `json:"failure_class,omitempty"`
	Error         string                   `json:"error,omitempty"`
	// Failure is the class and the codes the bank answered with.
	Failure  string `json:"-"`
	BankSaid string `json:"bank_said,omitempty"`
	WhatToDo string `json:"what_to_do,omitempty"`
	// Exchange is the account list request and its answer, password
	// redacted.
	Exchange *ofxdirect.Exchange `json:"exchange,omitempty"`
}

type connectAccount struct {
	Number    string               `json:"number"`
	Kind      bankfeed.AccountKind `json:"kind"`
	Type      string               `json:"type,omitempty"`
	Desc      string               `json:"desc,omitempty"`
	AccountID bankfeed.AccountID   `json:"account_id"`
	// Existing is true when the feed account held lines before: its
	// history continues.
	Existing bool  `json:"existing"`
	Lines    int64 `json:"lines"`
	Enabled  bool  `json:"enabled"`
}

func newConnectJSON(res *syncer.ConnectResult, before map[bankfeed.AccountID]int64, now time.Time) *connectJSON {
	c := res.Connection
	out := &connectJSON{Connection: c.Name, ID: c.ID, Institution: institutionLabel(c.Profile), UserID: c.UserID,
		Saved: c.ID != 0, Accounts: []connectAccount{}, Exchange: res.Exchange}
	if out.Saved {
		out.State, out.Reason, out.NextAttemptAt = c.State, c.Reason, c.NextAttemptAt
	}
	for _, a := range c.Accounts {
		lines, existing := before[a.AccountID]
		out.Accounts = append(out.Accounts, connectAccount{Number: a.Number, Kind: a.Kind, Type: a.Type, Desc: a.Desc,
			AccountID: a.AccountID, Existing: existing, Lines: lines, Enabled: a.Enabled})
	}
	if res.Err != nil {
		out.FailureClass = res.Class
		out.Error = res.Err.Error()
		out.BankSaid = bankSaid(res.Err)
		out.Failure = failureFacts(res.Class, res.Err)
		out.WhatToDo = adviceFor(res.Class).todo(c.Name, c.Profile.PortalURL)
		if !out.Saved {
			out.WhatToDo = notSavedAdvice(res.Class)
		}
	}
	return out
}

// notSavedAdvice is what to do when connect kept nothing.
func notSavedAdvice(class bankfeed.FailureClass) string {
	if class == bankfeed.FailInvalidCredentials {
		return "check the user ID and password at the bank's web site, then run bankfeed connect again; " +
			"bankfeed never retries a rejected password by itself, as banks lock a login after a few"
	}
	return "check the bank's settings (--url, --org, --fid, --ofx-version) against what the bank publishes, then run bankfeed connect again"
}

func printConnect(w io.Writer, j *connectJSON, now time.Time) error {
	if j.FailureClass == "" {
		fmt.Fprintf(w, "Connected %q: %s, user %s, %d %s.\n", j.Connection, j.Institution, j.UserID,
			len(j.Accounts), plural(len(j.Accounts), "account", "accounts"))
		if len(j.Accounts) > 0 {
			rows := make([][]string, 0, len(j.Accounts))
			for _, a := range j.Accounts {
				feed := fmt.Sprintf("account %d, new", a.AccountID)
				if a.Existing {
					feed = fmt.Sprintf("account %d, existing (%d %s): its history continues", a.AccountID, a.Lines,
						plural(int(a.Lines), "line", "lines"))
				}
				if !a.Enabled {
					feed += "; not synced: Direct Connect here fetches bank and card statements only"
				}
				rows = append(rows, []string{a.Number, string(a.Kind), dash(a.Type), dash(a.Desc), feed})
			}
			if err := writeTable(w, "  ", []string{"ACCOUNT", "KIND", "TYPE", "DESCRIPTION", "FEED"}, rows); err != nil {
				return err
			}
		}
		_, err := fmt.Fprintf(w, "Next: bankfeed sync --connection %s fetches the last 90 days.\n", j.Connection)
		return err
	}
	a := adviceFor(j.FailureClass)
	if !j.Saved {
		fmt.Fprintf(w, "Not connected: %s.\n", a.what)
	} else {
		fmt.Fprintf(w, "Saved %q, but the bank did not list its accounts: %s.\n", j.Connection, a.what)
	}
	if j.BankSaid != "" {
		fmt.Fprintf(w, "  The bank said: \"%s\"\n", j.BankSaid)
	}
	fmt.Fprintf(w, "  Failure: %s\n", j.Failure)
	if !j.Saved {
		fmt.Fprintln(w, "  Nothing was saved: no connection, no password.")
		_, err := fmt.Fprintf(w, "  What to do: %s.\n", j.WhatToDo)
		return err
	}
	fmt.Fprintln(w, "  Saved: the connection and its sealed password; its accounts are listed by the first sync that gets through.")
	fmt.Fprintf(w, "  What to do: %s.\n", j.WhatToDo)
	_, err := fmt.Fprintf(w, "  Next attempt: %s.\n", nextText(j.State, j.NextAttemptAt, now))
	return err
}

// institutionLabel names the bank a profile reaches: its ORG, or its FID.
func institutionLabel(p bankfeed.Profile) string {
	if p.Org != "" {
		return p.Org
	}
	return "FID " + p.FID
}

// failureFacts says a failure's class and what the bank answered:
// "bank.maintenance, HTTP 503"; with no answer, the error itself.
func failureFacts(class bankfeed.FailureClass, err error) string {
	var fe *ofxdirect.FetchError
	if !errors.As(err, &fe) {
		return err.Error()
	}
	facts := []string{string(class)}
	if fe.HTTPStatus != 0 {
		facts = append(facts, fmt.Sprintf("HTTP %d", fe.HTTPStatus))
	}
	for _, st := range fe.OFX {
		if !st.OK() {
			facts = append(facts, fmt.Sprintf("OFX %d", st.Code))
		}
	}
	if len(facts) == 1 {
		return err.Error()
	}
	return strings.Join(facts, ", ")
}

// bankSaid returns the bank's own words in a failure, if any.
func bankSaid(err error) string {
	var fe *ofxdirect.FetchError
	if errors.As(err, &fe) {
		return fe.Message
	}
	return ""
}

func hostOf(u string) string {
	if _, rest, ok := strings.Cut(u, "://"); ok {
		u = rest
	}
	host, _, _ := strings.Cut(u, "/")
	return host
}

// addPasswordTrap adds a hidden --password flag, so that a password given on
// the command line is refused by name instead of as an unknown flag.
func addPasswordTrap(cmd *cobra.Command, v *string) {
	cmd.Flags().StringVar(v, "password", "", "")
	_ = cmd.Flags().MarkHidden("password")
}

// refusePasswordFlag refuses --password without repeating its value.
func refusePasswordFlag(cmd *cobra.Command) error {
	if f := cmd.Flags().Lookup("password"); f != nil && f.Changed {
		return usageError("there is no --password flag: a password on the command line shows in ps and in your shell's history. " +
			"Use --password-file FILE (- reads standard input), or leave both out to be asked for it")
	}
	return nil
}

// maxPasswordLine bounds what is read for a password.
const maxPasswordLine = 4096

// readPassword reads a password: the first line of file ("-" is standard
// input), else asked for on the terminal without echo, else the first line
// of standard input when that is not a terminal.
func readPassword(ctx context.Context, e *env, file, prompt string) (secret.String, error) {
	var line string
	var err error
	switch {
	case file == "-":
		line, err = firstLine(e.stdin)
	case file != "":
		line, err = readPasswordFile(e, file)
	default:
		if f, ok := e.stdin.(*os.File); ok && isTerminal(f) {
			line, err = promptHidden(ctx, f, e.stderr, prompt)
		} else {
			line, err = firstLine(e.stdin)
		}
	}
	if err != nil {
		return "", err
	}
	if line == "" {
		return "", bankfeed.Errorf(bankfeed.EInvalid, "empty password")
	}
	return secret.String(line), nil
}

func readPasswordFile(e *env, path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", bankfeed.Errorf(bankfeed.EInvalid, "--password-file: %v", err)
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o077 != 0 {
		fmt.Fprintf(e.stderr, "bankfeed: warning: %s can be read by others (mode %04o); chmod 600 %s\n",
			path, fi.Mode().Perm(), path)
	}
	line, err := firstLine(f)
	if err != nil {
		return "", fmt.Errorf("--password-file %s: %w", path, err)
	}
	return line, nil
}

// firstLine returns r's first line without its line ending.
func firstLine(r io.Reader) (string, error) {
	br := bufio.NewReader(io.LimitReader(r, maxPasswordLine))
	line, err := br.ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read password: %w", err)
	}
	if errors.Is(err, io.EOF) && len(line) == maxPasswordLine {
		return "", bankfeed.Errorf(bankfeed.EInvalid, "read password: no line end in the first %d bytes", maxPasswordLine)
	}
	return strings.TrimRight(line, "\r\n"), nil
}

// promptHidden asks for a line on the terminal tty with echo off. Echo is
// switched with stty: golang.org/x/sys/unix would need a file per system
// (the termios requests differ between Linux and the BSDs), and a password
// prompt is worth one small process.
func promptHidden(ctx context.Context, tty *os.File, w io.Writer, prompt string) (string, error) {
	saved, err := stty(tty, "-g")
	if err != nil {
		return "", bankfeed.Errorf(bankfeed.EInvalid,
			"cannot switch off the terminal's echo (%v): use --password-file FILE, or - to read standard input", err)
	}
	restore := func() { _, _ = stty(tty, strings.TrimSpace(saved)) }
	if _, err := stty(tty, "-echo"); err != nil {
		return "", bankfeed.Errorf(bankfeed.EInvalid, "cannot switch off the terminal's echo (%v): use --password-file", err)
	}
	defer restore()
	fmt.Fprint(w, prompt)
	type result struct {
		line string
		err  error
	}
	got := make(chan result, 1)
	go func() {
		line, err := firstLine(tty)
		got <- result{line, err}
	}()
	select {
	case r := <-got:
		fmt.Fprintln(w)
		return r.line, r.err
	case <-ctx.Done():
		fmt.Fprintln(w)
		return "", ctx.Err()
	}
}

func stty(tty *os.File, arg string) (string, error) {
	cmd := exec.Command("stty", arg)
	cmd.Stdin = tty
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		if msg := strings.TrimSpace(errOut.String()); msg != "" {
			return "", fmt.Errorf("stty: %s", msg)
		}
		return "", fmt.Errorf("stty: %w", err)
	}
	return out.String(), nil
}
