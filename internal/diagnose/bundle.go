package diagnose

import (
	"archive/zip"
	"bytes"
	"cmp"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"html"
	"io"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/bankfeed/bankfeed"
)

// Bundle is what a diagnostic bundle holds: everything a person helping
// with a connection needs, with its secrets redacted.
type Bundle struct {
	Verdict *Verdict
	// Runs are the connection's latest runs, with their transcripts.
	Runs       []*bankfeed.SyncRun
	Connection *bankfeed.Connection
	// Version is bankfeed's version.
	Version string
	// Config is the effective configuration, by name.
	Config map[string]string
	// Secrets are replaced by [redacted] everywhere, in every form: the
	// password, the key, the webhook secret, the user ID.
	Secrets []string
}

// bundleReadme opens README.txt; the list of files follows.
const bundleReadme = `bankfeed diagnostic bundle
==========================

What is in it:
  README.txt        this file
  verdict.txt       the diagnosis in plain words
  verdict.json      the diagnosis, as bankfeed diagnose --json prints it
  probes.json       each check of the decision path
  runs.json         the connection's latest sync runs, without their transcripts
  transcripts/      each run's exchange with the bank, run-<id>.txt
  connection.json   the connection's settings; the user ID shows its first 2 characters
  config.json       the effective configuration
  version.txt       the version of bankfeed that made it

Secrets are redacted: the password, the sealing key, the webhook secret and
the user ID are replaced by [redacted] wherever they appear, also XML-, URL-
or JSON-escaped; so are the values of the OFX sign-on elements (USERPASS,
USERID, USERKEY, AUTHTOKEN, ACCESSKEY, NEWUSERPASS), of Authorization and
Cookie headers, passwords in URLs, and configuration values whose names say
KEY, SECRET, PASSWORD, TOKEN or PASS. No password is in it, sealed or not.

Account numbers, amounts and the bank's own answers are not redacted: read
the bundle before you share it.
`

// WriteBundle writes b to w as a zip archive (see bundleReadme for what it
// holds). Every file is redacted before it is written.
func WriteBundle(w io.Writer, b *Bundle) error {
	r := newRedactor(b.Secrets)
	var modified time.Time
	var files []bundleFile
	add := func(name string, data []byte) { files = append(files, bundleFile{name, data}) }
	addJSON := func(name string, v any) error {
		data, err := r.json(v)
		if err != nil {
			return fmt.Errorf("write bundle: %s: %w", name, err)
		}
		add(name, data)
		return nil
	}

	add("README.txt", []byte(bundleReadme))
	var probes []Probe
	if b.Verdict != nil {
		modified = b.Verdict.CheckedAt
		probes = b.Verdict.Probes
	}
	if err := addJSON("verdict.json", b.Verdict); err != nil {
		return err
	}
	add("verdict.txt", []byte(r.text(verdictText(b.Verdict))))
	if probes == nil {
		probes = []Probe{}
	}
	if err := addJSON("probes.json", probes); err != nil {
		return err
	}
	runs := b.Runs
	if runs == nil {
		runs = []*bankfeed.SyncRun{}
	}
	if err := addJSON("runs.json", runs); err != nil { // Transcript is not part of a run's JSON
		return err
	}
	for _, run := range b.Runs {
		if run.Transcript != "" {
			name := string(r.secrets(fmt.Appendf(nil, "transcripts/run-%d.txt", run.ID)))
			add(name, r.transcript(run.Transcript))
		}
	}
	var conn *bankfeed.Connection
	if b.Connection != nil {
		c := *b.Connection
		c.UserID = maskUserID(c.UserID)
		conn = &c
	}
	if err := addJSON("connection.json", conn); err != nil {
		return err
	}
	config := b.Config
	if config == nil {
		config = map[string]string{}
	}
	if err := addJSON("config.json", config); err != nil {
		return err
	}
	add("version.txt", []byte(r.text(b.Version)+"\n"))

	zw := zip.NewWriter(w)
	for _, f := range files {
		h := &zip.FileHeader{Name: f.name, Method: zip.Deflate, Modified: modified}
		h.SetMode(0o600)
		fw, err := zw.CreateHeader(h)
		if err != nil {
			return fmt.Errorf("write bundle: %s: %w", f.name, err)
		}
		// The last pass: no secret leaves in any form, whatever the file.
		if _, err := fw.Write(r.secrets(f.data)); err != nil {
			return fmt.Errorf("write bundle: %s: %w", f.name, err)
		}
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("write bundle: %w", err)
	}
	return nil
}

type bundleFile struct {
	name string
	data []byte
}

// maskUserID keeps a user ID's first 2 characters.
func maskUserID(id string) string {
	r := []rune(id)
	if len(r) <= 2 {
		if len(r) == 0 {
			return ""
		}
		return "…"
	}
	return string(r[:2]) + "…"
}

