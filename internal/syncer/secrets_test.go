package syncer

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bankfeed/bankfeed"
	"github.com/bankfeed/bankfeed/internal/fakebank"
	"github.com/bankfeed/bankfeed/internal/secret"
	"github.com/bankfeed/bankfeed/internal/store"
)

// lockedBuffer is a buffer several log handlers write to.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// passwordForms are the ways a password could show: as is, XML-escaped
// (fully, the SGML way, and as encoding/xml does) and JSON-escaped (with and
// without HTML escaping).
func passwordForms(pw string) []string {
	forms := []string{pw,
		strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;", "'", "&apos;").Replace(pw),
		strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(pw)}
	var x bytes.Buffer
	_ = xml.EscapeText(&x, []byte(pw))
	forms = append(forms, x.String())
	if j, _ := json.Marshal(pw); len(j) > 2 {
		forms = append(forms, string(j[1:len(j)-1]))
	}
	var raw bytes.Buffer
	enc := json.NewEncoder(&raw)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(pw)
	if j := strings.TrimSpace(raw.String()); len(j) > 2 {
		forms = append(forms, j[1:len(j)-1])
	}
	return forms
}

// TestNoPasswordLeaks goes through connections' lives (set up, synced,
// failing in several ways, a wrong password and a rejected one, a reset
// with a new password, the status board) and looks for every password, in
// every form, in the log, every run's transcript, error and OFX status,
// every error and result returned, the board, and the database's files.
func TestNoPasswordLeaks(t *testing.T) {
	logBuf := &lockedBuffer{}
	logger := slog.New(slog.NewMultiHandler(
		slog.NewJSONHandler(logBuf, &slog.HandlerOptions{Level: slog.LevelDebug}),
		slog.NewTextHandler(logBuf, &slog.HandlerOptions{Level: slog.LevelDebug})))
	e := newEnv(t, Options{Logger: logger})
	wrong := []string{"not-" + pwAlice, `w"r<o>ng&pw`}
	secrets := append(append([]string{"dave-pass-1234"}, passwords...), wrong...)

	var texts []string // everything returned, as text
	keep := func(what string, v any) {
		j, err := json.Marshal(v)
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		texts = append(texts, what+": "+string(j), what+": "+fmt.Sprintf("%+v", v))
	}
	keepErr := func(what string, err error) {
		if err != nil {
			texts = append(texts, what+": "+err.Error(), what+": "+fmt.Sprintf("%+v", err))
		}
	}
	connect := func(name, inst, user, pw string) *ConnectResult {
		res, err := e.s.Connect(t.Context(), ConnectRequest{Name: name, Profile: e.profile(inst), UserID: user, Password: secret.String(pw)})
		keepErr("connect "+name, err)
		if res != nil {
			keep("connect "+name, res)
			keepErr("connect "+name+" result", res.Err)
		}
		return res
	}
	syncConn := func(name string, manual bool) {
		res, err := e.s.Sync(t.Context(), e.conn(name).ID, manual)
		keepErr("sync "+name, err)
		if res != nil {
			keep("sync "+name, res)
		}
	}

	// A mistyped password at setup: refused, nothing kept.
	if res := connect("alice", "sgml", "alice", wrong[1]); res.Class != bankfeed.FailInvalidCredentials {
		t.Fatalf("connect with a wrong password: %s", res.Class)
	}
	connect("alice", "sgml", "alice", pwAlice)
	connect("dave", "sgml", "dave", "dave-pass-1234")
	connect("carol", "card", "carol", pwCarol)
	connect("bob", "xml", "bob", pwBob) // the bank wants its CLIENTUID approved
	for _, name := range []string{"alice", "dave", "carol", "bob"} {
		syncConn(name, true)
	}
	e.approveDevice("xml", "bob")
	keepErr("resume", e.s.Resume(t.Context(), e.conn("bob").ID))
	syncConn("bob", false)

	// Failures of several kinds.
	e.clock.Add(25 * time.Hour)
	for _, f := range []fakebank.FaultSpec{
		{Kind: fakebank.FaultTruncated, Institution: "card"},
		{Kind: fakebank.FaultMFA, Institution: "xml"},
		{Kind: fakebank.FaultMaintenance503, Institution: "sgml", User: "dave"},
	} {
		e.fault(f)
	}
	for _, name := range []string{"carol", "bob", "dave"} {
		syncConn(name, false)
	}
	e.bank.ClearFaults()
	// A wrong password, then the right one.
	keepErr("set password", e.s.SetPassword(t.Context(), e.conn("alice").ID, secret.String(wrong[0])))
	syncConn("alice", true)
	keepErr("set password", e.s.SetPassword(t.Context(), e.conn("alice").ID, secret.String(pwAlice)))
	syncConn("alice", false)
	// The bank rejects carol's password; she resets with it again.
	e.fault(fakebank.FaultSpec{Kind: fakebank.FaultBadCredentials, Institution: "card", User: "carol"})
	e.clock.Add(time.Hour)
	syncConn("carol", true)
	e.bank.ClearFaults()
	keepErr("reset", e.s.Reset(t.Context(), e.conn("carol").ID, secret.String(pwCarol)))
	syncConn("carol", false)
	e.clock.Add(time.Hour)
	syncConn("dave", true)

	b, err := e.s.Status(t.Context())
	keepErr("status", err)
	keep("board", b)

	// Every run's record and transcript.
	runs, err := e.db.FindSyncRuns(t.Context(), store.SyncRunFilter{})
	if err != nil {
		t.Fatal(err)
	}
	transcripts := 0
	for _, r := range runs {
		full, err := e.db.SyncRun(t.Context(), r.ID)
		if err != nil {
			t.Fatal(err)
		}
		if full.Transcript != "" {
			transcripts++
			if !strings.Contains(full.Transcript, "[redacted]") {
				t.Errorf("run %d: transcript without a redacted password", r.ID)
			}
		}
		texts = append(texts, fmt.Sprintf("run %d transcript: %s", r.ID, full.Transcript),
			fmt.Sprintf("run %d error: %s", r.ID, full.Error), fmt.Sprintf("run %d ofx status: %s", r.ID, full.OFXStatus))
		keep(fmt.Sprintf("run %d", r.ID), full)
	}
	var failed int
	for _, r := range runs {
		if r.Outcome == bankfeed.OutcomeFailed {
			failed++
		}
	}
	if failed < 4 || len(runs)-failed < 7 {
		t.Errorf("%d runs, %d failed: the scenario did not go as planned", len(runs), failed)
	}

	// The database's files, once every write is in.
	if err := e.db.Close(); err != nil {
		t.Fatal(err)
	}
	var dbBytes int
	for _, suffix := range []string{"", "-wal", "-shm", "-journal"} {
		b, err := os.ReadFile(e.db.Path() + suffix)
		if os.IsNotExist(err) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		dbBytes += len(b)
		if suffix == "" && !bytes.Contains(b, []byte("[redacted]")) {
			t.Error("no transcript in the database file: did its writes reach it?")
		}
		texts = append(texts, "database file"+suffix+": "+string(b))
	}
	logText := logBuf.String()
	texts = append(texts, "log: "+logText)
	t.Logf("searched %d texts (%d runs, %d transcripts, %d log bytes, %d database bytes) for %d passwords",
		len(texts), len(runs), transcripts, len(logText), dbBytes, len(secrets))
	if logText == "" {
		t.Error("nothing logged")
	}
	for _, pw := range secrets {
		for _, f := range passwordForms(pw) {
			for _, text := range texts {
				if i := strings.Index(text, f); i >= 0 {
					what, _, _ := strings.Cut(text, ": ")
					t.Errorf("password %q shows as %q in %s: …%s…", pw, f, what, text[max(0, i-80):min(len(text), i+len(f)+40)])
				}
			}
		}
	}
}
