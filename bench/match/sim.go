package main

// Run simulates the world day by day and measures the books at the end.
// Each day: the user types what is due, the bank delivers and the engine's
// plan is applied (with twice, the same deliveries come again at once), the
// user types what it types after seeing the bank line, the engine matches
// the queue again if an entry was typed, and the user resolves the queue.
func Run(w *World, twice bool) *Metrics {
	m := newMetrics()
	m.seed = w.Seed
	b := NewBooks(w, m)
	for t := w.Start; t <= w.End; t++ {
		b.typeEntries(t, false)
		if bundles := w.Deliveries(t); len(bundles) > 0 {
			b.round(t, bundles)
			if twice {
				m.repeat = true
				b.round(t, bundles)
				m.repeat = false
			}
		}
		n := len(b.entries)
		b.typeEntries(t, true)
		if len(b.entries) > n && (len(b.queue()) > 0 || len(b.provisional(t)) > 0) {
			b.round(t, nil)
		}
		b.resolve(t)
	}
	m.finish(b)
	return m
}
