package fakebank

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/bankfeed/bankfeed"
	"github.com/bankfeed/bankfeed/internal/ofx"
)

// maxRequestBytes bounds an OFX request body.
const maxRequestBytes = 1 << 20

// contentTypeOFX is what banks send OFX as.
const contentTypeOFX = "application/x-ofx"

// OFX status codes fakebank answers with.
const (
	codeOK             = 0
	codeGeneral        = 2000
	codeAccountMissing = 2003
	codeMFA            = 3000
	codeChangePassword = 15000
	codeBadSignon      = 15500
	codeInUse          = 15501
	codeLocked         = 15502
	codeClientUID      = 15510
)

func (s *Server) institutionHandler(is *instServer) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/ofx", func(w http.ResponseWriter, r *http.Request) { s.serveOFX(is.in, w, r) })
	s.portalRoutes(mux, is.in)
	return mux
}

// exchange is one OFX request on its way to an answer.
type exchange struct {
	in  *Institution
	req *ofx.Request
	t   target
	now time.Time
	rec *Record
}

func (x *exchange) acted(f *fault) {
	if x.rec.Fault != "" {
		x.rec.Fault += ","
		x.rec.FaultID += ","
	}
	x.rec.Fault += f.spec.Kind
	x.rec.FaultID += f.spec.ID
}

func (s *Server) serveOFX(in *Institution, w http.ResponseWriter, r *http.Request) {
	began := time.Now()
	now := s.now()
	rec := &Record{Time: now, Institution: in.ID, Channel: ChannelOFX, Method: r.Method, Path: r.URL.Path,
		Remote: r.RemoteAddr, UserAgent: r.UserAgent()}
	// The record is kept before the answer goes out, so a client that has
	// read its answer finds its request counted.
	logged := false
	record := func() {
		if !logged {
			logged = true
			rec.Duration = time.Since(began).Round(time.Millisecond).String()
			s.record(rec)
		}
	}
	defer record()
	// A latency fault holds the answer until its delay has passed since
	// the request came: the bank's own work is done within the delay, as a
	// real bank's server does it on its own machine.
	var answerAt time.Time
	logNow := func() {
		if !logged && !answerAt.IsZero() && !s.wait(r, time.Until(answerAt)) {
			rec.HTTPStatus, rec.Error = 0, "client went away during the delay" // nothing was sent
			record()
			panic(http.ErrAbortHandler)
		}
		record()
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		rec.HTTPStatus = http.StatusMethodNotAllowed
		logNow()
		http.Error(w, "fakebank: OFX requests are POSTed to this URL", rec.HTTPStatus)
		return
	}
	x := &exchange{in: in, now: now, rec: rec, t: target{institution: in.ID}}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxRequestBytes+1))
	var perr error
	switch {
	case err != nil:
		perr = fmt.Errorf("read body: %w", err)
	case len(body) > maxRequestBytes:
		perr = fmt.Errorf("request larger than %d bytes", maxRequestBytes)
	default:
		x.req, perr = ofx.ReadRequest(bytes.NewReader(body))
	}
	if x.req != nil {
		x.describe()
	}

	// Delivery faults first: a slow answer may be any answer.
	var trickle *fault
	for _, f := range s.pickAll(layerDelivery, x.t, now) {
		x.acted(f)
		switch f.spec.Kind {
		case FaultLatency:
			if answerAt.IsZero() {
				answerAt = began
			}
			answerAt = answerAt.Add(f.duration("delay")) // delays add up
		case FaultTrickle:
			trickle = f
		}
	}
	ua := r.UserAgent()
	if f := s.pick(layerHTTP, x.t, now, func(f *fault) bool {
		return f.spec.Kind != FaultRejectUserAgent || uaMatches(f.param("match"), ua)
	}); f != nil {
		x.acted(f)
		s.answerHTTP(x, f, w, r, logNow)
		return
	}
	if perr != nil {
		rec.HTTPStatus = http.StatusBadRequest
		rec.Error = "unreadable OFX request: " + perr.Error()
		logNow()
		http.Error(w, "fakebank: "+rec.Error, rec.HTTPStatus)
		return
	}
	out, err := s.respond(x)
	if err != nil {
		rec.HTTPStatus = http.StatusInternalServerError
		rec.Error = "write response: " + err.Error()
		logNow()
		http.Error(w, "fakebank: "+rec.Error, rec.HTTPStatus)
		return
	}
	contentType := contentTypeOFX
	for _, f := range s.pickAll(layerBody, x.t, now) {
		x.acted(f)
		switch f.spec.Kind {
		case FaultTruncated:
			out = truncate(out, f.share("share"))
		case FaultMalformed:
			out = malform(out)
		case FaultWrongContentType:
			contentType = f.param("content_type")
		}
	}
	w.Header().Set("Content-Type", contentType)
	rec.HTTPStatus = http.StatusOK
	logNow()
	if trickle == nil {
		w.Header().Set("Content-Length", fmt.Sprint(len(out)))
		_, _ = w.Write(out)
		return
	}
	s.trickle(w, r, out, trickle.intParam("chunk"), trickle.duration("interval"))
}

