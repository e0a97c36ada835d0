package main

import (
	"reflect"
	"testing"
)

func TestGenerateIsDeterministic(t *testing.T) {
	nz := noises["tuning"]
	a, b := Generate(7, 90, nz), Generate(7, 90, nz)
	if !reflect.DeepEqual(a, b) {
		t.Fatal("the same seed made two different worlds")
	}
	if c := Generate(8, 90, nz); reflect.DeepEqual(a.Events, c.Events) {
		t.Fatal("seeds 7 and 8 made the same events")
	}
	for d := a.Start; d <= a.End; d++ {
		if !reflect.DeepEqual(a.Deliveries(d), b.Deliveries(d)) {
			t.Fatalf("the same seed delivered differently on %s", d)
		}
	}
}

// count runs over every seed's world and counts what f counts, over what
// it counts from.
func count(nz Noise, f func(w *World) (n, of int)) float64 {
	n, of := 0, 0
	for seed := uint64(1); seed <= 5; seed++ {
		a, b := f(Generate(seed, 120, nz))
		n, of = n+a, of+b
	}
	if of == 0 {
		return 0
	}
	return float64(n) / float64(of)
}

func rekeyed(w *World) (int, int) {
	n, of := 0, 0
	for _, r := range w.Records {
		if !r.Pending {
			of++
			if len(r.ids) > 1 {
				n++
			}
		}
	}
	return n, of
}

func pendings(w *World) (int, int) {
	n, of := 0, 0
	for _, ev := range w.Events {
		if ev.Kind == Purchase {
			of++
		}
	}
	for _, r := range w.Records {
		if r.Pending {
			n++
		}
	}
	return n, of
}

func linked(w *World) (int, int) {
	n, of := 0, 0
	for _, r := range w.Records {
		if r.Pending {
			of++
		}
		if r.PendingOf != "" {
			n++
		}
	}
	return n, of
}

func twins(w *World) (int, int) {
	n := 0
	for i := 1; i < len(w.Events); i++ {
		a, b := w.Events[i-1], w.Events[i]
		if a.Kind == Purchase && b.Kind == Purchase && a.Day == b.Day && a.Payee == b.Payee && a.Legs[0] == b.Legs[0] {
			n++
		}
	}
	return n, len(w.Events)
}

func typed(w *World) (int, int) {
	n, of := 0, 0
	for _, ev := range w.Events {
		if ev.Kind != Check {
			of++
		}
	}
	for _, m := range w.Manuals {
		if w.Events[m.Event].Kind != Check {
			n++
		}
	}
	return n, of
}

func lateChecks(w *World) (int, int) {
	n, of := 0, 0
	for _, r := range w.Records {
		if w.Events[r.Truth.Event].Kind == Check {
			of++
			if r.Day-w.Events[r.Truth.Event].Day >= 21 {
				n++
			}
		}
	}
	return n, of
}

func shifted(w *World) (int, int) {
	n := 0
	for _, r := range w.Records {
		if r.DayAt(w.End) != r.Day {
			n++
		}
	}
	return n, len(w.Records)
}

func transfers(w *World) (int, int) {
	n := 0
	for _, ev := range w.Events {
		if ev.Kind == Transfer && (ev.Legs[0].Account == savings || ev.Legs[1].Account == savings) {
			n++
		}
	}
	return n, w.Days
}

func relinked(w *World) (int, int) {
	n, of := 0, 0
	for _, r := range w.Records {
		if r.Account == checking {
			of++
			if r.IDAt(w.End) != r.IDAt(r.From) {
				n++
			}
		}
	}
	return n, of
}

func TestNoiseKnobs(t *testing.T) {
	tests := []struct {
		name     string
		set      func(*Noise)
		measure  func(*World) (int, int)
		min, max float64
	}{
		{"no re-keys", func(n *Noise) { n.RekeyRate = 0 }, rekeyed, 0, 0},
		{"re-keys at 30%", func(n *Noise) { n.RekeyRate = 0.3 }, rekeyed, 0.25, 0.35},
		{"no pending", func(n *Noise) { n.PendingRate = 0 }, pendings, 0, 0},
		{"every purchase pending", func(n *Noise) { n.PendingRate = 1 }, pendings, 1, 1},
		{"pending never linked", func(n *Noise) { n.PendingRate, n.PendingLinkRate = 1, 0 }, linked, 0, 0},
		{"pending always linked", func(n *Noise) { n.PendingRate, n.PendingLinkRate = 1, 1 }, linked, 1, 1},
		{"no twins but chance repeats", func(n *Noise) { n.TwinRate = 0 }, twins, 0, 0.01},
		{"many twins", func(n *Noise) { n.TwinRate = 0.5 }, twins, 0.1, 0.5},
		{"nothing typed", func(n *Noise) { n.ManualRate = 0 }, typed, 0, 0},
		{"everything typed", func(n *Noise) { n.ManualRate = 1 }, typed, 1, 1},
		{"no late checks", func(n *Noise) { n.LateCheckRate = 0 }, lateChecks, 0, 0},
		{"every check late", func(n *Noise) { n.LateCheckRate = 1 }, lateChecks, 1, 1},
		{"no date shifts", func(n *Noise) { n.DateShiftRate = 0 }, shifted, 0, 0},
		{"every date shifted", func(n *Noise) { n.DateShiftRate = 1 }, shifted, 1, 1},
		{"no savings transfers", func(n *Noise) { n.TransferRate = 0 }, transfers, 0, 0},
		{"a savings transfer a day", func(n *Noise) { n.TransferRate = 1 }, transfers, 1, 1},
		{"no re-link", func(n *Noise) { n.RelinkDay, n.RekeyRate = 0, 0 }, relinked, 0, 0},
		{"re-link at day 60", func(n *Noise) { n.RelinkDay, n.RekeyRate = 60, 0 }, relinked, 0.3, 0.7},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			nz := noises["tuning"]
			tt.set(&nz)
			if got := count(nz, tt.measure); got < tt.min || got > tt.max {
				t.Errorf("got %.3f, want within [%.2f, %.2f]", got, tt.min, tt.max)
			}
		})
	}
}

func TestDeliveryModes(t *testing.T) {
	for _, mode := range []Mode{Daily, Monthly} {
		t.Run(string(mode), func(t *testing.T) {
			nz := noises["tuning"]
			nz.Mode = mode
			w := Generate(3, 90, nz)
			days, pending := 0, 0
			seen := map[*Record]bool{}
			for d := w.Start; d <= w.End; d++ {
				bs := w.Deliveries(d)
				if len(bs) > 0 {
					days++
				}
				for _, b := range bs {
					for _, r := range b.Records {
						seen[r.Rec] = true
						if r.Rec.Pending {
							pending++
						}
						if r.Day < b.From || r.Day > b.To {
							t.Fatalf("%s: record dated %s outside its delivery %s..%s", d, r.Day, b.From, b.To)
						}
					}
				}
			}
			for _, r := range w.Records {
				if !r.Pending && !seen[r] {
					t.Errorf("posted record %q of %s never delivered", r.Text, r.Day)
				}
			}
			total := int(w.End-w.Start) + 1
			switch mode {
			case Daily:
				if days != total || pending == 0 {
					t.Errorf("daily: deliveries on %d of %d days, %d pending lines delivered", days, total, pending)
				}
			case Monthly:
				if days > 3*(total/28+1) || pending != 0 {
					t.Errorf("monthly: deliveries on %d of %d days, %d pending lines delivered", days, total, pending)
				}
			}
		})
	}
}
