package cli

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/bankfeed/bankfeed"
	"github.com/bankfeed/bankfeed/internal/fakebank"
)

// adminClient talks to a running fakebank's admin API.
type adminClient struct {
	base string
	hc   *http.Client
}

func newAdminClient(cmd *cobra.Command) *adminClient {
	return &adminClient{base: adminURL(cmd), hc: &http.Client{Timeout: 30 * time.Second}}
}

// do sends a request and decodes a JSON answer into out (when not nil). An
// error answer becomes an error carrying the server's message.
func (c *adminClient) do(cmd *cobra.Command, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(cmd.Context(), method, c.base+path, body)
	if err != nil {
		return usageError("--admin %q: %v", c.base, err)
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return fmt.Errorf("fakebank admin API at %s: %w (is bankfeed fakebank running? --admin names it)", c.base, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode >= 300 {
		var e struct {
			Error string `json:"error"`
		}
		if json.Unmarshal(b, &e) == nil && e.Error != "" {
			code := bankfeed.EInternal
			switch resp.StatusCode {
			case http.StatusBadRequest:
				code = bankfeed.EInvalid
			case http.StatusNotFound:
				code = bankfeed.ENotFound
			}
			return bankfeed.Errorf(code, "%s", e.Error)
		}
		return fmt.Errorf("fakebank admin API: %s %s: HTTP %d", method, path, resp.StatusCode)
	}
	if out != nil && len(b) > 0 {
		return json.Unmarshal(b, out)
	}
	return nil
}

func newFakebankFaultCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "fault",
		Short: "Switch faults on and off in a running fakebank",
		Args:  cobra.NoArgs,
		RunE:  func(cmd *cobra.Command, args []string) error { return cmd.Help() },
	}
	cmd.AddCommand(newFaultAddCmd(e), newFaultListCmd(e), newFaultRemoveCmd(e), newFaultClearCmd(e))
	return cmd
}

func newFaultAddCmd(e *env) *cobra.Command {
	var spec fakebank.FaultSpec
	var from, until string
	var params []string
	cmd := &cobra.Command{
		Use:   "add KIND --institution ID [flags]",
		Short: "Switch a fault on; prints its id",
		Long: `Add switches a fault on (bankfeed fakebank faults lists the kinds) for an
institution, narrowed to a user or an account if asked. Without --window,
--from/--until, --count or --probability it stays on until removed; with
several, all must hold.`,
		Example: `  bankfeed fakebank fault add maintenance-503 --institution first-state --window "Sat 01:00-05:00"
  bankfeed fakebank fault add account-not-found --institution first-state --account 1009876543
  bankfeed fakebank fault add http-500 --institution first-state --count 2
  bankfeed fakebank fault add latency --institution first-state --param delay=5s --probability 0.3`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			spec.Kind = args[0]
			var err error
			if from != "" {
				if spec.From, err = time.Parse(time.RFC3339, from); err != nil {
					return usageError("--from %q: want an RFC 3339 time", from)
				}
			}
			if until != "" {
				if spec.Until, err = time.Parse(time.RFC3339, until); err != nil {
					return usageError("--until %q: want an RFC 3339 time", until)
				}
			}
			for _, p := range params {
				k, v, ok := strings.Cut(p, "=")
				if !ok {
					return usageError("--param %q: want NAME=VALUE", p)
				}
				if spec.Params == nil {
					spec.Params = map[string]string{}
				}
				spec.Params[k] = v
			}
			var added fakebank.FaultSpec
			if err := newAdminClient(cmd).do(cmd, http.MethodPost, "/admin/faults", spec, &added); err != nil {
				return err
			}
			fmt.Fprintln(e.stdout, added.ID)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&spec.Institution, "institution", "", "institution id (required)")
	f.StringVar(&spec.User, "user", "", "only this user's requests")
	f.StringVar(&spec.Account, "account", "", "only requests about this account")
	f.StringVar(&spec.Window, "window", "", `weekly window in the scenario's zone: "Sat 01:00-05:00", "Mon-Fri 22:00-23:30", "daily 02:00-03:00"`)
	f.StringVar(&from, "from", "", "on from this time (RFC 3339)")
	f.StringVar(&until, "until", "", "off at this time (RFC 3339)")
	f.IntVar(&spec.Count, "count", 0, "answer the next N matching requests, then stop")
	f.Float64Var(&spec.Probability, "probability", 0, "answer each matching request with this chance (0 to 1)")
	f.StringArrayVar(&params, "param", nil, "a setting of the kind, NAME=VALUE (repeatable)")
	_ = cmd.MarkFlagRequired("institution")
	return cmd
}

