package ofx

import (
	"errors"
	"fmt"
	"io"
)

// WriteRequest writes r as an OFX request document. The version is
// opts.Version, else r.Version, else 102. The sign-on needs DTCLIENT, USERID,
// USERPASS, APPID and APPVER; every request needs a TRNUID, and a statement
// request the account. The password is the one place a Password is revealed.
func WriteRequest(w io.Writer, r *Request, opts WriteOptions) error {
	if err := checkRequest(r); err != nil {
		return fmt.Errorf("write request: %w", err)
	}
	d, err := newDocWriter(w, opts, r.Version)
	if err != nil {
		return err
	}
	if !d.carries(r.Signon.UserPass.Reveal()) {
		// A changed password would be rejected by the bank as a wrong one,
		// and too many of those lock the user out. Say why, never what.
		return errors.New("write request: the password cannot be sent unchanged in this form " +
			"(spaces at its ends, control characters, or characters outside Windows-1252 in OFX 1.x); " +
			"write OFX 2 (XML) or set WriteOptions.UTF8")
	}
	d.open("OFX")

	s := r.Signon
	d.open(requestSetNames[setSignon])
	d.open("SONRQ")
	d.instant("DTCLIENT", s.DTClient)
	d.leaf("USERID", s.UserID)
	d.leaf("USERPASS", s.UserPass.Reveal())
	d.leaf("LANGUAGE", orDefault(s.Language, "ENG"))
	writeFI(d, s.Org, s.FID)
	d.opt("SESSCOOKIE", s.SessCookie)
	d.leaf("APPID", s.AppID)
	d.leaf("APPVER", s.AppVer)
	d.opt("CLIENTUID", s.ClientUID)
	d.close("SONRQ")
	d.close(requestSetNames[setSignon])

	if a := r.AccountInfo; a != nil {
		d.open(requestSetNames[setSignup])
		d.open("ACCTINFOTRNRQ")
		d.leaf("TRNUID", a.TRNUID)
		d.open("ACCTINFORQ")
		d.since("DTACCTUP", a.DTAcctUp)
		d.close("ACCTINFORQ")
		d.close("ACCTINFOTRNRQ")
		d.close(requestSetNames[setSignup])
	}

	for _, kind := range writtenKinds {
		form := statementForms[kind]
		opened := false
		for _, sr := range r.Statements {
			if sr.Kind != kind {
				continue
			}
			if !opened {
				d.open(requestSetNames[form.set])
				opened = true
			}
			writeStatementRequest(d, form, &sr)
		}
		if opened {
			d.close(requestSetNames[form.set])
		}
	}

	if p := r.Profile; p != nil {
		d.open(requestSetNames[setProfile])
		d.open("PROFTRNRQ")
		d.leaf("TRNUID", p.TRNUID)
		d.open("PROFRQ")
		d.leaf("CLIENTROUTING", orDefault(p.ClientRouting, "NONE"))
		d.since("DTPROFUP", p.DTProfUp)
		d.close("PROFRQ")
		d.close("PROFTRNRQ")
		d.close(requestSetNames[setProfile])
	}

	d.close("OFX")
	return d.flush()
}

// writeStatementRequest writes one STMTTRNRQ or CCSTMTTRNRQ.
func writeStatementRequest(d *docWriter, form statementForm, sr *StatementRequest) {
	d.open(form.trnrq)
	d.leaf("TRNUID", sr.TRNUID)
	d.open(form.rq)
	writeAccount(d, form.acctFrom, sr.Account)
	if sr.Include || !sr.Start.IsZero() || !sr.End.IsZero() {
		d.open("INCTRAN")
		if !sr.Start.IsZero() {
			d.instant("DTSTART", sr.Start)
		}
		if !sr.End.IsZero() {
			d.instant("DTEND", sr.End)
		}
		d.flag("INCLUDE", sr.Include)
		d.close("INCTRAN")
	}
	d.close(form.rq)
	d.close(form.trnrq)
}

// checkRequest gathers what a request lacks.
func checkRequest(r *Request) error {
	var errs []error
	s := r.Signon
	if s.DTClient.IsZero() {
		errs = append(errs, errors.New("signon: no DTCLIENT"))
	}
	for _, f := range []struct{ name, value string }{
		{"USERID", s.UserID}, {"USERPASS", s.UserPass.Reveal()}, {"APPID", s.AppID}, {"APPVER", s.AppVer},
	} {
		if blankValue(f.value) {
			errs = append(errs, fmt.Errorf("signon: no %s", f.name))
		}
	}
	if err := checkFI(s.Org, s.FID); err != nil {
		errs = append(errs, fmt.Errorf("signon: %w", err))
	}
	if r.AccountInfo != nil && blankValue(r.AccountInfo.TRNUID) {
		errs = append(errs, errors.New("account info: no TRNUID"))
	}
	if r.Profile != nil && blankValue(r.Profile.TRNUID) {
		errs = append(errs, errors.New("profile: no TRNUID"))
	}
	for i, sr := range r.Statements {
		var serrs []error
		if _, err := formOf(sr.Kind); err != nil {
			serrs = append(serrs, err)
		} else if err := checkAccount(sr.Kind, sr.Account); err != nil {
			serrs = append(serrs, err)
		}
		if blankValue(sr.TRNUID) {
			serrs = append(serrs, errors.New("no TRNUID"))
		}
		if !sr.Start.IsZero() && !sr.End.IsZero() && sr.End.Before(sr.Start) {
			serrs = append(serrs, errors.New("DTEND before DTSTART"))
		}
		if err := errors.Join(serrs...); err != nil {
			errs = append(errs, fmt.Errorf("statement request %d: %w", i+1, err))
		}
	}
	return errors.Join(errs...)
}
