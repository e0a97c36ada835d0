package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bankfeed/bankfeed"
	"github.com/bankfeed/bankfeed/internal/store"
)

// lockedBuffer is a buffer that a server's goroutines write while a test
// reads it.
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

// failServer is a server over a new store, with its own log and the HTTP
// server's log in buffers, and the public test routes handlers gives.
func failServer(t *testing.T, handlers map[string]HandlerFunc) (ts *httptest.Server, logged, httpLog *lockedBuffer) {
	t.Helper()
	db, err := store.Open(t.Context(), t.TempDir(), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	logged, httpLog = &lockedBuffer{}, &lockedBuffer{}
	srv, err := New(Options{DB: db, Logger: slog.New(slog.NewTextHandler(logged, nil))})
	if err != nil {
		t.Fatal(err)
	}
	for pattern, h := range handlers {
		srv.handle(pattern, Public, h)
	}
	ts = httptest.NewUnstartedServer(srv.Handler())
	ts.Config.ErrorLog = log.New(httpLog, "", 0)
	ts.Start()
	t.Cleanup(ts.Close)
	return ts, logged, httpLog
}

// TestFailAfterAnswerBegan: an error returned by a handler that already
// sent its status is logged, not answered: the caller gets the status and
// the body the handler sent, whole, and the HTTP server sees no second
// status.
func TestFailAfterAnswerBegan(t *testing.T) {
	boom := errors.New("disk on fire")
	tests := []struct {
		name       string
		path       string
		h          HandlerFunc
		wantStatus int
		wantBody   string
	}{
		{
			name: "api JSON sent, then an internal error",
			path: "/api/v1/test/json",
			h: func(w http.ResponseWriter, r *http.Request) error {
				if err := writeJSON(w, http.StatusOK, map[string]int{"n": 1}); err != nil {
					return err
				}
				return boom
			},
			wantStatus: http.StatusOK,
			wantBody:   `{"n":1}` + "\n",
		},
		{
			name: "api status only, then a domain error",
			path: "/api/v1/test/status",
			h: func(w http.ResponseWriter, r *http.Request) error {
				w.WriteHeader(http.StatusAccepted)
				return bankfeed.Errorf(bankfeed.EInvalid, "amount: not a number")
			},
			wantStatus: http.StatusAccepted,
		},
		{
			name: "page half written, then an error",
			path: "/test/page",
			h: func(w http.ResponseWriter, r *http.Request) error {
				w.Header().Set("Content-Type", "text/html; charset=utf-8")
				fmt.Fprint(w, "<p>half a page")
				return fmt.Errorf("render page: %w", boom)
			},
			wantStatus: http.StatusOK,
			wantBody:   "<p>half a page",
		},
		{
			name: "stream flushed, then an error",
			path: "/api/v1/test/flushed",
			h: func(w http.ResponseWriter, r *http.Request) error {
				fmt.Fprint(w, "data: 1\n\n")
				if err := http.NewResponseController(w).Flush(); err != nil {
					return err
				}
				return boom
			},
			wantStatus: http.StatusOK,
			wantBody:   "data: 1\n\n",
		},
		{
			name: "flushed before anything was written, then an error",
			path: "/api/v1/test/flushed-empty",
			h: func(w http.ResponseWriter, r *http.Request) error {
				w.(http.Flusher).Flush()
				return boom
			},
			wantStatus: http.StatusOK,
		},
	}
	handlers := map[string]HandlerFunc{}
	for _, tt := range tests {
		handlers["GET "+tt.path] = tt.h
	}
	ts, logged, httpLog := failServer(t, handlers)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := ts.Client().Get(ts.URL + tt.path)
			if err != nil {
				t.Fatal(err)
			}
			body, err := io.ReadAll(res.Body)
			res.Body.Close()
			if err != nil {
				t.Fatal(err)
			}
			if res.StatusCode != tt.wantStatus || string(body) != tt.wantBody {
				t.Errorf("got %d %q, want %d %q", res.StatusCode, body, tt.wantStatus, tt.wantBody)
			}
			want := fmt.Sprintf("path=%s status=%d", tt.path, tt.wantStatus)
			if got := logged.String(); !strings.Contains(got, "request failed after its answer began") || !strings.Contains(got, want) {
				t.Errorf("log has no line for the failure after the answer (%s):\n%s", want, got)
			}
		})
	}
	if got := httpLog.String(); strings.Contains(got, "superfluous") {
		t.Errorf("the HTTP server saw a second status:\n%s", got)
	}
}

// TestFailBeforeAnswer: an error returned before anything was sent is
// answered as always: its code's status and the API's JSON error.
func TestFailBeforeAnswer(t *testing.T) {
	ts, logged, _ := failServer(t, map[string]HandlerFunc{
		"GET /api/v1/test/invalid": func(w http.ResponseWriter, r *http.Request) error {
			w.Header().Set("X-Test", "set before the error") // a header alone begins nothing
			return bankfeed.Errorf(bankfeed.EInvalid, "amount: not a number")
		},
	})
	res, err := ts.Client().Get(ts.URL + "/api/v1/test/invalid")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var body apiError
	if err := json.NewDecoder(res.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != http.StatusBadRequest || body.Error.Code != bankfeed.EInvalid || body.Error.Message != "amount: not a number" {
		t.Errorf("got %d %+v, want 400 invalid", res.StatusCode, body.Error)
	}
	if got := logged.String(); strings.Contains(got, "after its answer began") {
		t.Errorf("logged as a failure after the answer:\n%s", got)
	}
}

// TestAnswerWriterPassesThrough: behind the writer that remembers the
// answer's status, a route can still flush (server-sent events) and reach
// the connection through http.ResponseController (Unwrap).
func TestAnswerWriterPassesThrough(t *testing.T) {
	ts, _, _ := failServer(t, map[string]HandlerFunc{
		"GET /api/v1/test/stream": func(w http.ResponseWriter, r *http.Request) error {
			if _, ok := w.(http.Flusher); !ok {
				return errors.New("no http.Flusher")
			}
			rc := http.NewResponseController(w)
			if err := rc.SetWriteDeadline(time.Now().Add(time.Minute)); err != nil {
				return fmt.Errorf("set write deadline: %w", err)
			}
			w.Header().Set("Content-Type", "text/event-stream")
			fmt.Fprint(w, "retry: 3000\n\n")
			return rc.Flush()
		},
	})
	res, err := ts.Client().Get(ts.URL + "/api/v1/test/stream")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || string(body) != "retry: 3000\n\n" {
		t.Errorf("got %d %q", res.StatusCode, body)
	}
}

// TestAnsweringWrapsOnce: a route served outside the server's chain gets
// a writer that remembers its status; one inside it keeps the chain's.
func TestAnsweringWrapsOnce(t *testing.T) {
	rec := httptest.NewRecorder()
	w := answering(rec)
	if answerOf(w) == nil {
		t.Fatal("a bare writer was not wrapped")
	}
	sw := &statusWriter{ResponseWriter: rec}
	if got := answering(sw); got != http.ResponseWriter(sw) {
		t.Errorf("wrapped again: %T", got)
	}
	// Found through another wrapper's Unwrap.
	if answerOf(http.ResponseWriter(&unwrapper{sw})) != sw {
		t.Error("not found behind Unwrap")
	}
}

type unwrapper struct{ http.ResponseWriter }

func (u *unwrapper) Unwrap() http.ResponseWriter { return u.ResponseWriter }