// describe fills the target and the record from the request.
func (x *exchange) describe() {
	so := &x.req.Signon
	x.rec.AppID, x.rec.AppVer = so.AppID, so.AppVer
	if !anonymous(so) {
		x.t.user = so.UserID
		x.rec.User = so.UserID
		x.rec.Signon = true
	}
	x.rec.Asked = append(x.rec.Asked, "signon")
	if x.req.AccountInfo != nil {
		x.rec.Asked = append(x.rec.Asked, "acctinfo")
	}
	for _, sr := range x.req.Statements {
		prefix := "stmt:"
		if sr.Kind == bankfeed.KindCreditCard {
			prefix = "ccstmt:"
		}
		x.rec.Asked = append(x.rec.Asked, prefix+sr.Account.AcctID)
		x.t.accounts = append(x.t.accounts, sr.Account.AcctID)
	}
	if x.req.Profile != nil {
		x.rec.Asked = append(x.rec.Asked, "profile")
	}
}

// anonymous reports an anonymous sign-on, as profile requests send.
func anonymous(so *ofx.SignonRequest) bool {
	return so.UserID == "" || strings.HasPrefix(strings.ToLower(so.UserID), "anonymous")
}

func uaMatches(match, ua string) bool {
	return match == "" || strings.Contains(strings.ToLower(ua), strings.ToLower(match))
}

// wait sleeps for d unless the client goes away or the server closes.
func (s *Server) wait(r *http.Request, d time.Duration) bool {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return true
	case <-r.Context().Done():
	case <-s.closing:
	}
	return false
}

// trickle writes out a few bytes at a time.
func (s *Server) trickle(w http.ResponseWriter, r *http.Request, out []byte, chunk int, every time.Duration) {
	flusher, _ := w.(http.Flusher)
	for len(out) > 0 {
		n := min(chunk, len(out))
		if _, err := w.Write(out[:n]); err != nil {
			return
		}
		if flusher != nil {
			flusher.Flush()
		}
		out = out[n:]
		if len(out) > 0 && !s.wait(r, every) {
			panic(http.ErrAbortHandler)
		}
	}
}

// truncate cuts the body inside an element: in the middle of the tag name
// nearest share of the way through.
func truncate(b []byte, share float64) []byte {
	at := int(float64(len(b)) * share)
	i := bytes.LastIndexByte(b[:at], '<')
	if i < 0 {
		i = bytes.IndexByte(b, '<')
	}
	if i >= 0 {
		at = min(i+3, len(b))
	}
	return b[:at]
}

// malform breaks the markup as a server that crashes while rendering does:
// its stack trace lands in the middle of the statement, a few tags are
// closed blindly, and </OFX> never comes.
func malform(b []byte) []byte {
	at := bytes.Index(b, []byte("<BANKTRANLIST>"))
	if at < 0 {
		at = bytes.Index(b, []byte("</SONRS>"))
	}
	if at < 0 {
		at = len(b) / 2
	}
	out := bytes.Clone(b[:at])
	return append(out, "<BANKTRANLIST>\r\n<STMTTRN>\r\n<TRNTYPE>DEBIT\r\n<DTPOSTED>"+
		"java.lang.NullPointerException: Cannot invoke \"Txn.getAmount()\" because \"txn\" is null\r\n"+
		"\tat com.bank.ofx.StatementWriter.writeTransaction(StatementWriter.java:212)\r\n"+
		"\tat com.bank.ofx.StatementServlet.doPost(StatementServlet.java:88)\r\n"+
		"</STMTRS>\r\n</BANKMSGSRSV1>\r\n"...)
}

