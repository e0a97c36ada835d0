package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/bankfeed/bankfeed"
	"github.com/bankfeed/bankfeed/internal/advice"
	"github.com/bankfeed/bankfeed/internal/diagnose"
	"github.com/bankfeed/bankfeed/internal/secret"
	"github.com/bankfeed/bankfeed/internal/source/ofxdirect"
	"github.com/bankfeed/bankfeed/internal/store"
	"github.com/bankfeed/bankfeed/internal/syncer"
)

func init() { routeSets = append(routeSets, (*Server).connectionRoutes) }

func (s *Server) connectionRoutes() {
	s.handle("GET /connections", Viewer, s.connectionsPage)
	s.handle("GET /connections/new", Admin, s.connectionNewPage)
	s.handle("GET /connections/{id}", Viewer, s.connectionPage)
	s.handle("GET /api/v1/institutions", Viewer, s.apiInstitutions)
	s.handle("PATCH /api/v1/institutions/{id}", Admin, s.apiRenameInstitution)
	s.handle("GET /api/v1/connections", Viewer, s.apiConnections)
	s.handle("POST /api/v1/connections", Admin, s.apiConnect)
	s.handle("GET /api/v1/connections/{id}", Viewer, s.apiConnection)
	s.handle("DELETE /api/v1/connections/{id}", Admin, s.apiRemoveConnection)
	s.handle("POST /api/v1/connections/{id}/sync", Bookkeeper, s.apiSyncNow)
	s.handle("POST /api/v1/connections/{id}/resume", Bookkeeper, s.apiResume)
	s.handle("PUT /api/v1/connections/{id}/password", Admin, s.apiSetPassword)
	s.handle("POST /api/v1/connections/{id}/reset", Admin, s.apiReset)
	s.handle("POST /api/v1/connections/{id}/disable", Admin, s.apiToggle(true))
	s.handle("POST /api/v1/connections/{id}/enable", Admin, s.apiToggle(false))
	s.handle("GET /api/v1/connections/{id}/diagnosis", Viewer, s.apiDiagnosis)
	s.handle("POST /api/v1/connections/{id}/diagnose", Bookkeeper, s.apiDiagnose)
}

// connectionJSON is a connection as the API shows it: never its password.
type connectionJSON struct {
	*bankfeed.Connection
	Institution string                   `json:"institution"`
	State       bankfeed.ConnectionState `json:"state"`
	StateLabel  string                   `json:"state_label"`
	NextText    string                   `json:"next_attempt"`
}

func newConnectionJSON(c *bankfeed.Connection, insts map[bankfeed.InstitutionID]string) *connectionJSON {
	st := c.State
	if c.Disabled {
		st = bankfeed.ConnDisabled
	}
	return &connectionJSON{Connection: c, Institution: insts[c.InstitutionID], State: st, StateLabel: feedStateLabel(st),
		NextText: feedNextText(st, c.NextAttemptAt)}
}

// institutionNames maps institution ids to names (their key when they have
// none).
func (s *Server) institutionNames(ctx context.Context) (map[bankfeed.InstitutionID]string, error) {
	insts, err := s.db.Institutions(ctx)
	if err != nil {
		return nil, err
	}
	out := make(map[bankfeed.InstitutionID]string, len(insts))
	for _, in := range insts {
		out[in.ID] = institutionName(in)
	}
	return out, nil
}

func institutionName(in *bankfeed.Institution) string {
	switch {
	case in.Name != "":
		return in.Name
	case in.Org != "":
		return in.Org
	case in.FID != "":
		return "FID " + in.FID
	}
	return in.Key
}

// connectionOf reads the connection a path names.
func (s *Server) connectionOf(r *http.Request) (*bankfeed.Connection, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return nil, err
	}
	return s.db.Connection(r.Context(), bankfeed.ConnectionID(id))
}

