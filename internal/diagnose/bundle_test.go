package diagnose

import (
	"archive/zip"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"encoding/xml"
	"html"
	"io"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/bankfeed/bankfeed"
)

// Secrets of the bundle test, with characters that XML, URLs and JSON
// escape.
const (
	bundlePassword = "hunter2-sécret&<x>"
	bundleKey      = "k3y/Base64+Key==material"
	bundleWebhook  = `whsec_"quoted'&tok`
	bundleUserID   = "alice.smith"
)

// escapedForms are the ways a test secret may be written, computed here
// apart from the code under test.
func escapedForms(s string) []string {
	var x strings.Builder
	_ = xml.EscapeText(&x, []byte(s))
	forms := []string{s, html.EscapeString(s), x.String(), url.QueryEscape(s), url.PathEscape(s),
		strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)}
	for _, f := range slices.Clone(forms) {
		j, _ := json.Marshal(f)
		forms = append(forms, strings.Trim(string(j), `"`))
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false)
		_ = enc.Encode(f)
		forms = append(forms, strings.Trim(strings.TrimSpace(b.String()), `"`))
	}
	return forms
}

// exchangeJSON is a transcript as the syncer writes it: JSON, HTML-escaped.
func exchangeJSON(t *testing.T) string {
	t.Helper()
	pwXML := strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(bundlePassword)
	ex := []map[string]any{{
		"method": "POST",
		"url":    "https://" + bundleUserID + ":" + url.PathEscape(bundlePassword) + "@ofx.example.com/ofx?k=" + url.QueryEscape(bundleKey),
		"request_header": map[string][]string{
			"Authorization": {"Basic " + base64.StdEncoding.EncodeToString([]byte(bundleUserID+":"+bundlePassword))},
			"Cookie":        {"session=cookie-value-42"},
			"Content-Type":  {"application/x-ofx"},
		},
		"request_body": "OFXHEADER:100\r\n<OFX><SIGNONMSGSRQV1><SONRQ>\r\n<USERID>" + bundleUserID +
			"\r\n<USERPASS>" + pwXML + "\r\n<USERKEY>other-user-key-7\r\n<NEWUSERPASS>next-pass-8\r\n</SONRQ>",
		"status":          200,
		"response_header": map[string][]string{"Set-Cookie": {"id=set-cookie-value-9"}},
		"response_body": "<OFX><SONRS><STATUS><CODE>15500</STATUS><USERKEY>reply-key-10</USERKEY>" +
			"<AUTHTOKEN>auth-token-11</AUTHTOKEN><ACCESSKEY>access-key-12</ACCESSKEY>" +
			"<MESSAGE>bad password " + bundlePassword + " for " + bundleUserID + "</MESSAGE></SONRS></OFX>",
		"response_size": 321,
	}}
	b, err := json.Marshal(ex)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// otherSecrets are values the bundle must mask though nobody listed them:
// OFX sign-on elements, credentials in headers and URLs, secret settings.
var otherSecrets = []string{"other-user-key-7", "next-pass-8", "reply-key-10", "auth-token-11", "access-key-12",
	"cookie-value-42", "set-cookie-value-9", "bearer-token-13", "xml-escaped-pass-14", "dbpass-77", "proxypw-15",
	"api-token-16", base64.StdEncoding.EncodeToString([]byte(bundleUserID + ":" + bundlePassword))}

func testBundle(t *testing.T) *Bundle {
	checked := time.Date(2026, 3, 13, 10, 0, 0, 0, time.UTC)
	next := checked.Add(time.Hour)
	pwXML := html.EscapeString(bundlePassword)
	pwURL := url.QueryEscape(bundlePassword)
	v := &Verdict{Connection: "checking", ConnectionID: 3, Institution: "Maple Bank",
		Class: string(bankfeed.FailInvalidCredentials), Code: "15500", Title: "The bank rejected the password",
		DataRisk: "None: a failed sync writes nothing.", BankMessage: "Invalid password " + bundlePassword,
		Evidence: []Evidence{{Source: "last_sync", Finding: "signon answered 15500 for <USERPASS>" + pwXML, PointsTo: "auth.invalid_credentials"},
			{Source: "history", Finding: "key " + bundleKey + " user " + bundleUserID}},
		RuledOut:    []RuledOut{{Class: "net.dns", Why: "resolved; webhook " + bundleWebhook}},
		Likelihoods: []Likelihood{{Class: "auth.invalid_credentials", P: 0.97}, {Class: "auth.locked", P: 0.03}},
		Steps:       []string{"Set the password again: not " + pwURL, "bankfeed connection password checking"},
		NextRetryAt: &next, Escalate: true, EscalateWhy: "3 days; Authorization: Bearer bearer-token-13",
		Severity: Severity{Level: LevelHigh, Why: "Payroll is due Friday 15 March; the feed is 2 days stale"},
		Probes: []Probe{{Name: "signon", Status: ProbeFailed, Class: "auth.invalid_credentials",
			Detail: "&lt;USERPASS&gt;xml-escaped-pass-14&lt;/USERPASS&gt; rejected; " + url.PathEscape(bundleKey)}},
		CheckedAt: checked}
	return &Bundle{
		Verdict: v,
		Runs: []*bankfeed.SyncRun{
			{ID: 7, AccountID: 1, StartedAt: checked, Outcome: "failed", FailureClass: v.Class,
				Error: "rejected " + bundlePassword, BankMessage: "user " + bundleUserID, Transcript: exchangeJSON(t)},
			{ID: 8, AccountID: 2, StartedAt: checked, Outcome: "failed", FailureClass: v.Class,
				Error: "key " + bundleKey,
				Transcript: "not JSON: POST /ofx\nAuthorization: Bearer bearer-token-13\n<USERPASS>" + bundlePassword +
					"\nwebhook " + bundleWebhook + "\n"},
			{ID: 9, AccountID: 2, StartedAt: checked, Outcome: "ok"},
		},
		Connection: &bankfeed.Connection{ID: 3, Name: "checking", UserID: bundleUserID,
			Profile: bankfeed.Profile{URL: "https://u:" + pwURL + "@ofx.example.com/ofx", Org: "B1", FID: "10898"}},
		Version: "bankfeed v1.2.3",
		Config: map[string]string{
			"BANKFEED_DATA_DIR":       "/data",
			"BANKFEED_KEY":            bundleKey,
			"BANKFEED_WEBHOOK_SECRET": bundleWebhook,
			"BANKFEED_WEBHOOK_URL":    "https://hooks.example.com/x?secret=" + url.QueryEscape(bundleWebhook),
			"BANKFEED_DATABASE_URL":   "postgres://bf:dbpass-77@db:5432/bankfeed",
			"HTTPS_PROXY":             "http://proxyuser:proxypw-15@proxy:3128",
			"BANKFEED_API_TOKEN":      "api-token-16",
			"BANKFEED_NOTE":           "the password is " + bundlePassword,
			"BANKFEED_EMPTY_PASSWORD": "",
		},
		Secrets: []string{bundlePassword, bundleKey, bundleWebhook, bundleUserID},
	}
}

func TestWriteBundleRedacts(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteBundle(&buf, testBundle(t)); err != nil {
		t.Fatal(err)
	}
	files := readZip(t, buf.Bytes())

	var names []string
	for name := range files {
		names = append(names, name)
	}
	slices.Sort(names)
	want := []string{"README.txt", "config.json", "connection.json", "probes.json", "runs.json",
		"transcripts/run-7.txt", "transcripts/run-8.txt", "verdict.json", "verdict.txt", "version.txt"}
	if !slices.Equal(names, want) {
		t.Errorf("files %q, want %q", names, want)
	}
	var forbidden []string
	for _, s := range []string{bundlePassword, bundleKey, bundleWebhook, bundleUserID} {
		forbidden = append(forbidden, escapedForms(s)...)
	}
	forbidden = append(forbidden, otherSecrets...)
	for name, data := range files {
		for _, f := range forbidden {
			if bytes.Contains(data, []byte(f)) {
				t.Errorf("%s holds the secret %q:\n%s", name, f, data)
			}
		}
		if strings.HasSuffix(name, ".json") && !json.Valid(data) {
			t.Errorf("%s is not valid JSON:\n%s", name, data)
		}
	}

	var v Verdict
	if err := json.Unmarshal(files["verdict.json"], &v); err != nil {
		t.Fatal(err)
	}
	if v.Title != "The bank rejected the password" || v.Class != "auth.invalid_credentials" || len(v.Steps) != 2 ||
		v.BankMessage != "Invalid password [redacted]" {
		t.Errorf("verdict.json read back as %+v", v)
	}
	var conn bankfeed.Connection
	if err := json.Unmarshal(files["connection.json"], &conn); err != nil {
		t.Fatal(err)
	}
	if conn.UserID != "al…" || conn.Name != "checking" || conn.Profile.URL != "https://u:[redacted]@ofx.example.com/ofx" {
		t.Errorf("connection.json read back as %+v", conn)
	}
	var runs []map[string]any
	if err := json.Unmarshal(files["runs.json"], &runs); err != nil {
		t.Fatal(err)
	}
	if len(runs) != 3 || runs[0]["error"] != "rejected [redacted]" {
		t.Errorf("runs.json = %v", runs)
	}
	for _, r := range runs {
		if _, ok := r["transcript"]; ok {
			t.Errorf("runs.json holds a transcript: %v", r)
		}
	}
	var config map[string]string
	if err := json.Unmarshal(files["config.json"], &config); err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]string{
		"BANKFEED_DATA_DIR":       "/data",
		"BANKFEED_KEY":            "[redacted]",
		"BANKFEED_WEBHOOK_SECRET": "[redacted]",
		"BANKFEED_API_TOKEN":      "[redacted]",
		"BANKFEED_EMPTY_PASSWORD": "",
		"BANKFEED_DATABASE_URL":   "postgres://bf:[redacted]@db:5432/bankfeed",
		"HTTPS_PROXY":             "http://proxyuser:[redacted]@proxy:3128",
		"BANKFEED_NOTE":           "the password is [redacted]",
	} {
		if config[k] != want {
			t.Errorf("config %s = %q, want %q", k, config[k], want)
		}
	}

	for name, wants := range map[string][]string{
		"README.txt": {"verdict.txt", "transcripts/", "[redacted]"},
		"verdict.txt": {"The bank rejected the password", "auth.invalid_credentials (code 15500); only the user can clear it.", "None: a failed sync writes nothing.",
			"1. Set the password again", "last_sync: signon answered 15500", "net.dns: resolved", " 97.0 %  auth.invalid_credentials",
			"Next automatic retry: 2026-03-13 11:00:00 UTC", "Escalate: yes. 3 days; Authorization: [redacted]",
			"Severity: high", "Payroll is due Friday 15 March"},
		"transcripts/run-7.txt": {"== exchange 1 of 1", "method: POST", "https://[redacted]:[redacted]@ofx.example.com/ofx",
			"    Authorization: [redacted]", "    Content-Type: application/x-ofx", "    | <USERPASS>[redacted]",
			"<USERID>[redacted]", "<AUTHTOKEN>[redacted]</AUTHTOKEN>", "response_size: 321"},
		"transcripts/run-8.txt": {"not JSON: POST /ofx", "Authorization: [redacted]", "<USERPASS>[redacted]"},
		"version.txt":           {"bankfeed v1.2.3"},
	} {
		for _, w := range wants {
			if !bytes.Contains(files[name], []byte(w)) {
				t.Errorf("%s lacks %q:\n%s", name, w, files[name])
			}
		}
	}
}