// answerHTTP answers with an HTTP-level fault in place of OFX.
func (s *Server) answerHTTP(x *exchange, f *fault, w http.ResponseWriter, r *http.Request, logNow func()) {
	rec, now, loc := x.rec, x.now, s.sc.Location()
	page := func(status int, title, text string) {
		rec.HTTPStatus = status
		logNow()
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, htmlPage(x.in.Name+" - "+title, title, text))
	}
	switch f.spec.Kind {
	case FaultMaintenance503:
		secs := retryAfter(now, f.ends(now, loc), f.duration("retry_after"))
		w.Header().Set("Retry-After", fmt.Sprint(secs))
		page(http.StatusServiceUnavailable, "Scheduled maintenance", maintenanceText(now.Add(time.Duration(secs)*time.Second), loc))
	case FaultMaintenancePage:
		page(http.StatusOK, "Scheduled maintenance", maintenanceText(f.ends(now, loc), loc))
	case FaultHTTP500:
		page(http.StatusInternalServerError, "Internal Server Error", "The server encountered an internal error and was unable to complete your request.")
	case FaultEmptyBody:
		rec.HTTPStatus = http.StatusOK
		logNow()
		w.Header().Set("Content-Type", contentTypeOFX)
		w.Header().Set("Content-Length", "0")
		w.WriteHeader(http.StatusOK)
	case FaultWAF:
		page(http.StatusForbidden, "Access Denied", "Request unsuccessful. Your request was blocked by our web application firewall. Incident ID: "+
			fmt.Sprintf("%016x", mix64(uint64(now.UnixNano()))))
	case FaultRejectUserAgent:
		page(http.StatusForbidden, "Access Denied", "Your client software is not permitted to access this service.")
	case FaultRateLimit429:
		reset := now.Add(f.duration("reset"))
		secs := retryAfter(now, reset, 0)
		w.Header().Set("Retry-After", fmt.Sprint(secs))
		w.Header().Set("X-RateLimit-Reset", fmt.Sprint(reset.Unix()))
		rec.HTTPStatus = http.StatusTooManyRequests
		logNow()
		http.Error(w, fmt.Sprintf("Rate limit exceeded. Try again in %d seconds.", secs), rec.HTTPStatus)
	case FaultHang:
		limit := s.opts.MaxHang
		rec.Error = fmt.Sprintf("hangs until the client gives up, at most %s", limit)
		logNow()
		if s.wait(r, limit) {
			s.hijackClose(w, false)
			return
		}
		panic(http.ErrAbortHandler)
	case FaultReset:
		rec.Error = "connection reset"
		logNow()
		s.hijackClose(w, true)
	}
}

// hijackClose takes the connection from the HTTP server and closes it, with
// a TCP RST when reset.
func (s *Server) hijackClose(w http.ResponseWriter, reset bool) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		return
	}
	c, _, err := hj.Hijack()
	if err != nil {
		return
	}
	if reset {
		resetConn(c)
		return
	}
	_ = c.Close()
}

func maintenanceText(back time.Time, loc *time.Location) string {
	text := "Our online services are temporarily unavailable while we perform scheduled maintenance. We apologize for any inconvenience."
	if !back.IsZero() {
		text += " We expect to be back by " + back.In(loc).Format("Monday 15:04 MST") + "."
	}
	return text
}