// verdictText renders a verdict in plain words.
func verdictText(v *Verdict) string {
	if v == nil {
		return "No diagnosis is in this bundle.\n"
	}
	var b bytes.Buffer
	line := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	when := func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05 UTC") }
	line("%s", v.Title)
	line("")
	line("Connection: %s (id %d) at %s", v.Connection, v.ConnectionID, v.Institution)
	line("Checked at: %s (took %d ms)", when(v.CheckedAt), v.TookMS)
	line("")
	line("What happened")
	if v.Class == ClassOK {
		line("  Nothing is wrong: the latest syncs went through and the checks found nothing.")
	} else {
		code := ""
		if v.Code != "" {
			code = " (code " + v.Code + ")"
		}
		kind := "it will not clear by itself"
		switch {
		case v.Transient:
			kind = "it is expected to clear by itself"
		case bankfeed.FailureClass(v.Class).NeedsUser():
			kind = "only the user can clear it"
		}
		line("  Class: %s%s; %s.", v.Class, code, kind)
		if v.FailingSince != nil {
			line("  Failing since %s.", when(*v.FailingSince))
		}
		if v.FailedImmediately {
			line("  The last failure came at once (refused or rejected), not after a wait.")
		}
	}
	if v.BankMessage != "" {
		line("  The bank said: %s", v.BankMessage)
	}
	line("")
	line("Data risk")
	line("  %s", orNone(v.DataRisk))
	line("")
	line("Severity: %s", orNone(v.Severity.Level))
	if v.Severity.Why != "" {
		line("  %s", v.Severity.Why)
	}
	if v.Severity.Cost != "" {
		line("  Cost: %s", v.Severity.Cost)
	}
	if v.Severity.StaleSince != nil {
		line("  Up to date with the bank until %s.", when(*v.Severity.StaleSince))
	}
	line("")
	line("What to do")
	if len(v.Steps) == 0 {
		line("  Nothing.")
	}
	for i, s := range v.Steps {
		line("  %d. %s", i+1, s)
	}
	line("")
	line("Evidence")
	if len(v.Evidence) == 0 {
		line("  None.")
	}
	for _, e := range v.Evidence {
		to := ""
		if e.PointsTo != "" {
			to = " (points to " + e.PointsTo + ")"
		}
		line("  - %s: %s%s", e.Source, e.Finding, to)
	}
	line("")
	line("Ruled out")
	if len(v.RuledOut) == 0 {
		line("  Nothing.")
	}
	for _, r := range v.RuledOut {
		line("  - %s: %s", r.Class, r.Why)
	}
	line("")
	line("Likelihoods")
	for _, l := range v.Likelihoods {
		line("  %5.1f %%  %s", l.P*100, l.Class)
	}
	line("")
	line("Checks")
	for _, p := range v.Probes {
		line("  - %s: %s, %s", p.Name, p.Status, p.Detail)
	}
	line("")
	if v.NextRetryAt != nil {
		line("Next automatic retry: %s", when(*v.NextRetryAt))
	} else {
		line("Next automatic retry: none")
	}
	if v.Escalate {
		line("Escalate: yes. %s", v.EscalateWhy)
	} else {
		line("Escalate: no")
	}
	return b.String()
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

// redacted replaces what a bundle must not hold.
const redacted = "[redacted]"

var (
	// ofxSecretPlain and ofxSecretEscaped match the OFX sign-on elements
	// whose values are secret, as written (SGML, where a value runs to the
	// next tag or line end, or XML) and XML-escaped in a page or a message.
	ofxSecretPlain   = regexp.MustCompile(`(?i)(<(?:USERPASS|NEWUSERPASS|USERID|USERKEY|AUTHTOKEN|ACCESSKEY)>)([^<\r\n]*)`)
	ofxSecretEscaped = regexp.MustCompile(`(?i)(&lt;(?:USERPASS|NEWUSERPASS|USERID|USERKEY|AUTHTOKEN|ACCESSKEY)&gt;)((?:[^&<\r\n]|&(?:amp|quot|apos|gt|#[0-9]+|#x[0-9a-f]+);)*)`)
	// authHeader matches a header that carries credentials, in text.
	authHeader = regexp.MustCompile(`(?i)\b((?:proxy-)?authorization|(?:set-)?cookie)([ \t]*:[ \t]*)([^\r\n]*)`)
	// urlPassword matches the password of a URL's user:password@.
	urlPassword = regexp.MustCompile(`(?i)\b([a-z][a-z0-9+.-]*://[^/?#@\s:]*:)([^@/?#\s]+)@`)
	// secretName matches the names of configuration values and JSON fields
	// (headers among them) whose values are secret.
	secretName = regexp.MustCompile(`(?i)KEY|SECRET|PASSWORD|TOKEN|PASS|^(?:proxy-)?authorization$|^(?:set-)?cookie$`)
)

// redactor removes secrets from the files of a bundle.
type redactor struct {
	// forms are every form of every secret, longest first.
	forms []string
}

func newRedactor(secrets []string) *redactor {
	seen := map[string]bool{}
	r := &redactor{}
	for _, s := range secrets {
		for _, f := range secretForms(s) {
			if f != "" && !seen[f] {
				seen[f] = true
				r.forms = append(r.forms, f)
			}
		}
	}
	slices.SortFunc(r.forms, func(a, b string) int { return cmp.Or(len(b)-len(a), strings.Compare(a, b)) })
	return r
}

// secretForms are the ways s may be written: as is, XML-escaped, URL-escaped
// and each of those JSON-escaped.
func secretForms(s string) []string {
	if s == "" {
		return nil
	}
	xmlish := strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")
	named := strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;", "'", "&apos;")
	numbered := strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&#34;", "'", "&#39;")
	var xmlText strings.Builder
	_ = xml.EscapeText(&xmlText, []byte(s))
	var refs strings.Builder // every character past ASCII as a character reference
	for _, c := range xmlish.Replace(s) {
		if c < 0x80 {
			refs.WriteRune(c)
		} else {
			fmt.Fprintf(&refs, "&#%d;", c)
		}
	}
	base := []string{s, xmlish.Replace(s), named.Replace(s), numbered.Replace(s), xmlText.String(), refs.String(),
		html.EscapeString(s), url.QueryEscape(s), url.PathEscape(s)}
	base = append(base, lowerHex(url.QueryEscape(s)), lowerHex(url.PathEscape(s)))
	out := slices.Clone(base)
	for _, f := range base {
		out = append(out, jsonEscape(f, true), jsonEscape(f, false))
	}
	return out
}

// lowerHex writes the %XX escapes of s in lower case.
func lowerHex(s string) string {
	b := []byte(s)
	for i := 0; i+2 < len(b); i++ {
		if b[i] == '%' {
			copy(b[i+1:i+3], strings.ToLower(string(b[i+1:i+3])))
		}
	}
	return string(b)
}

// jsonEscape is s as it appears inside a JSON string.
func jsonEscape(s string, escapeHTML bool) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(escapeHTML)
	_ = enc.Encode(s)
	out := strings.TrimSuffix(b.String(), "\n")
	return strings.TrimSuffix(strings.TrimPrefix(out, `"`), `"`)
}