// connectionSyncer reads the connection a path names, and returns the
// syncer that changes it.
func (s *Server) connectionSyncer(r *http.Request) (*bankfeed.Connection, *syncer.Syncer, error) {
	c, err := s.connectionOf(r)
	if err != nil {
		return nil, nil, err
	}
	sy, err := s.feedSyncer()
	return c, sy, err
}

// auditConnection records a change to a connection.
func (s *Server) auditConnection(r *http.Request, action string, c *bankfeed.Connection, detail string) error {
	return s.db.Update(r.Context(), func(tx *store.Tx) error {
		return tx.Audit(r.Context(), actor(r), action, "connection "+c.Name, detail)
	})
}

type connectionsAnswer struct {
	Connections []*connectionJSON `json:"connections"`
}

func (s *Server) connectionList(ctx context.Context) ([]*connectionJSON, error) {
	conns, err := s.db.Connections(ctx, store.ConnectionFilter{})
	if err != nil {
		return nil, err
	}
	insts, err := s.institutionNames(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]*connectionJSON, 0, len(conns))
	for _, c := range conns {
		out = append(out, newConnectionJSON(c, insts))
	}
	return out, nil
}

func (s *Server) apiConnections(w http.ResponseWriter, r *http.Request) error {
	list, err := s.connectionList(r.Context())
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, connectionsAnswer{Connections: list})
}

func (s *Server) connectionsPage(w http.ResponseWriter, r *http.Request) error {
	list, err := s.connectionList(r.Context())
	if err != nil {
		return err
	}
	return s.page(w, r, "connections", pageData{Title: "Connections", Nav: "connections", Data: list})
}

// connectionDetail is one connection with its accounts, its card, its
// latest diagnosis and its latest runs.
type connectionDetail struct {
	*connectionJSON
	Feeds     []*connectionFeed   `json:"feeds"`
	Card      *advice.Card        `json:"card,omitempty"`
	CardNext  string              `json:"-"`
	Diagnosis *diagnose.Verdict   `json:"diagnosis,omitempty"`
	Runs      []*bankfeed.SyncRun `json:"runs"`
	KeySet    bool                `json:"-"`
}

// connectionFeed is an account a connection feeds, with its board row.
type connectionFeed struct {
	*bankfeed.ConnectionAccount
	Status *accountView `json:"status,omitempty"`
}

func (s *Server) connectionDetail(ctx context.Context, c *bankfeed.Connection) (*connectionDetail, error) {
	insts, err := s.institutionNames(ctx)
	if err != nil {
		return nil, err
	}
	d := &connectionDetail{connectionJSON: newConnectionJSON(c, insts), Feeds: []*connectionFeed{}, KeySet: s.opts.Key != nil}
	if s.opts.Syncer != nil {
		st, err := s.status(ctx)
		if err != nil {
			return nil, err
		}
		for _, iv := range st.Institutions {
			for _, cv := range iv.Connections {
				if cv.ID != c.ID {
					continue
				}
				d.Card, d.CardNext = cv.Card, cv.CardNext
				byID := map[bankfeed.AccountID]*accountView{}
				for _, a := range cv.Accounts {
					byID[a.AccountID] = a
				}
				for _, a := range c.Accounts {
					d.Feeds = append(d.Feeds, &connectionFeed{ConnectionAccount: a, Status: byID[a.AccountID]})
				}
			}
		}
	}
	if len(d.Feeds) == 0 {
		for _, a := range c.Accounts {
			d.Feeds = append(d.Feeds, &connectionFeed{ConnectionAccount: a})
		}
	}
	if d.Diagnosis, err = s.latestVerdict(ctx, c.ID); err != nil {
		return nil, err
	}
	if d.Runs, err = s.db.FindSyncRuns(ctx, store.SyncRunFilter{ConnectionID: c.ID, Limit: 10}); err != nil {
		return nil, err
	}
	if d.Runs == nil {
		d.Runs = []*bankfeed.SyncRun{}
	}
	return d, nil
}

