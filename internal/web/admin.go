package web

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/bankfeed/bankfeed"
	"github.com/bankfeed/bankfeed/internal/auth"
	"github.com/bankfeed/bankfeed/internal/store"
)

func init() { routeSets = append(routeSets, (*Server).adminRoutes) }

// SettingWebhookURL is the setting that names the webhook told of each
// change of a feed's trouble (BANKFEED_WEBHOOK_URL wins over it).
const SettingWebhookURL = "webhook_url"

// SettingTimeZone is the setting that names the time zone (IANA, as
// "Europe/Berlin") pages show times in; unset, the server's local zone.
const SettingTimeZone = "time_zone"

func (s *Server) adminRoutes() {
	s.handle("GET /settings", Viewer, s.settingsPage)
	s.handle("GET /audit", Admin, s.auditPage)

	s.handle("GET /api/v1/users", Admin, s.apiUsers)
	s.handle("POST /api/v1/users", Admin, s.apiAddUser)
	s.handle("PATCH /api/v1/users/{id}", Admin, s.apiUpdateUser)
	s.handle("DELETE /api/v1/users/{id}", Admin, s.apiRemoveUser)
	s.handle("PUT /api/v1/me/password", Viewer, s.apiMyPassword)

	s.handle("GET /api/v1/tokens", Viewer, s.apiTokens)
	s.handle("POST /api/v1/tokens", Viewer, s.apiAddToken)
	s.handle("DELETE /api/v1/tokens/{id}", Viewer, s.apiRemoveToken)

	s.handle("GET /api/v1/settings", Viewer, s.apiSettings)
	s.handle("PUT /api/v1/settings", Admin, s.apiPutSettings)
	s.handle("GET /api/v1/deadlines", Viewer, s.apiDeadlines)
	s.handle("POST /api/v1/deadlines", Admin, s.apiAddDeadline)
	s.handle("DELETE /api/v1/deadlines/{name}", Admin, s.apiRemoveDeadline)

	s.handle("GET /api/v1/audit", Admin, s.apiAudit)
}

// audit records a change by the signed-in user in its own transaction.
func (s *Server) audit(ctx context.Context, r *http.Request, action, subject string, detail any) error {
	b, _ := json.Marshal(detail)
	return s.db.Update(ctx, func(tx *store.Tx) error { return tx.Audit(ctx, actor(r), action, subject, string(b)) })
}

// userRequest is the body of POST /api/v1/users and PATCH
// /api/v1/users/{id}.
type userRequest struct {
	Name     string        `json:"name"`
	Role     bankfeed.Role `json:"role"`
	Password string        `json:"password,omitempty"`
	Disabled *bool         `json:"disabled,omitempty"`
}

func (s *Server) apiUsers(w http.ResponseWriter, r *http.Request) error {
	us, err := s.db.Users(r.Context())
	if err != nil {
		return err
	}
	if us == nil {
		us = []*bankfeed.User{}
	}
	return writeJSON(w, http.StatusOK, us)
}

func (s *Server) apiAddUser(w http.ResponseWriter, r *http.Request) error {
	var req userRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	if err := auth.CheckNewPassword(req.Password); err != nil {
		return err
	}
	u := &bankfeed.User{Name: req.Name, Role: req.Role}
	if req.Disabled != nil {
		u.Disabled = *req.Disabled
	}
	hash, err := auth.HashPassword(req.Password)
	if err != nil {
		return err
	}
	err = s.db.Update(r.Context(), func(tx *store.Tx) error {
		if err := tx.AddUser(r.Context(), u, hash); err != nil {
			return err
		}
		return tx.Audit(r.Context(), actor(r), "user.add", "user "+u.Name, `{"role":"`+string(u.Role)+`"}`)
	})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, u)
}