// secrets replaces every form of every secret in data.
func (r *redactor) secrets(data []byte) []byte {
	for _, f := range r.forms {
		data = bytes.ReplaceAll(data, []byte(f), []byte(redacted))
	}
	return data
}

// text redacts free text: the secrets, the OFX sign-on values,
// credentials in headers and passwords in URLs.
func (r *redactor) text(s string) string {
	s = string(r.secrets([]byte(s)))
	keep := func(re *regexp.Regexp, value int) func(string) string {
		return func(m string) string {
			sub := re.FindStringSubmatch(m)
			if strings.TrimSpace(sub[value]) == "" || sub[value] == redacted {
				return m
			}
			return strings.Join(sub[1:value], "") + redacted
		}
	}
	s = ofxSecretPlain.ReplaceAllStringFunc(s, keep(ofxSecretPlain, 2))
	s = ofxSecretEscaped.ReplaceAllStringFunc(s, keep(ofxSecretEscaped, 2))
	s = authHeader.ReplaceAllStringFunc(s, keep(authHeader, 3))
	return urlPassword.ReplaceAllString(s, "${1}"+redacted+"@")
}

// json encodes v as indented JSON, every string redacted as text and the
// strings under a secret name (secretName) replaced.
func (r *redactor) json(v any) ([]byte, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	n, err := r.decode(raw)
	if err != nil {
		return nil, err
	}
	return encodeIndented(n)
}

// transcript renders a run's transcript as text, redacted: a JSON list of
// exchanges field by field, any other JSON indented, anything else as is.
func (r *redactor) transcript(t string) []byte {
	n, err := r.decode([]byte(t))
	if err != nil {
		return []byte(r.text(t))
	}
	if b, ok := renderExchanges(n); ok {
		return b
	}
	b, err := encodeIndented(n)
	if err != nil {
		return []byte(r.text(t))
	}
	return b
}

// jsonNode is a decoded JSON value whose objects keep their keys' order.
type jsonNode struct {
	fields []jsonField // an object's
	items  []*jsonNode // an array's
	scalar any         // a string, json.Number, bool or nil
	object bool
	array  bool
}