// latestVerdict reads a connection's latest diagnosis; nil when none.
func (s *Server) latestVerdict(ctx context.Context, id bankfeed.ConnectionID) (*diagnose.Verdict, error) {
	d, err := s.db.LatestDiagnosis(ctx, id)
	if err != nil || d == nil {
		return nil, err
	}
	var v diagnose.Verdict
	if err := json.Unmarshal(d.Verdict, &v); err != nil {
		return nil, fmt.Errorf("read diagnosis %d: %w", d.ID, err)
	}
	return &v, nil
}

// connectionDetailOf reads the connection a path names, in detail.
func (s *Server) connectionDetailOf(r *http.Request) (*connectionDetail, error) {
	c, err := s.connectionOf(r)
	if err != nil {
		return nil, err
	}
	return s.connectionDetail(r.Context(), c)
}

func (s *Server) apiConnection(w http.ResponseWriter, r *http.Request) error {
	d, err := s.connectionDetailOf(r)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, d)
}

func (s *Server) connectionPage(w http.ResponseWriter, r *http.Request) error {
	d, err := s.connectionDetailOf(r)
	if err != nil {
		return err
	}
	return s.page(w, r, "connection", pageData{Title: d.Name, Nav: "connections", Data: d})
}

// institutionJSON is a bank this install knows, with the settings its
// connections use, for the setup form.
type institutionJSON struct {
	ID          bankfeed.InstitutionID `json:"id"`
	Name        string                 `json:"name"`
	Org         string                 `json:"org,omitempty"`
	FID         string                 `json:"fid,omitempty"`
	Connections int                    `json:"connections"`
	// Profile is the settings of its latest connection, without the CA
	// file; nil when it has none.
	Profile *bankfeed.Profile `json:"profile,omitempty"`
	// ProfileJSON is Profile as JSON, for the setup form's script.
	ProfileJSON string `json:"-"`
}