func (s *Server) apiUpdateUser(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var req userRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	u, err := s.db.UserByID(r.Context(), bankfeed.UserID(id))
	if err != nil {
		return err
	}
	me := userOf(r.Context())
	if req.Name != "" && req.Name != u.Name {
		return bankfeed.Errorf(bankfeed.EInvalid, "name: a user cannot be renamed; add a new user instead")
	}
	if req.Role != "" {
		u.Role = req.Role
	}
	if req.Disabled != nil {
		u.Disabled = *req.Disabled
	}
	if u.ID == me.ID && (u.Role != bankfeed.RoleAdmin || u.Disabled) {
		return bankfeed.Errorf(bankfeed.EConflict, "you cannot take the admin role from yourself or disable yourself; another admin can")
	}
	var hash string
	if req.Password != "" {
		if err := auth.CheckNewPassword(req.Password); err != nil {
			return err
		}
		if hash, err = auth.HashPassword(req.Password); err != nil {
			return err
		}
	}
	err = s.db.Update(r.Context(), func(tx *store.Tx) error {
		if err := tx.UpdateUser(r.Context(), u); err != nil {
			return err
		}
		if hash != "" {
			if err := tx.SetUserPassword(r.Context(), u.ID, hash); err != nil {
				return err
			}
		}
		d, _ := json.Marshal(map[string]any{"role": u.Role, "disabled": u.Disabled, "password_changed": hash != ""})
		return tx.Audit(r.Context(), actor(r), "user.update", "user "+u.Name, string(d))
	})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, u)
}