// TestWriteBundleEmpty: a bundle of nothing is still a complete archive.
func TestWriteBundleEmpty(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteBundle(&buf, &Bundle{}); err != nil {
		t.Fatal(err)
	}
	files := readZip(t, buf.Bytes())
	for name, want := range map[string]string{"verdict.json": "null\n", "probes.json": "[]\n", "runs.json": "[]\n",
		"connection.json": "null\n", "config.json": "{}\n", "verdict.txt": "No diagnosis is in this bundle.\n"} {
		if got := string(files[name]); got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
}

func readZip(t *testing.T, data []byte) map[string][]byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		if f.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v, want 0600", f.Name, f.Mode())
		}
		files[f.Name] = b
	}
	return files
}

func TestRedactText(t *testing.T) {
	r := newRedactor([]string{"s3cr&t"})
	tests := []struct {
		name, in, want string
	}{
		{"plain secret", "pw s3cr&t.", "pw [redacted]."},
		{"XML-escaped secret", "pw s3cr&amp;t.", "pw [redacted]."},
		{"URL-escaped secret", "?pw=s3cr%26t&x=1", "?pw=[redacted]&x=1"},
		{"SGML element", "<USERPASS>abc def\r\n<USERID>bob\n", "<USERPASS>[redacted]\r\n<USERID>[redacted]\n"},
		{"XML element", "<userkey>k1</userkey>", "<userkey>[redacted]</userkey>"},
		{"escaped element", "&lt;AUTHTOKEN&gt;t&amp;1&lt;/AUTHTOKEN&gt;", "&lt;AUTHTOKEN&gt;[redacted]&lt;/AUTHTOKEN&gt;"},
		{"empty element kept", "<USERID></USERID>", "<USERID></USERID>"},
		{"other elements kept", "<USERPASSX>no<ORG>B1", "<USERPASSX>no<ORG>B1"},
		{"authorization header", "Authorization: Basic Ym9iOnB3\nHost: x", "Authorization: [redacted]\nHost: x"},
		{"cookie header", "set-cookie:a=b; Path=/", "set-cookie:[redacted]"},
		{"URL password", "see https://bob:pw@host/x and ftp://h/y", "see https://bob:[redacted]@host/x and ftp://h/y"},
		{"URL without password", "https://bob@host/x", "https://bob@host/x"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := r.text(tc.in); got != tc.want {
				t.Errorf("text(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

// TestWriteBundleNumericUserID: a user ID of digits inside a number
// leaves valid JSON.
func TestWriteBundleNumericUserID(t *testing.T) {
	var buf bytes.Buffer
	err := WriteBundle(&buf, &Bundle{Runs: []*bankfeed.SyncRun{{ID: 55512345, Transcript: `[{"response_size": 12345}]`}},
		Connection: &bankfeed.Connection{UserID: "12345"}, Secrets: []string{"12345"}})
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range readZip(t, buf.Bytes()) {
		if strings.Contains(name+string(data), "12345") {
			t.Errorf("%s holds the user ID:\n%s", name, data)
		}
		if strings.HasSuffix(name, ".json") && !json.Valid(data) {
			t.Errorf("%s is not valid JSON:\n%s", name, data)
		}
	}
}

func TestMaskUserID(t *testing.T) {
	for in, want := range map[string]string{"": "", "a": "…", "ab": "…", "abc": "ab…", "élodie": "él…"} {
		if got := maskUserID(in); got != want {
			t.Errorf("maskUserID(%q) = %q, want %q", in, got, want)
		}
	}
}