func newFaultListCmd(e *env) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the faults switched on",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			var faults []fakebank.FaultState
			if err := newAdminClient(cmd).do(cmd, http.MethodGet, "/admin/faults", nil, &faults); err != nil {
				return err
			}
			if asJSON {
				return json.NewEncoder(e.stdout).Encode(faults)
			}
			out := bufio.NewWriter(e.stdout)
			if len(faults) == 0 {
				fmt.Fprintln(out, "No faults switched on.")
				return out.Flush()
			}
			tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tKIND\tSCOPE\tWHEN\tACTIVE NOW")
			for _, f := range faults {
				scope := f.Institution
				if f.User != "" {
					scope += " user " + f.User
				}
				if f.Account != "" {
					scope += " account " + f.Account
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", f.ID, f.Kind, scope, faultWhen(f), yesNo(f.Active))
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

// faultWhen says when a fault acts, in a few words.
func faultWhen(f fakebank.FaultState) string {
	var parts []string
	if f.Window != "" {
		parts = append(parts, f.Window)
	}
	if !f.From.IsZero() {
		parts = append(parts, "from "+f.From.Format(time.RFC3339))
	}
	if !f.Until.IsZero() {
		parts = append(parts, "until "+f.Until.Format(time.RFC3339))
	}
	if f.Count > 0 {
		parts = append(parts, fmt.Sprintf("%d of %d requests left", f.Left, f.Count))
	}
	if f.Probability > 0 {
		parts = append(parts, fmt.Sprintf("p=%g", f.Probability))
	}
	if len(f.ClearedFor) > 0 {
		parts = append(parts, "cleared for "+strings.Join(f.ClearedFor, ", "))
	}
	if len(parts) == 0 {
		return "always"
	}
	return strings.Join(parts, "; ")
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func newFaultRemoveCmd(e *env) *cobra.Command {
	return &cobra.Command{
		Use:   "remove ID",
		Short: "Switch a fault off",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return newAdminClient(cmd).do(cmd, http.MethodDelete, "/admin/faults/"+url.PathEscape(args[0]), nil, nil)
		},
	}
}

func newFaultClearCmd(e *env) *cobra.Command {
	return &cobra.Command{
		Use:   "clear",
		Short: "Switch every fault off, the scenario's included",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return newAdminClient(cmd).do(cmd, http.MethodDelete, "/admin/faults", nil, nil)
		},
	}
}

func newFakebankRequestsCmd(e *env) *cobra.Command {
	var f fakebank.Filter
	var signon string
	var count, asJSON bool
	cmd := &cobra.Command{
		Use:   "requests",
		Short: "List or count the requests a running fakebank received",
		Example: `  bankfeed fakebank requests --institution first-state
  bankfeed fakebank requests --institution first-state --user alice --signon true --count`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			switch signon {
			case "":
			case "true", "false":
				b := signon == "true"
				f.Signon = &b
			default:
				return usageError("--signon %q: want true or false", signon)
			}
			c := newAdminClient(cmd)
			q := f.Query()
			if q != "" {
				q = "?" + q
			}
			if count {
				var n struct {
					Count int `json:"count"`
				}
				if err := c.do(cmd, http.MethodGet, "/admin/requests/count"+q, nil, &n); err != nil {
					return err
				}
				fmt.Fprintln(e.stdout, n.Count)
				return nil
			}
			var recs []fakebank.Record
			if err := c.do(cmd, http.MethodGet, "/admin/requests"+q, nil, &recs); err != nil {
				return err
			}
			out := bufio.NewWriter(e.stdout)
			if asJSON {
				enc := json.NewEncoder(out)
				for _, r := range recs {
					if err := enc.Encode(r); err != nil {
						return err
					}
				}
				return out.Flush()
			}
			tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "SEQ\tTIME\tINSTITUTION\tCHANNEL\tUSER\tASKED\tFAULT\tHTTP\tOFX")
			for _, r := range recs {
				codes := make([]string, len(r.OFXStatus))
				for i, c := range r.OFXStatus {
					codes[i] = fmt.Sprint(c)
				}
				fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%d\t%s\n", r.Seq, r.Time.Format(time.DateTime), r.Institution, r.Channel,
					dash(r.User), dash(strings.Join(r.Asked, " ")), dash(r.Fault), r.HTTPStatus, dash(strings.Join(codes, ",")))
			}
			if err := tw.Flush(); err != nil {
				return err
			}
			return out.Flush()
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.Institution, "institution", "", "only this institution")
	fl.StringVar(&f.User, "user", "", "only this user")
	fl.StringVar(&f.Channel, "channel", "", "only ofx, portal or tls")
	fl.StringVar(&f.Fault, "fault", "", `only requests a fault of this kind answered; "any" or "none"`)
	fl.StringVar(&signon, "signon", "", "only requests that did (true) or did not (false) carry a user's credentials")
	fl.Int64Var(&f.Since, "since", 0, "only requests after this sequence number")
	fl.BoolVar(&count, "count", false, "print how many, not the list")
	fl.BoolVar(&asJSON, "json", false, "one JSON object per request")
	return cmd
}

func newFakebankUnlockCmd(e *env) *cobra.Command {
	return &cobra.Command{
		Use:   "unlock INSTITUTION USER",
		Short: "End a user's lockout, as a call to the bank would",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return newAdminClient(cmd).do(cmd, http.MethodPost, "/admin/institutions/"+url.PathEscape(args[0])+"/users/"+url.PathEscape(args[1])+"/unlock", nil, nil)
		},
	}
}