func (s *Server) apiRemoveUser(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	u, err := s.db.UserByID(r.Context(), bankfeed.UserID(id))
	if err != nil {
		return err
	}
	if u.ID == userOf(r.Context()).ID {
		return bankfeed.Errorf(bankfeed.EConflict, "you cannot remove yourself; another admin can")
	}
	err = s.db.Update(r.Context(), func(tx *store.Tx) error {
		if err := tx.RemoveUser(r.Context(), u.ID); err != nil {
			return err
		}
		return tx.Audit(r.Context(), actor(r), "user.remove", "user "+u.Name, "")
	})
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// passwordRequest is the body of PUT /api/v1/me/password.
type passwordRequest struct {
	Current string `json:"current"`
	New     string `json:"new"`
}

func (s *Server) apiMyPassword(w http.ResponseWriter, r *http.Request) error {
	var req passwordRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	me := userOf(r.Context())
	if _, err := s.SignIn(r.Context(), clientAddr(r), me.Name, req.Current); err != nil {
		if bankfeed.ErrorCodeOf(err) == bankfeed.EUnauthorized {
			return bankfeed.Errorf(bankfeed.EInvalid, "current: not your current password")
		}
		return err
	}
	if err := auth.CheckNewPassword(req.New); err != nil {
		return err
	}
	hash, err := auth.HashPassword(req.New)
	if err != nil {
		return err
	}
	err = s.db.Update(r.Context(), func(tx *store.Tx) error {
		if err := tx.SetUserPassword(r.Context(), me.ID, hash); err != nil {
			return err
		}
		return tx.Audit(r.Context(), me.Name, "user.password", "user "+me.Name, "")
	})
	if err != nil {
		return err
	}
	// Changing the password ended every session, this one too: start a new
	// one so the person stays signed in here.
	if _, err := r.Cookie(sessionCookie); err == nil {
		if err := s.startSession(w, r, me); err != nil {
			return err
		}
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// tokenRequest is the body of POST /api/v1/tokens.
type tokenRequest struct {
	Name string `json:"name"`
}

// newToken is the answer to POST /api/v1/tokens: the only time the token
// itself is shown.
type newToken struct {
	*bankfeed.APIToken
	Token string `json:"token"`
}

func (s *Server) apiTokens(w http.ResponseWriter, r *http.Request) error {
	ts, err := s.db.Tokens(r.Context(), userOf(r.Context()).ID)
	if err != nil {
		return err
	}
	if ts == nil {
		ts = []*bankfeed.APIToken{}
	}
	return writeJSON(w, http.StatusOK, ts)
}

func (s *Server) apiAddToken(w http.ResponseWriter, r *http.Request) error {
	var req tokenRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	t, secret, err := AddToken(r.Context(), s.db, userOf(r.Context()), req.Name, actor(r))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, newToken{APIToken: t, Token: secret})
}

// AddToken makes an API token for u and returns it with its secret, which
// is shown once and kept only as a hash.
func AddToken(ctx context.Context, db *store.DB, u *bankfeed.User, name, by string) (*bankfeed.APIToken, string, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return nil, "", bankfeed.Errorf(bankfeed.EInvalid, "name: empty; say what the token is for")
	}
	secret, err := auth.NewSecret(auth.TokenPrefix)
	if err != nil {
		return nil, "", err
	}
	t := &bankfeed.APIToken{UserID: u.ID, Name: name}
	err = db.Update(ctx, func(tx *store.Tx) error {
		if err := tx.AddToken(ctx, t, auth.Hash(secret)); err != nil {
			return err
		}
		return tx.Audit(ctx, by, "token.add", "user "+u.Name, strconv.Quote(name))
	})
	if err != nil {
		return nil, "", err
	}
	return t, secret, nil
}

func (s *Server) apiRemoveToken(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	me := userOf(r.Context())
	err = s.db.Update(r.Context(), func(tx *store.Tx) error {
		if err := tx.RemoveToken(r.Context(), me.ID, id); err != nil {
			return err
		}
		return tx.Audit(r.Context(), me.Name, "token.remove", "user "+me.Name, strconv.FormatInt(id, 10))
	})
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// Settings are what an admin changes from the settings page.
type Settings struct {
	// WebhookURL is told of each change of a feed's trouble; "" for none.
	WebhookURL string `json:"webhook_url"`
	// TimeZone is the IANA time zone pages show times in; "" for the
	// server's local zone.
	TimeZone string `json:"time_zone"`
}

// zoneNames are the time zones the settings page suggests; any IANA name
// will do.
var zoneNames = []string{"UTC", "America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles",
	"America/Toronto", "America/Mexico_City", "America/Sao_Paulo", "Europe/London", "Europe/Dublin", "Europe/Paris",
	"Europe/Berlin", "Europe/Madrid", "Europe/Warsaw", "Africa/Johannesburg", "Asia/Dubai", "Asia/Kolkata",
	"Asia/Singapore", "Asia/Tokyo", "Australia/Sydney", "Pacific/Auckland"}

// settingsChange is the body of PUT /api/v1/settings: a setting left out
// keeps its value.
type settingsChange struct {
	WebhookURL *string `json:"webhook_url,omitempty"`
	TimeZone   *string `json:"time_zone,omitempty"`
}

func (s *Server) settings(ctx context.Context) (Settings, error) {
	m, err := s.db.Settings(ctx)
	if err != nil {
		return Settings{}, err
	}
	return Settings{WebhookURL: m[SettingWebhookURL], TimeZone: m[SettingTimeZone]}, nil
}

func (s *Server) apiSettings(w http.ResponseWriter, r *http.Request) error {
	st, err := s.settings(r.Context())
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, st)
}

// check trims the change and gathers what is wrong with it.
func (c *settingsChange) check() error {
	var problems []string
	if c.WebhookURL != nil {
		v := strings.TrimSpace(*c.WebhookURL)
		c.WebhookURL = &v
		if v != "" {
			u, err := url.Parse(v)
			if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
				problems = append(problems, fmt.Sprintf("webhook_url: %q is not an http or https URL", v))
			} else if u.User != nil {
				problems = append(problems, "webhook_url: no user or password in the URL; use a signing secret (BANKFEED_WEBHOOK_SECRET)")
			}
		}
	}
	if c.TimeZone != nil {
		v := strings.TrimSpace(*c.TimeZone)
		c.TimeZone = &v
		if v == "Local" {
			problems = append(problems, `time_zone: "Local" is no zone's name; leave it empty for the server's local zone`)
		} else if _, err := zoneNamed(v); err != nil {
			problems = append(problems, fmt.Sprintf("time_zone: %q is not a time zone this server knows; give an IANA name, as Europe/Berlin or America/New_York", v))
		}
	}
	if len(problems) > 0 {
		return bankfeed.Errorf(bankfeed.EInvalid, "%s", strings.Join(problems, "; "))
	}
	return nil
}

func (s *Server) apiPutSettings(w http.ResponseWriter, r *http.Request) error {
	var c settingsChange
	if err := decodeJSON(r, &c); err != nil {
		return err
	}
	if err := c.check(); err != nil {
		return err
	}
	ctx := r.Context()
	err := s.db.Update(ctx, func(tx *store.Tx) error {
		if c.WebhookURL != nil {
			if err := tx.SetSetting(ctx, SettingWebhookURL, *c.WebhookURL); err != nil {
				return err
			}
		}
		if c.TimeZone != nil {
			if err := tx.SetSetting(ctx, SettingTimeZone, *c.TimeZone); err != nil {
				return err
			}
		}
		b, _ := json.Marshal(c)
		return tx.Audit(ctx, actor(r), "settings.update", "settings", string(b))
	})
	if err != nil {
		return err
	}
	st, err := s.settings(ctx)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, st)
}