type jsonField struct {
	key string
	val *jsonNode
}

// MarshalJSON writes n compact, its keys in order.
func (n *jsonNode) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	switch {
	case n.object:
		b.WriteByte('{')
		for i, f := range n.fields {
			if i > 0 {
				b.WriteByte(',')
			}
			if err := enc.Encode(f.key); err != nil {
				return nil, err
			}
			b.Truncate(b.Len() - 1) // Encode's newline
			b.WriteByte(':')
			v, err := f.val.MarshalJSON()
			if err != nil {
				return nil, err
			}
			b.Write(v)
		}
		b.WriteByte('}')
	case n.array:
		b.WriteByte('[')
		for i, it := range n.items {
			if i > 0 {
				b.WriteByte(',')
			}
			v, err := it.MarshalJSON()
			if err != nil {
				return nil, err
			}
			b.Write(v)
		}
		b.WriteByte(']')
	default:
		if err := enc.Encode(n.scalar); err != nil {
			return nil, err
		}
		b.Truncate(b.Len() - 1)
	}
	return b.Bytes(), nil
}

func encodeIndented(n *jsonNode) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	err := enc.Encode(n)
	return b.Bytes(), err
}

// decode reads one JSON value, redacting its strings.
func (r *redactor) decode(data []byte) (*jsonNode, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	n, err := r.decodeValue(dec, false)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("more than one JSON value")
	}
	return n, nil
}

// decodeValue reads the next value; hide replaces its strings, under a
// secret name.
func (r *redactor) decodeValue(dec *json.Decoder, hide bool) (*jsonNode, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		n := &jsonNode{object: t == '{', array: t == '['}
		for dec.More() {
			key := ""
			if n.object {
				k, err := dec.Token()
				if err != nil {
					return nil, err
				}
				key = k.(string)
			}
			v, err := r.decodeValue(dec, hide || n.object && secretName.MatchString(key))
			if err != nil {
				return nil, err
			}
			if n.object {
				n.fields = append(n.fields, jsonField{r.text(key), v})
			} else {
				n.items = append(n.items, v)
			}
		}
		if _, err := dec.Token(); err != nil { // the closing delimiter
			return nil, err
		}
		return n, nil
	case string:
		if hide && t != "" {
			return &jsonNode{scalar: redacted}, nil
		}
		return &jsonNode{scalar: r.text(t)}, nil
	case json.Number:
		// A secret of digits (a user ID) inside a number: the number goes,
		// so that the last pass leaves valid JSON.
		if !bytes.Equal(r.secrets([]byte(t)), []byte(t)) {
			return &jsonNode{scalar: redacted}, nil
		}
	}
	return &jsonNode{scalar: tok}, nil
}

// renderExchanges writes a list of exchanges (objects) field by field:
// headers one a line, bodies as blocks. ok is false for any other value.
func renderExchanges(n *jsonNode) (out []byte, ok bool) {
	if !n.array {
		return nil, false
	}
	for _, it := range n.items {
		if !it.object {
			return nil, false
		}
	}
	var b bytes.Buffer
	for i, ex := range n.items {
		fmt.Fprintf(&b, "== exchange %d of %d\n", i+1, len(n.items))
		for _, f := range ex.fields {
			switch v := f.val; {
			case v.object:
				fmt.Fprintf(&b, "%s:\n", f.key)
				for _, h := range v.fields {
					fmt.Fprintf(&b, "    %s: %s\n", h.key, flat(h.val))
				}
			case !v.array && isMultiline(v.scalar):
				fmt.Fprintf(&b, "%s:\n", f.key)
				for _, l := range strings.Split(strings.TrimRight(v.scalar.(string), "\r\n"), "\n") {
					fmt.Fprintf(&b, "    | %s\n", strings.TrimRight(l, "\r"))
				}
			default:
				fmt.Fprintf(&b, "%s: %s\n", f.key, flat(v))
			}
		}
		b.WriteByte('\n')
	}
	return b.Bytes(), true
}

func isMultiline(v any) bool {
	s, ok := v.(string)
	return ok && strings.ContainsAny(s, "\n")
}

// flat writes a value on one line: a string as is, a list of scalars
// joined by commas, anything else as compact JSON.
func flat(n *jsonNode) string {
	if s, ok := n.scalar.(string); ok && !n.object && !n.array {
		return s
	}
	if n.array {
		parts := make([]string, 0, len(n.items))
		for _, it := range n.items {
			if it.object || it.array {
				parts = nil
				break
			}
			parts = append(parts, flat(it))
		}
		if parts != nil || len(n.items) == 0 {
			return strings.Join(parts, ", ")
		}
	}
	b, err := n.MarshalJSON()
	if err != nil {
		return ""
	}
	return string(b)
}
