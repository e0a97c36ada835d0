package fakebank

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"

	"github.com/bankfeed/bankfeed"
)

// InstitutionInfo is what the admin API says of an institution: where to
// reach it and whom it serves. Passwords are left out.
type InstitutionInfo struct {
	ID                string     `json:"id"`
	Name              string     `json:"name"`
	Org               string     `json:"org"`
	FID               string     `json:"fid"`
	BankID            string     `json:"bank_id,omitempty"`
	Version           string     `json:"version"`
	AppIDs            []string   `json:"app_ids,omitempty"`
	AppVersions       []string   `json:"app_versions,omitempty"`
	ClientUIDRequired bool       `json:"clientuid_required"`
	OFXURL            string     `json:"ofx_url"`
	HTTPOFXURL        string     `json:"http_ofx_url"`
	PortalURL         string     `json:"portal_url"`
	Users             []UserInfo `json:"users"`
}

// UserInfo names a user and the user's accounts.
type UserInfo struct {
	ID       string        `json:"id"`
	Name     string        `json:"name,omitempty"`
	Accounts []AccountInfo `json:"accounts"`
}

// AccountInfo names an account.
type AccountInfo struct {
	ID       string `json:"id"`
	Type     string `json:"type"`
	Desc     string `json:"desc,omitempty"`
	Currency string `json:"currency"`
}

// Institutions describes every institution served, in scenario order.
func (s *Server) Institutions() []InstitutionInfo {
	var out []InstitutionInfo
	for _, in := range s.sc.Institutions {
		info := InstitutionInfo{
			ID: in.ID, Name: in.Name, Org: in.Org, FID: in.FID, BankID: in.BankID, Version: in.Version,
			AppIDs: in.AppIDs, AppVersions: in.AppVersions, ClientUIDRequired: in.ClientUIDRequired,
			OFXURL: s.OFXURL(in.ID), HTTPOFXURL: "http://" + s.Addr(in.ID) + "/ofx", PortalURL: s.PortalURL(in.ID),
		}
		for _, u := range in.Users {
			ui := UserInfo{ID: u.ID, Name: u.Name, Accounts: []AccountInfo{}}
			for _, a := range u.Accounts {
				ui.Accounts = append(ui.Accounts, AccountInfo{ID: a.ID, Type: a.Type, Desc: a.Desc, Currency: a.Currency})
			}
			info.Users = append(info.Users, ui)
		}
		out = append(out, info)
	}
	return out
}

// adminHandler serves the admin API under /admin/.
func (s *Server) adminHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /admin/institutions", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, s.Institutions())
	})
	mux.HandleFunc("GET /admin/ca.pem", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/x-pem-file")
		_, _ = w.Write(s.CACertPEM())
	})
	mux.HandleFunc("GET /admin/fault-kinds", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, Kinds)
	})
	mux.HandleFunc("GET /admin/faults", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, s.Faults())
	})
	mux.HandleFunc("POST /admin/faults", func(w http.ResponseWriter, r *http.Request) {
		var spec FaultSpec
		dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&spec); err != nil {
			writeError(w, bankfeed.Errorf(bankfeed.EInvalid, "fault: %v", err))
			return
		}
		spec.ID = ""
		added, err := s.AddFault(spec)
		if err != nil {
			writeError(w, err)
			return
		}
		writeJSON(w, http.StatusCreated, added)
	})
	mux.HandleFunc("DELETE /admin/faults", func(w http.ResponseWriter, r *http.Request) {
		s.ClearFaults()
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("DELETE /admin/faults/{id}", func(w http.ResponseWriter, r *http.Request) {
		if err := s.RemoveFault(r.PathValue("id")); err != nil {
			writeError(w, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("GET /admin/requests", func(w http.ResponseWriter, r *http.Request) {
		f, err := filterOf(r)
		if err != nil {
			writeError(w, err)
			return
		}
		writeJSON(w, http.StatusOK, s.Requests(f))
	})
	mux.HandleFunc("GET /admin/requests/count", func(w http.ResponseWriter, r *http.Request) {
		f, err := filterOf(r)
		if err != nil {
			writeError(w, err)
			return
		}
		writeJSON(w, http.StatusOK, map[string]int{"count": s.Count(f)})
	})
	mux.HandleFunc("DELETE /admin/requests", func(w http.ResponseWriter, r *http.Request) {
		s.ClearRequests()
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("POST /admin/institutions/{inst}/users/{user}/unlock", func(w http.ResponseWriter, r *http.Request) {
		if err := s.Unlock(r.PathValue("inst"), r.PathValue("user")); err != nil {
			writeError(w, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	return mux
}

// filterOf reads a Filter from query parameters: institution, user,
// channel, fault, signon (true/false) and since.
func filterOf(r *http.Request) (Filter, error) {
	q := r.URL.Query()
	f := Filter{Institution: q.Get("institution"), User: q.Get("user"), Channel: q.Get("channel"), Fault: q.Get("fault")}
	if v := q.Get("signon"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return f, bankfeed.Errorf(bankfeed.EInvalid, "signon %q: want true or false", v)
		}
		f.Signon = &b
	}
	if v := q.Get("since"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return f, bankfeed.Errorf(bankfeed.EInvalid, "since %q: want a sequence number", v)
		}
		f.Since = n
	}
	return f, nil
}

// Query returns the filter as admin API query parameters.
func (f Filter) Query() string {
	q := url.Values{}
	set := func(k, v string) {
		if v != "" {
			q.Set(k, v)
		}
	}
	set("institution", f.Institution)
	set("user", f.User)
	set("channel", f.Channel)
	set("fault", f.Fault)
	if f.Signon != nil {
		set("signon", strconv.FormatBool(*f.Signon))
	}
	if f.Since > 0 {
		set("since", strconv.FormatInt(f.Since, 10))
	}
	return q.Encode()
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

// errorStatus maps error codes to HTTP statuses.
var errorStatus = map[bankfeed.ErrorCode]int{
	bankfeed.EInvalid:  http.StatusBadRequest,
	bankfeed.ENotFound: http.StatusNotFound,
	bankfeed.EConflict: http.StatusConflict,
}

func writeError(w http.ResponseWriter, err error) {
	status, ok := errorStatus[bankfeed.ErrorCodeOf(err)]
	if !ok {
		status = http.StatusInternalServerError
	}
	writeJSON(w, status, map[string]string{"error": err.Error()})
}
