package match

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestTwins(t *testing.T) {
	coffee := func(key int64, day Day) Line { return open(key, day, -975, "SQ *BLUE BOTTLE COFFEE") }
	typed := func(key int64, day Day) Entry { return entry(key, day, -975, "Blue Bottle") }
	tests := []struct {
		name    string
		lines   []Line
		entries []Entry
		want    []Zone
	}{
		{
			name:    "two lines and two entries alike, two days after: each pair is sure without its twin",
			lines:   []Line{coffee(1, D0+2), coffee(2, D0+2)},
			entries: []Entry{typed(10, D0), typed(11, D0)},
			want:    []Zone{ZoneAuto, ZoneAuto},
		},
		{
			name:    "three lines, three entries alike",
			lines:   []Line{coffee(1, D0+1), coffee(2, D0+1), coffee(3, D0+1)},
			entries: []Entry{typed(10, D0), typed(11, D0), typed(12, D0)},
			want:    []Zone{ZoneAuto, ZoneAuto, ZoneAuto},
		},
		{
			name:    "one line, two entries alike: its twin may be still to come",
			lines:   []Line{coffee(1, D0+1)},
			entries: []Entry{typed(10, D0), typed(11, D0)},
			want:    []Zone{ZoneSuggest},
		},
		{
			name:    "two lines alike, entries a day apart: repeats, not twins",
			lines:   []Line{coffee(1, D0+1), coffee(2, D0+1)},
			entries: []Entry{typed(10, D0), typed(11, D0+1)},
			want:    []Zone{ZoneSuggest, ZoneSuggest},
		},
		{
			name:    "lines of two descriptors: not alike",
			lines:   []Line{coffee(1, D0+1), open(2, D0+1, -975, "BLUE BOTTLE 0800")},
			entries: []Entry{typed(10, D0), typed(11, D0)},
			want:    []Zone{ZoneSuggest, ZoneSuggest},
		},
		{
			name:    "twins, and a third entry of the price four days on: a repeat that is no twin",
			lines:   []Line{coffee(1, D0+1), coffee(2, D0+1)},
			entries: []Entry{typed(10, D0), typed(11, D0), typed(12, D0+4)},
			want:    []Zone{ZoneSuggest, ZoneSuggest},
		},
		{
			name:    "twins below the bar without their twin (a line 5 days after)",
			lines:   []Line{coffee(1, D0+5), coffee(2, D0+5)},
			entries: []Entry{typed(10, D0), typed(11, D0)},
			want:    []Zone{ZoneSuggest, ZoneSuggest},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := Process(&Batch{Open: tt.lines, Entries: tt.entries})
			var got []Zone
			seen := map[int64]bool{}
			for _, lp := range p.Lines {
				got = append(got, lp.Zone)
				if lp.Zone == ZoneAuto {
					if seen[lp.Entry] {
						t.Errorf("entry %d matched twice", lp.Entry)
					}
					seen[lp.Entry] = true
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("zones (-want +got):\n%s", diff)
			}
		})
	}
}