// deadlineJSON is a deadline as the API shows it.
type deadlineJSON struct {
	ID    int64  `json:"id,omitempty"`
	Name  string `json:"name"`
	DueOn string `json:"due_on"`
	Every string `json:"every,omitempty"`
	Next  string `json:"next,omitempty"` // the next due date
}

func (s *Server) deadlines(ctx context.Context) ([]deadlineJSON, error) {
	ds, err := s.db.Deadlines(ctx)
	if err != nil {
		return nil, err
	}
	zone, err := s.location(ctx)
	if err != nil {
		return nil, err
	}
	out := []deadlineJSON{}
	for _, d := range ds {
		j := deadlineJSON{ID: d.ID, Name: d.Name, DueOn: d.DueOn, Every: d.Every}
		if next, ok := d.Next(s.db.Now().In(zone)); ok {
			j.Next = next.Format(store.DateLayout)
		}
		out = append(out, j)
	}
	return out, nil
}

func (s *Server) apiDeadlines(w http.ResponseWriter, r *http.Request) error {
	ds, err := s.deadlines(r.Context())
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, ds)
}

func (s *Server) apiAddDeadline(w http.ResponseWriter, r *http.Request) error {
	var req deadlineJSON
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	d := &store.Deadline{Name: strings.TrimSpace(req.Name), DueOn: req.DueOn, Every: req.Every}
	if err := s.db.AddDeadline(r.Context(), d); err != nil {
		return err
	}
	if err := s.audit(r.Context(), r, "deadline.add", "deadline "+d.Name, req); err != nil {
		return err
	}
	req.ID = d.ID
	return writeJSON(w, http.StatusCreated, req)
}

func (s *Server) apiRemoveDeadline(w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("name")
	if err := s.db.RemoveDeadline(r.Context(), name); err != nil {
		return err
	}
	if err := s.audit(r.Context(), r, "deadline.remove", "deadline "+name, nil); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) apiAudit(w http.ResponseWriter, r *http.Request) error {
	f, err := auditFilter(r)
	if err != nil {
		return err
	}
	es, err := s.db.AuditLog(r.Context(), f)
	if err != nil {
		return err
	}
	if es == nil {
		es = []*bankfeed.AuditEntry{}
	}
	return writeJSON(w, http.StatusOK, es)
}

// auditFilter reads ?action=&subject=&limit= (newest first, 200 by
// default, 5000 at most).
func auditFilter(r *http.Request) (store.AuditFilter, error) {
	q := r.URL.Query()
	f := store.AuditFilter{Action: q.Get("action"), Subject: q.Get("subject"), Limit: 200}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 || n > 5000 {
			return f, bankfeed.Errorf(bankfeed.EInvalid, "limit %q: a number from 1 to 5000", v)
		}
		f.Limit = n
	}
	return f, nil
}

func (s *Server) settingsPage(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	me := userOf(ctx)
	data := map[string]any{}
	st, err := s.settings(ctx)
	if err != nil {
		return err
	}
	data["Settings"] = st
	now := s.db.Now()
	data["ServerZone"] = now.In(time.Local).Format("MST, UTC-07:00")
	zone, err := s.location(ctx)
	if err != nil {
		return err
	}
	data["ZoneNow"] = now.In(zone).Format("15:04 MST (UTC-07:00)")
	data["ZoneNames"] = zoneNames
	if data["Deadlines"], err = s.deadlines(ctx); err != nil {
		return err
	}
	if data["Tokens"], err = s.db.Tokens(ctx, me.ID); err != nil {
		return err
	}
	if me.Role.Allows(bankfeed.RoleAdmin) {
		if data["Users"], err = s.db.Users(ctx); err != nil {
			return err
		}
	}
	data["Roles"] = bankfeed.Roles
	return s.page(w, r, "settings", pageData{Title: "Settings", Data: data})
}

func (s *Server) auditPage(w http.ResponseWriter, r *http.Request) error {
	f, err := auditFilter(r)
	if err != nil {
		return err
	}
	es, err := s.db.AuditLog(r.Context(), f)
	if err != nil {
		return err
	}
	return s.page(w, r, "audit", pageData{Title: "Audit log", Nav: "settings", Data: map[string]any{"Entries": es, "Filter": f}})
}