func (s *Server) institutions(ctx context.Context) ([]*institutionJSON, error) {
	insts, err := s.db.Institutions(ctx)
	if err != nil {
		return nil, err
	}
	conns, err := s.db.Connections(ctx, store.ConnectionFilter{})
	if err != nil {
		return nil, err
	}
	out := make([]*institutionJSON, 0, len(insts))
	for _, in := range insts {
		ij := &institutionJSON{ID: in.ID, Name: institutionName(in), Org: in.Org, FID: in.FID}
		for _, c := range conns {
			if c.InstitutionID == in.ID {
				ij.Connections++
				p := c.Profile
				p.CAFile = ""
				ij.Profile = &p
			}
		}
		if ij.Profile != nil {
			b, err := json.Marshal(ij.Profile)
			if err != nil {
				return nil, err
			}
			ij.ProfileJSON = string(b)
			out = append(out, ij)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// maxInstitutionName bounds a bank's display name.
const maxInstitutionName = 200

// apiRenameInstitution sets the name a bank is shown by: {"name": "..."}.
func (s *Server) apiRenameInstitution(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var req struct {
		Name string `json:"name"`
	}
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	name := strings.TrimSpace(req.Name)
	switch {
	case name == "":
		return bankfeed.Errorf(bankfeed.EInvalid, "name: empty")
	case len(name) > maxInstitutionName:
		return bankfeed.Errorf(bankfeed.EInvalid, "name: %d bytes; at most %d", len(name), maxInstitutionName)
	}
	ctx := r.Context()
	insts, err := s.institutionNames(ctx)
	if err != nil {
		return err
	}
	old, ok := insts[bankfeed.InstitutionID(id)]
	if !ok {
		return bankfeed.Errorf(bankfeed.ENotFound, "no institution %d", id)
	}
	detail, _ := json.Marshal(map[string]string{"from": old, "to": name})
	err = s.db.Update(ctx, func(tx *store.Tx) error {
		if err := tx.RenameInstitution(ctx, bankfeed.InstitutionID(id), name); err != nil {
			return err
		}
		return tx.Audit(ctx, actor(r), "institution.rename", "institution "+strconv.FormatInt(id, 10), string(detail))
	})
	if err != nil {
		return err
	}
	list, err := s.institutions(ctx)
	if err != nil {
		return err
	}
	for _, in := range list {
		if in.ID == bankfeed.InstitutionID(id) {
			return writeJSON(w, http.StatusOK, in)
		}
	}
	return bankfeed.Errorf(bankfeed.ENotFound, "no institution %d", id)
}

func (s *Server) apiInstitutions(w http.ResponseWriter, r *http.Request) error {
	list, err := s.institutions(r.Context())
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"institutions": list})
}

func (s *Server) connectionNewPage(w http.ResponseWriter, r *http.Request) error {
	list, err := s.institutions(r.Context())
	if err != nil {
		return err
	}
	accts, err := s.db.Accounts(r.Context(), bankfeed.AccountFilter{})
	if err != nil {
		return err
	}
	return s.page(w, r, "connection_new", pageData{Title: "New connection", Nav: "connections",
		Data: map[string]any{"Institutions": list, "Accounts": accts, "KeySet": s.opts.Key != nil}})
}

// connectRequest is the body of POST /api/v1/connections.
type connectRequest struct {
	Name     string           `json:"name"`
	Profile  bankfeed.Profile `json:"profile"`
	UserID   string           `json:"user_id"`
	Password string           `json:"password"`
	// InstitutionName names the bank; empty: the name its profile gives.
	InstitutionName string `json:"institution_name,omitempty"`
	// Links sends a bank account (by its number) to an existing feed
	// account, whose history then continues.
	Links map[string]bankfeed.AccountID `json:"links,omitempty"`
}

// connectAnswer says what setting up a connection did.
type connectAnswer struct {
	ID            bankfeed.ConnectionID    `json:"id,omitempty"`
	Name          string                   `json:"name"`
	Institution   string                   `json:"institution"`
	UserID        string                   `json:"user_id"`
	Saved         bool                     `json:"saved"`
	State         bankfeed.ConnectionState `json:"state,omitempty"`
	Reason        string                   `json:"reason,omitempty"`
	NextAttemptAt time.Time                `json:"next_attempt_at,omitzero"`
	Accounts      []connectAccount         `json:"accounts"`
	FailureClass  bankfeed.FailureClass    `json:"failure_class,omitempty"`
	What          string                   `json:"what,omitempty"`
	BankSaid      string                   `json:"bank_said,omitempty"`
	Error         string                   `json:"error,omitempty"`
	WhatToDo      string                   `json:"what_to_do,omitempty"`
}

// connectAccount is an account the bank listed, and the feed it goes to.
type connectAccount struct {
	Number    string               `json:"number"`
	Kind      bankfeed.AccountKind `json:"kind"`
	Type      string               `json:"type,omitempty"`
	Desc      string               `json:"desc,omitempty"`
	AccountID bankfeed.AccountID   `json:"account_id"`
	// Existing says the feed account held lines before: its history
	// continues. Linked says the request's links sent it there.
	Existing bool  `json:"existing"`
	Linked   bool  `json:"linked"`
	Lines    int64 `json:"lines"`
	Enabled  bool  `json:"enabled"`
}

// check returns every problem of a request, naming its field.
func (req *connectRequest) check() error {
	var problems []string
	if strings.TrimSpace(req.Name) == "" {
		problems = append(problems, "name: empty")
	}
	if u := req.Profile.URL; u == "" {
		problems = append(problems, "profile.url: empty")
	} else if !strings.HasPrefix(u, "https://") {
		problems = append(problems, "profile.url: want an https:// URL")
	}
	if req.Profile.Org == "" && req.Profile.FID == "" {
		problems = append(problems, "profile.org, profile.fid: give one or both, as the bank lists them")
	}
	if strings.TrimSpace(req.UserID) == "" {
		problems = append(problems, "user_id: empty")
	}
	if req.Password == "" {
		problems = append(problems, "password: empty")
	}
	if n := len(req.InstitutionName); n > maxInstitutionName {
		problems = append(problems, fmt.Sprintf("institution_name: %d bytes; at most %d", n, maxInstitutionName))
	}
	for n, id := range req.Links {
		if strings.TrimSpace(n) == "" || id <= 0 {
			problems = append(problems, fmt.Sprintf("links: %q: %d: want a bank account number and a feed account id", n, id))
		}
	}
	if len(problems) > 0 {
		sort.Strings(problems)
		return bankfeed.Errorf(bankfeed.EInvalid, "connect: %s", strings.Join(problems, "; "))
	}
	return nil
}

func (s *Server) apiConnect(w http.ResponseWriter, r *http.Request) error {
	var req connectRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	if err := req.check(); err != nil {
		return err
	}
	if s.opts.Key == nil {
		return bankfeed.Errorf(bankfeed.EConflict, "connect: this server has no key to seal passwords with; "+
			"start it with BANKFEED_KEY or BANKFEED_KEY_FILE set (bankfeed key shows the key) to set up connections")
	}
	sy, err := s.feedSyncer()
	if err != nil {
		return err
	}
	ctx := r.Context()
	req.Name = strings.TrimSpace(req.Name)
	if cs, err := s.db.Connections(ctx, store.ConnectionFilter{Name: req.Name}); err != nil {
		return err
	} else if len(cs) > 0 {
		return bankfeed.Errorf(bankfeed.EConflict, "name: a connection named %q exists already", req.Name)
	}
	for n, id := range req.Links {
		if _, err := s.db.Account(ctx, id); err != nil {
			if bankfeed.ErrorCodeOf(err) == bankfeed.ENotFound {
				return bankfeed.Errorf(bankfeed.EInvalid, "links: %s: no feed account %d", n, id)
			}
			return err
		}
	}
	before, err := s.db.Accounts(ctx, bankfeed.AccountFilter{})
	if err != nil {
		return err
	}
	lines := make(map[bankfeed.AccountID]int64, len(before))
	for _, a := range before {
		lines[a.ID] = a.Lines
	}
	res, err := sy.Connect(ctx, syncer.ConnectRequest{Name: req.Name, Profile: req.Profile, UserID: req.UserID,
		Password: secret.String(req.Password), Links: req.Links, InstitutionName: req.InstitutionName})
	req.Password = ""
	if err != nil {
		return err
	}
	c := res.Connection
	out := connectAnswer{ID: c.ID, Name: c.Name, Institution: profileLabel(c.Profile), UserID: c.UserID, Saved: c.ID != 0,
		Accounts: []connectAccount{}}
	if out.Saved {
		insts, err := s.institutionNames(ctx)
		if err != nil {
			return err
		}
		if n := insts[c.InstitutionID]; n != "" {
			out.Institution = n
		}
	}
	if out.Saved {
		out.State, out.Reason, out.NextAttemptAt = c.State, c.Reason, c.NextAttemptAt
	}
	for _, a := range c.Accounts {
		n, existing := lines[a.AccountID]
		_, linked := req.Links[a.Number]
		out.Accounts = append(out.Accounts, connectAccount{Number: a.Number, Kind: a.Kind, Type: a.Type, Desc: a.Desc,
			AccountID: a.AccountID, Existing: existing && n > 0, Linked: linked, Lines: n, Enabled: a.Enabled})
	}
	if res.Err != nil {
		adv := advice.For(res.Class)
		out.FailureClass, out.What, out.Error = res.Class, adv.What, res.Err.Error()
		var fe *ofxdirect.FetchError
		if errors.As(res.Err, &fe) {
			out.BankSaid = fe.Message
		}
		out.WhatToDo = adv.Todo(advice.Web, c.Name, c.Profile.PortalURL)
		if !out.Saved {
			out.WhatToDo = "nothing was saved: check the user ID and password at the bank's web site, then set the connection up again; " +
				"bankfeed never retries a rejected password by itself, as banks lock a login after a few"
			if res.Class != bankfeed.FailInvalidCredentials {
				out.WhatToDo = "nothing was saved: check the bank's settings (URL, ORG, FID, OFX version) against what the bank publishes, then try again"
			}
		}
	}
	if out.Saved {
		detail := fmt.Sprintf("%s, user %s, %d accounts", out.Institution, c.UserID, len(c.Accounts))
		if res.Err != nil {
			detail += "; accounts not listed yet: " + string(res.Class)
		}
		if err := s.auditConnection(r, "connection.create", c, detail); err != nil {
			return err
		}
		return writeJSON(w, http.StatusCreated, out)
	}
	return writeJSON(w, http.StatusOK, out)
}

// profileLabel names the bank a profile reaches: its ORG, or its FID.
func profileLabel(p bankfeed.Profile) string {
	if p.Org != "" {
		return p.Org
	}
	return "FID " + p.FID
}

// syncAnswer says a sync was queued.
type syncAnswer struct {
	ConnectionID bankfeed.ConnectionID `json:"connection_id"`
	Connection   string                `json:"connection"`
	Queued       bool                  `json:"queued"`
	// Warning is what the user should know before the sync signs on.
	Warning string `json:"warning,omitempty"`
}

// queueSync queues a sync of a connection that a person asked for.
func (s *Server) queueSync(ctx context.Context, c *bankfeed.Connection) error {
	if s.opts.SyncNow != nil {
		return s.opts.SyncNow(ctx, c.ID)
	}
	sy, err := s.feedSyncer()
	if err != nil {
		return err
	}
	bg := context.WithoutCancel(ctx)
	s.bg.Add(1)
	go func() {
		defer s.bg.Done()
		if _, err := sy.Sync(bg, c.ID, true); err != nil {
			s.log.Error("sync now", "connection_id", int64(c.ID), "err", err)
		}
	}()
	return nil
}

func (s *Server) apiSyncNow(w http.ResponseWriter, r *http.Request) error {
	c, err := s.connectionOf(r)
	if err != nil {
		return err
	}
	if c.Disabled {
		return bankfeed.Errorf(bankfeed.EConflict, "connection %s is disabled: enable it first", c.Name)
	}
	ans := syncAnswer{ConnectionID: c.ID, Connection: c.Name, Queued: true}
	if s.opts.Syncer != nil {
		if ans.Warning, err = s.opts.Syncer.ManualWarning(r.Context(), c.ID); err != nil {
			return err
		}
	}
	if err := s.queueSync(r.Context(), c); err != nil {
		return err
	}
	if err := s.auditConnection(r, "connection.sync", c, "sync now"); err != nil {
		return err
	}
	return writeJSON(w, http.StatusAccepted, ans)
}

func (s *Server) apiResume(w http.ResponseWriter, r *http.Request) error {
	c, err := s.connectionOf(r)
	if err != nil {
		return err
	}
	if c.Disabled {
		return bankfeed.Errorf(bankfeed.EConflict, "connection %s is disabled: enable it first", c.Name)
	}
	sy, err := s.feedSyncer()
	if err != nil {
		return err
	}
	if err := sy.Resume(r.Context(), c.ID); err != nil {
		return err
	}
	detail := "the user did what the bank asked"
	if c.State != bankfeed.ConnNeedsAction {
		detail += " (it was " + feedStateLabel(c.State) + ", not waiting for the user)"
	}
	if err := s.auditConnection(r, "connection.resume", c, detail); err != nil {
		return err
	}
	if err := s.queueSync(r.Context(), c); err != nil {
		return err
	}
	return writeJSON(w, http.StatusAccepted, syncAnswer{ConnectionID: c.ID, Connection: c.Name, Queued: true})
}

// bankPasswordRequest is the body of PUT /api/v1/connections/{id}/password and,
// optionally, of POST /api/v1/connections/{id}/reset.
type bankPasswordRequest struct {
	Password string `json:"password"`
}

func (s *Server) apiSetPassword(w http.ResponseWriter, r *http.Request) error {
	c, err := s.connectionOf(r)
	if err != nil {
		return err
	}
	var req bankPasswordRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	if req.Password == "" {
		return bankfeed.Errorf(bankfeed.EInvalid, "password: empty")
	}
	if s.opts.Key == nil {
		return bankfeed.Errorf(bankfeed.EConflict, "password: this server has no key to seal passwords with; start it with BANKFEED_KEY or BANKFEED_KEY_FILE set")
	}
	sy, err := s.feedSyncer()
	if err != nil {
		return err
	}
	if err := sy.SetPassword(r.Context(), c.ID, secret.String(req.Password)); err != nil {
		return err
	}
	if err := s.auditConnection(r, "connection.password", c, "new password saved (sealed)"); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"connection_id": c.ID, "connection": c.Name, "password_set": true})
}

