package web

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/bankfeed/bankfeed"
	"github.com/bankfeed/bankfeed/internal/syncer"
)

func init() { routeSets = append(routeSets, (*Server).eventRoutes) }

// Event is one step of a running sync, as /api/v1/events streams it.
type Event struct {
	ConnectionID bankfeed.ConnectionID `json:"connection_id"`
	Connection   string                `json:"connection"`
	AccountID    bankfeed.AccountID    `json:"account_id,omitempty"`
	Account      string                `json:"account,omitempty"` // masked number
	// Step is waiting, fetching, importing, done, failed or skipped.
	Step    string    `json:"step"`
	Outcome string    `json:"outcome,omitempty"`
	Class   string    `json:"failure_class,omitempty"`
	New     int       `json:"new_lines,omitempty"`
	RunID   int64     `json:"run_id,omitempty"`
	Why     string    `json:"why,omitempty"`
	At      time.Time `json:"at"`
}

func eventOf(ev syncer.Event) Event {
	e := Event{Step: ev.Step, Why: ev.Why, At: time.Now().UTC()}
	if c := ev.Connection; c != nil {
		e.ConnectionID, e.Connection = c.ID, c.Name
	}
	if a := ev.Account; a != nil {
		e.AccountID, e.Account = a.AccountID, maskNumber(a.Number)
	}
	if r := ev.Run; r != nil {
		e.Outcome, e.Class, e.New, e.RunID = r.Outcome, r.FailureClass, r.New, int64(r.ID)
	}
	return e
}

// maskNumber shows the last four characters of an account number.
func maskNumber(n string) string {
	if len(n) <= 4 {
		return n
	}
	return "…" + n[len(n)-4:]
}

// Hub fans sync events out to the pages that watch them. A slow watcher
// misses events rather than slowing a sync.
type Hub struct {
	mu   sync.Mutex
	subs map[chan Event]struct{}
}

func newHub() *Hub { return &Hub{subs: map[chan Event]struct{}{}} }

func (h *Hub) publish(ev syncer.Event) {
	e := eventOf(ev)
	h.mu.Lock()
	defer h.mu.Unlock()
	for ch := range h.subs {
		select {
		case ch <- e:
		default: // full: this watcher misses it
		}
	}
}

func (h *Hub) subscribe() (<-chan Event, func()) {
	ch := make(chan Event, 64)
	h.mu.Lock()
	h.subs[ch] = struct{}{}
	h.mu.Unlock()
	return ch, func() {
		h.mu.Lock()
		delete(h.subs, ch)
		h.mu.Unlock()
	}
}

func (s *Server) eventRoutes() {
	s.handle("GET /api/v1/events", Viewer, s.events)
}

// events streams sync progress as server-sent events ("event: sync"), with a
// comment every 15 seconds to keep the connection open.
func (s *Server) events(w http.ResponseWriter, r *http.Request) error {
	fl, ok := w.(http.Flusher)
	if !ok {
		return fmt.Errorf("web: streaming unsupported")
	}
	ch, cancel := s.hub.subscribe()
	defer cancel()
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	fmt.Fprint(w, "retry: 3000\n\n")
	fl.Flush()
	tick := time.NewTicker(15 * time.Second)
	defer tick.Stop()
	for {
		select {
		case <-r.Context().Done():
			return nil
		case <-s.done():
			return nil
		case <-tick.C:
			fmt.Fprint(w, ": keep-alive\n\n")
		case e := <-ch:
			b, _ := json.Marshal(e)
			fmt.Fprintf(w, "event: sync\ndata: %s\n\n", b)
		}
		fl.Flush()
	}
}