// respond writes the OFX answer to the request.
func (s *Server) respond(x *exchange) ([]byte, error) {
	var buf bytes.Buffer
	rw, err := ofx.NewResponseWriter(&buf, ofx.WriteOptions{Version: x.in.Version})
	if err != nil {
		return nil, err
	}
	status := s.signon(x)
	x.rec.OFXStatus = append(x.rec.OFXStatus, status.Code)
	so := ofx.Signon{Status: status, DTServer: instant(x.now), Org: x.in.Org, FID: x.in.FID}
	if err := rw.Signon(so); err != nil {
		return nil, err
	}
	if status.OK() {
		if err := s.messages(x, rw); err != nil {
			return nil, err
		}
	}
	if err := rw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func instant(t time.Time) ofx.Date { return ofx.Date{Time: t, Valid: true, HasTime: true} }

// messages answers what the request asked after a good sign-on, in the
// order OFX puts message sets.
func (s *Server) messages(x *exchange, rw *ofx.ResponseWriter) error {
	req, in := x.req, x.in
	if req.AccountInfo != nil {
		if x.t.user == "" {
			return rw.AccountInfo(ofx.AccountInfoResponse{TRNUID: req.AccountInfo.TRNUID, Status: ofx.Status{Set: true, Code: codeBadSignon, Message: "Sign on to list accounts."}})
		}
		u := in.User(x.t.user)
		resp := ofx.AccountInfoResponse{TRNUID: req.AccountInfo.TRNUID, DTAcctUp: x.now}
		for _, a := range u.Accounts {
			if s.hidden(x, a) {
				continue
			}
			resp.Accounts = append(resp.Accounts, ofx.AccountInfo{
				Kind: a.Kind(), Desc: a.Desc, Account: s.accountRef(in, a), SupTxDl: true,
				XferSrc: a.Kind() == bankfeed.KindBank, XferDest: a.Kind() == bankfeed.KindBank, SvcStatus: "ACTIVE",
			})
		}
		x.rec.OFXStatus = append(x.rec.OFXStatus, codeOK)
		if err := rw.AccountInfo(resp); err != nil {
			return err
		}
	}
	// Bank statements, then card statements: OFX orders message sets.
	for _, kind := range []bankfeed.AccountKind{bankfeed.KindBank, bankfeed.KindCreditCard} {
		for i := range req.Statements {
			sr := &req.Statements[i]
			if sr.Kind != kind {
				continue
			}
			if err := s.statement(x, rw, sr); err != nil {
				return err
			}
		}
	}
	if req.Profile != nil {
		x.rec.OFXStatus = append(x.rec.OFXStatus, codeOK)
		return rw.Profile(ofx.ProfileResponse{
			TRNUID: req.Profile.TRNUID, DTProfUp: s.sc.Start.At(0, 0, s.sc.Location()),
			FIName: in.Name, Addr1: "1 Main Street", City: "Springfield", State: "IL", PostalCode: "62701",
			ServiceURL: s.OFXURL(in.ID), URL: s.PortalURL(in.ID), ClientUIDRequired: in.ClientUIDRequired,
		})
	}
	return nil
}

// hidden reports an account an account-not-found fault takes out of the
// account list (without using up the fault).
func (s *Server) hidden(x *exchange, a *Account) bool {
	t := target{institution: x.in.ID, user: x.t.user, accounts: []string{a.ID}}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, f := range s.faults {
		if f.kind.Layer == layerAccount && f.matches(t) && f.active(x.now, s.sc.Location()) &&
			(f.spec.Count == 0 || f.left > 0) && f.spec.Probability == 0 {
			return true
		}
	}
	return false
}

func (s *Server) accountRef(in *Institution, a *Account) ofx.AccountRef {
	if a.Kind() == bankfeed.KindCreditCard {
		return ofx.AccountRef{AcctID: a.ID}
	}
	return ofx.AccountRef{BankID: in.BankID, AcctID: a.ID, AcctType: a.AcctType()}
}

// statement answers one statement request.
func (s *Server) statement(x *exchange, rw *ofx.ResponseWriter, sr *ofx.StatementRequest) error {
	in := x.in
	u, a := in.Account(sr.Account.AcctID)
	notFound := ofx.Status{Set: true, Code: codeAccountMissing, Message: "Account not found."}
	switch {
	case u == nil || u.ID != x.t.user || a.Kind() != sr.Kind:
		x.rec.OFXStatus = append(x.rec.OFXStatus, notFound.Code)
		return rw.StatementError(sr.Kind, sr.TRNUID, notFound)
	}
	if f := s.pick(layerAccount, target{institution: in.ID, user: u.ID, accounts: []string{a.ID}}, x.now, nil); f != nil {
		x.acted(f)
		x.rec.OFXStatus = append(x.rec.OFXStatus, notFound.Code)
		return rw.StatementError(sr.Kind, sr.TRNUID, notFound)
	}
	st, txns := s.buildStatement(x, u, a, sr)
	x.rec.OFXStatus = append(x.rec.OFXStatus, codeOK)
	if txns == nil {
		return rw.Statement(st, nil)
	}
	return rw.Statement(st, slices.Values(txns))
}

// history is how far back a statement request without DTSTART reaches.
const history = 90 * 24 * time.Hour

// buildStatement makes the statement of a window, with the data faults that
// act on it. The transactions are nil when none were asked for (a balance
// request).
func (s *Server) buildStatement(x *exchange, u *User, a *Account, sr *ofx.StatementRequest) (*ofx.Statement, []ofx.Transaction) {
	in, now, loc := x.in, x.now, s.sc.Location()
	end := now
	if !sr.End.IsZero() && sr.End.Before(now) {
		end = sr.End
	}
	start := sr.Start
	if start.IsZero() {
		start = end.Add(-history)
	}
	from, to := requestDay(start, loc), requestDay(end, loc)
	if from.Before(s.sc.Start) {
		from = s.sc.Start
	}
	if today := DayOf(now, loc); to.After(today) {
		to = today // nothing is dated in the future
	}
	st := &ofx.Statement{
		Kind: a.Kind(), TRNUID: sr.TRNUID, Currency: a.Currency, Account: s.accountRef(in, a),
		Ledger:    ofx.Balance{Set: true, Amount: s.book.Ledger(in, a, to), AsOf: instant(end)},
		Available: ofx.Balance{Set: true, Amount: s.book.Available(in, a, to), AsOf: instant(end)},
	}
	var txns []ofx.Transaction
	if sr.Include {
		x.rec.Windows = append(x.rec.Windows, a.ID+" "+from.String()+" "+to.String())
		st.Start, st.End = instant(start), instant(end)
		if !to.Before(from) {
			txns = s.book.Transactions(in, a, from, to) // new on each call: the faults below may change it
		}
		if txns == nil {
			txns = []ofx.Transaction{}
		}
	}
	t := target{institution: in.ID, user: u.ID, accounts: []string{a.ID}}
	for _, f := range s.pickAll(layerData, t, now) {
		x.acted(f)
		switch f.spec.Kind {
		case FaultFITIDRekey:
			share := f.share("share")
			for i := range txns {
				if shareOf("rekey:"+a.ID+":"+txns[i].FITID) < share {
					txns[i].FITID = "RK" + txns[i].FITID
				}
			}
		case FaultDuplicateFITID:
			share := f.share("share")
			for i := 1; i < len(txns); i++ {
				if shareOf("dup:"+a.ID+":"+txns[i].FITID) < share {
					txns[i].FITID = txns[i-1].FITID
				}
			}
		case FaultPending:
			s.pending(x, a, st, txns, f.intParam("days"), to)
		case FaultBalanceMismatch:
			delta, _ := parseAmount(f.param("delta"))
			st.Ledger.Amount = st.Ledger.Amount.Add(delta)
		}
	}
	return st, txns
}

// requestDay is the bank's day a request's date names: a bare date
// (YYYYMMDD, read as midnight UTC) is that calendar day; a time is placed in
// the bank's zone.
func requestDay(t time.Time, loc *time.Location) Day {
	if t.Location() == time.UTC && t.Hour() == 0 && t.Minute() == 0 && t.Second() == 0 && t.Nanosecond() == 0 {
		return DayOf(t, time.UTC)
	}
	return DayOf(t, loc)
}

// pending turns the transactions of the last days into pending ones: each
// with another FITID, a card hold of 80% of a purchase, and out of the
// ledger balance. Once older, the same transactions come as themselves.
func (s *Server) pending(x *exchange, a *Account, st *ofx.Statement, txns []ofx.Transaction, days int, to Day) {
	today := DayOf(x.now, s.sc.Location())
	first := today.AddDays(1 - days)
	if to.Before(first) {
		return
	}
	// The ledger leaves out every pending transaction, inside the window or
	// not; the available balance counts the holds instead.
	posted := bankfeed.Decimal{}
	holds := bankfeed.Decimal{}
	for _, t := range s.book.Transactions(x.in, a, first, to) {
		posted = posted.Add(t.Amount)
		holds = holds.Add(hold(t.Amount))
	}
	st.Ledger.Amount = st.Ledger.Amount.Sub(posted)
	st.Available.Amount = st.Available.Amount.Sub(posted).Add(holds)
	for i := range txns {
		d := DayOf(txns[i].Posted.Time, time.UTC)
		if d.Before(first) {
			continue
		}
		txns[i].FITID = "PEND" + txns[i].FITID
		txns[i].Amount = hold(txns[i].Amount)
		txns[i].Memo = strings.TrimSpace("PENDING " + txns[i].Memo)
	}
}

// hold is what a pending debit holds: 80% of it, to the cent; a credit is
// held whole.
func hold(amount bankfeed.Decimal) bankfeed.Decimal {
	if amount.Sign() >= 0 {
		return amount
	}
	cents, ok := amount.MinorUnits(2)
	if !ok {
		return amount
	}
	return bankfeed.NewDecimal(cents*4/5, 2)
}

func parseAmount(s string) (bankfeed.Decimal, error) { return bankfeed.ParseDecimal(s) }