func (s *Server) apiReset(w http.ResponseWriter, r *http.Request) error {
	c, err := s.connectionOf(r)
	if err != nil {
		return err
	}
	var req bankPasswordRequest
	if err := decodeOptional(r, &req); err != nil {
		return err
	}
	if req.Password != "" && s.opts.Key == nil {
		return bankfeed.Errorf(bankfeed.EConflict, "password: this server has no key to seal passwords with; reset without one, or start it with BANKFEED_KEY set")
	}
	sy, err := s.feedSyncer()
	if err != nil {
		return err
	}
	if err := sy.Reset(r.Context(), c.ID, secret.String(req.Password)); err != nil {
		return err
	}
	detail := "the next sync lists the accounts again"
	if req.Password != "" {
		detail += "; new password saved (sealed)"
	}
	if err := s.auditConnection(r, "connection.reset", c, detail); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"connection_id": c.ID, "connection": c.Name, "reset": true,
		"feeds": len(c.Accounts)})
}

func (s *Server) apiToggle(disable bool) HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		c, sy, err := s.connectionSyncer(r)
		if err != nil {
			return err
		}
		if err := sy.SetDisabled(r.Context(), c.ID, disable); err != nil {
			return err
		}
		action := "connection.enable"
		if disable {
			action = "connection.disable"
		}
		if err := s.auditConnection(r, action, c, ""); err != nil {
			return err
		}
		return writeJSON(w, http.StatusOK, map[string]any{"connection_id": c.ID, "connection": c.Name, "disabled": disable})
	}
}

func (s *Server) apiRemoveConnection(w http.ResponseWriter, r *http.Request) error {
	c, sy, err := s.connectionSyncer(r)
	if err != nil {
		return err
	}
	if err := sy.Remove(r.Context(), c.ID); err != nil {
		return err
	}
	if err := s.auditConnection(r, "connection.remove", c, fmt.Sprintf("%d feed accounts and their lines kept", len(c.Accounts))); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"connection_id": c.ID, "connection": c.Name, "removed": true,
		"feeds_kept": len(c.Accounts)})
}

func (s *Server) apiDiagnosis(w http.ResponseWriter, r *http.Request) error {
	c, err := s.connectionOf(r)
	if err != nil {
		return err
	}
	v, err := s.latestVerdict(r.Context(), c.ID)
	if err != nil {
		return err
	}
	if v == nil {
		return bankfeed.Errorf(bankfeed.ENotFound, "connection %s has no diagnosis yet: POST /api/v1/connections/%d/diagnose runs one", c.Name, c.ID)
	}
	return writeJSON(w, http.StatusOK, v)
}

func (s *Server) apiDiagnose(w http.ResponseWriter, r *http.Request) error {
	c, sy, err := s.connectionSyncer(r)
	if err != nil {
		return err
	}
	v, err := diagnose.New(s.db, sy, diagnose.Options{}).Diagnose(r.Context(), c.ID)
	if err != nil {
		return err
	}
	if err := s.auditConnection(r, "connection.diagnose", c, v.Class+": "+v.Title); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, v)
}
