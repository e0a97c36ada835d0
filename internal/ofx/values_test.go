package ofx

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// The tests of this file hold the reader's values to issue 2: amounts in
// every form banks write them, exact to the digit; dates in every OFX form
// and zone; an unusable value is an error here and a warning in a file.

// TestParseAmount reads amounts as banks write them. want is the exact
// decimal, with the scale the bank sent.
func TestParseAmount(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    string
		wantErr string
	}{
		{name: "plain negative", in: "-12.00", want: "-12.00"},
		{name: "plus sign", in: "+16.00", want: "16.00"},
		{name: "integer", in: "42", want: "42"},
		{name: "leading point", in: ".5", want: "0.5"},
		{name: "trailing point", in: "12.", want: "12"},
		{name: "comma decimal", in: "-530,86", want: "-530.86"},
		{name: "dot thousands, comma decimal", in: "1.234,56", want: "1234.56"},
		{name: "comma thousands, dot decimal", in: "1,234.56", want: "1234.56"},
		{name: "several comma thousands", in: "1,234,567.89", want: "1234567.89"},
		{name: "several comma thousands, no decimals", in: "12,345,678", want: "12345678"},
		{name: "several dot thousands, no decimals", in: "1.234.567", want: "1234567"},
		// One comma and nothing else is a decimal comma: "1,234" is 1.234,
		// as European banks mean it; a US thousands separator alone is
		// indistinguishable and rarer in OFX, whose amounts have no grouping.
		{name: "lone comma before three digits is ambiguous", in: "1,234", wantErr: "is ambiguous"},
		{name: "lone comma before two digits is a decimal comma", in: "1234,56", want: "1234.56"},
		{name: "lone comma after four digits is a decimal comma", in: "1234,567", want: "1234.567"},
		{name: "space thousands", in: "1 234,56", want: "1234.56"},
		{name: "no-break space thousands", in: "1\u00a0234,56", want: "1234.56"},
		{name: "apostrophe thousands", in: "1'234.56", want: "1234.56"},
		{name: "dollar", in: "$120", want: "120"},
		{name: "negative dollar", in: "-$120.50", want: "-120.50"},
		{name: "dollar then sign", in: "$-120.50", want: "-120.50"},
		{name: "real with symbol and space", in: "R$ 1.234,56", want: "1234.56"},
		{name: "euro", in: "€12,50", want: "12.50"},
		{name: "euro after", in: "12,50 €", want: "12.50"},
		{name: "pound", in: "£7.99", want: "7.99"},
		{name: "currency code", in: "EUR 12,50", want: "12.50"},
		{name: "parentheses are negative", in: "(12.00)", want: "-12.00"},
		{name: "parentheses with a symbol", in: "($1,234.00)", want: "-1234.00"},
		{name: "trailing minus", in: "12.00-", want: "-12.00"},
		{name: "unicode minus", in: "\u221212.00", want: "-12.00"},
		{name: "zero padded", in: "-00000000002571.4500", want: "-2571.4500"},
		{name: "spaces around", in: "  -11,76 ", want: "-11.76"},
		{name: "tab and newline around", in: "\t-11.76\n", want: "-11.76"},
		{name: "scale kept", in: "-3.77000", want: "-3.77000"},
		{name: "scale kept with a comma", in: "-3,77000", want: "-3.77000"},
		{name: "negative zero", in: "-0.00", want: "0.00"},
		{name: "20 integer digits", in: "12345678901234567890.12", want: "12345678901234567890.12"},
		{name: "20 decimal places", in: "-0.12345678901234567890", want: "-0.12345678901234567890"},
		{name: "20 digits with a comma decimal", in: "-12345678901234567890,5", want: "-12345678901234567890.5"},
		{name: "many digits", in: "-10520.15991211279502", want: "-10520.15991211279502"},

		{name: "empty", in: "", wantErr: `"" is empty`},
		{name: "blank", in: "   ", wantErr: `"   " is empty`},
		{name: "letters", in: "abc", wantErr: `"abc" has unexpected letters`},
		{name: "debit marker", in: "12.00 DR", want: "-12.00"},
		{name: "credit marker", in: "12.00 CR", want: "12.00"},
		{name: "debit marker and minus", in: "-12.00 DR", wantErr: "more than one sign"},
		{name: "currency code", in: "EUR 12,50", want: "12.50"},
		{name: "two unknown letters", in: "12.00 XX", wantErr: "unexpected letters"},
		{name: "dot thousands", in: "1.234.567", want: "1234567"},
		{name: "comma thousands", in: "1,234,567", want: "1234567"},
		{name: "dot groups not of three", in: "1.2.3", wantErr: "misplaced separators"},
		{name: "comma groups not of three", in: "12,34,567.00", wantErr: "misplaced separators"},
		{name: "thousands with a decimal comma", in: "12.345.678,90", want: "12345678.90"},
		{name: "currency only", in: "$", wantErr: `"$" has no digits`},
		{name: "sign only", in: "-", wantErr: `"-" has no digits`},
		{name: "two signs", in: "--1", wantErr: `"--1" has more than one sign`},
		{name: "plus and minus", in: "+1-", wantErr: `"+1-" has more than one sign`},
		// Two commas after the last dot fit neither 1.234,56 nor
		// 1,234.56: refused rather than guessed.
		{name: "separators in no known order", in: "1.2.3,4,5", wantErr: `"1.2.3,4,5" has misplaced separators`},
		{name: "comma thousands after a dot", in: "1.234,567,89", wantErr: "misplaced separators"},
		{name: "exponent", in: "1e5", wantErr: "has unexpected letters"},
		{name: "hexadecimal", in: "0x10", wantErr: "has unexpected letters"},
		{name: "unbalanced parenthesis", in: "(12.00", wantErr: "has an unexpected character"},
		{name: "NaN", in: "NaN", wantErr: "has no digits"},
		{name: "too many digits", in: strings.Repeat("9", 61), wantErr: "is not a number"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseAmount(tc.in)
			if tc.wantErr != "" {
				if err == nil {
					t.Fatalf("ParseAmount(%q) = %s, want an error", tc.in, got)
				}
				if !errors.Is(err, ErrAmount) || !strings.Contains(err.Error(), tc.wantErr) {
					t.Errorf("ParseAmount(%q) error = %v, want one wrapping ErrAmount containing %q", tc.in, err, tc.wantErr)
				}
				var fe *FieldError
				if !errors.As(err, &fe) || fe.Value != tc.in {
					t.Errorf("error %v is not a *FieldError with the value", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseAmount(%q): %v", tc.in, err)
			}
			if got.String() != tc.want {
				t.Errorf("ParseAmount(%q) = %s, want %s", tc.in, got, tc.want)
			}
		})
	}
}

// TestReaderAmounts proves that amounts read from a file are exact, keep
// their scale, accept the tolerant forms, and sum exactly.
func TestReaderAmounts(t *testing.T) {
	tests := []struct {
		name       string
		in         []string // TRNAMT values
		wantAmts   []string
		wantSum    string
		wantLedger string
	}{
		{"plain", []string{"-12.00", "+16.00", "0.01"}, []string{"-12.00", "16.00", "0.01"}, "4.01", "100.00"},
		{"scale kept", []string{"-3.77000", "1.1"}, []string{"-3.77000", "1.1"}, "-2.67000", "100.00"},
		{"tolerant forms", []string{"-530,86", "1.234,56", "$120", "(12.00)", "12.00-", "R$ 1.234,56", "-00000000002571.4500", "  -11,76 "},
			[]string{"-530.86", "1234.56", "120", "-12.00", "-12.00", "1234.56", "-2571.4500", "-11.76"}, "-548.9500", "100.00"},
		{"20-digit amounts", []string{"99999999999999999999.99", "0.01", "-0.000000000000000000001"},
			[]string{"99999999999999999999.99", "0.01", "-0.000000000000000000001"}, "99999999999999999999.999999999999999999999", "100.00"},
		{"no float rounding", []string{"0.1", "0.2", "-0.3"}, []string{"0.1", "0.2", "-0.3"}, "0.0", "100.00"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var trns strings.Builder
			for i, a := range tc.in {
				trns.WriteString(rdTrn(string(rune('a'+i)), a, "N"))
			}
			for _, doc := range []string{rdBankSGML(rdSGMLHeader, trns.String()),
				strings.Replace(rdBankSGML(rdSGMLHeader, trns.String()), "<BALAMT>100.00", "<BALAMT>100,00", 1)} {
				resp := rdRead(t, doc)
				st := resp.Statements[0]
				var got []string
				for _, tx := range st.Transactions {
					got = append(got, tx.Amount.String())
				}
				if diff := cmp.Diff(tc.wantAmts, got); diff != "" {
					t.Errorf("amounts (-want +got):\n%s", diff)
				}
				if st.Sum.String() != tc.wantSum || st.Ledger.Amount.String() != tc.wantLedger {
					t.Errorf("sum %s ledger %s, want %s %s", st.Sum, st.Ledger.Amount, tc.wantSum, tc.wantLedger)
				}
				if len(resp.Warnings) != 0 {
					t.Errorf("warnings: %q", resp.Warnings)
				}
			}
		})
	}
}

// rdZone is a fixed zone as a date's location should be.
type rdZone struct {
	Name   string
	Offset int // seconds east of UTC
}

// TestParseDate reads every OFX date form and zone. want is the wall clock
// as written, in the zone the bank named; an impossible date is an error.
func TestParseDate(t *testing.T) {
	type want struct {
		Time    string // RFC 3339 with nanoseconds, in the date's own zone
		Zone    rdZone
		Day     string
		HasTime bool
	}
	utc := rdZone{"UTC", 0}
	est := rdZone{"EST", -5 * 3600}
	tests := []struct {
		name    string
		in      string
		want    want
		wantErr string
	}{
		{name: "YYYYMMDD", in: "20240131", want: want{"2024-01-31T00:00:00Z", utc, "2024-01-31", false}},
		{name: "zone by name only", in: "20240131120000[EST]", want: want{"2024-01-31T12:00:00-05:00", est, "2024-01-31", true}},
		{name: "empty zone: date kept as UTC", in: "20240131120000[]", wantErr: "has an empty zone; read as UTC"},
		{name: "zone beyond 14 hours: date kept as UTC", in: "20240131120000[+15]", wantErr: "has a bad zone"},
		{name: "YYYYMMDDHHMM", in: "202401311230", want: want{"2024-01-31T12:30:00Z", utc, "2024-01-31", true}},
		{name: "YYYYMMDDHHMMSS", in: "20240131123045", want: want{"2024-01-31T12:30:45Z", utc, "2024-01-31", true}},
		{name: "YYYYMMDDHH", in: "2024013112", want: want{"2024-01-31T12:00:00Z", utc, "2024-01-31", true}},
		{name: "milliseconds", in: "20240131123045.123", want: want{"2024-01-31T12:30:45.123Z", utc, "2024-01-31", true}},
		{name: "one fraction digit", in: "20240131123045.5", want: want{"2024-01-31T12:30:45.5Z", utc, "2024-01-31", true}},
		{name: "empty fraction", in: "20240131123045.", want: want{"2024-01-31T12:30:45Z", utc, "2024-01-31", true}},
		{name: "fraction of a date", in: "20240131.000", want: want{"2024-01-31T00:00:00Z", utc, "2024-01-31", false}},
		{name: "zone [-5:EST]", in: "20240131123045.000[-5:EST]", want: want{"2024-01-31T12:30:45-05:00", est, "2024-01-31", true}},
		{name: "zone on a date only", in: "20240131[-5:EST]", want: want{"2024-01-31T00:00:00-05:00", est, "2024-01-31", false}},
		{name: "zone [-4.5]", in: "20240131120000[-4.5]", want: want{"2024-01-31T12:00:00-04:30", rdZone{"UTC-04:30", -16200}, "2024-01-31", true}},
		{name: "zone [+5:30]", in: "20240131120000[+5:30]", want: want{"2024-01-31T12:00:00+05:30", rdZone{"UTC+05:30", 19800}, "2024-01-31", true}},
		{name: "zone [+5:30:IST]", in: "20240131120000[+5:30:IST]", want: want{"2024-01-31T12:00:00+05:30", rdZone{"IST", 19800}, "2024-01-31", true}},
		{name: "zone [+5:45]", in: "20240131120000[+5:45]", want: want{"2024-01-31T12:00:00+05:45", rdZone{"UTC+05:45", 20700}, "2024-01-31", true}},
		{name: "zone [0:GMT]", in: "20240131120000[0:GMT]", want: want{"2024-01-31T12:00:00Z", rdZone{"GMT", 0}, "2024-01-31", true}},
		{name: "zone [+0:UTC]", in: "20240131120000[+0:UTC]", want: want{"2024-01-31T12:00:00Z", rdZone{"UTC", 0}, "2024-01-31", true}},
		{name: "zone [-0300:BRT]", in: "20250423000000[-0300:BRT]", want: want{"2025-04-23T00:00:00-03:00", rdZone{"BRT", -3 * 3600}, "2025-04-23", true}},
		{name: "zone [+9:JST]", in: "20240131235959[+9:JST]", want: want{"2024-01-31T23:59:59+09:00", rdZone{"JST", 9 * 3600}, "2024-01-31", true}},
		{name: "zone [-8]", in: "20240131120000[-8]", want: want{"2024-01-31T12:00:00-08:00", rdZone{"UTC-08:00", -8 * 3600}, "2024-01-31", true}},
		{name: "zone [+14]", in: "20240131120000[+14]", want: want{"2024-01-31T12:00:00+14:00", rdZone{"UTC+14:00", 14 * 3600}, "2024-01-31", true}},
		// Day is the date as written, not the UTC date: 23:00 EST on
		// 31 December is already 1 January in UTC.
		{name: "day as written, not in UTC", in: "20231231230000[-5:EST]", want: want{"2023-12-31T23:00:00-05:00", est, "2023-12-31", true}},
		{name: "day as written, east of UTC", in: "20240101013000[+9:JST]", want: want{"2024-01-01T01:30:00+09:00", rdZone{"JST", 9 * 3600}, "2024-01-01", true}},
		{name: "leap day", in: "20240229", want: want{"2024-02-29T00:00:00Z", utc, "2024-02-29", false}},
		{name: "leap second", in: "20161231235960", want: want{"2016-12-31T23:59:59Z", utc, "2016-12-31", true}},
		{name: "spaces around", in: "  20240131 ", want: want{"2024-01-31T00:00:00Z", utc, "2024-01-31", false}},
		{name: "space before the zone", in: "20240131120000 [-5:EST]", want: want{"2024-01-31T12:00:00-05:00", est, "2024-01-31", true}},
		{name: "ISO date", in: "2025-04-23", want: want{"2025-04-23T00:00:00Z", utc, "2025-04-23", false}},
		{name: "day/month/year when the day is over 12", in: "23/04/2025", want: want{"2025-04-23T00:00:00Z", utc, "2025-04-23", false}},

		{name: "31 February", in: "20230231", wantErr: "is not a real date"},
		{name: "29 February of a common year", in: "20230229", wantErr: "is not a real date"},
		{name: "month 13", in: "20231301", wantErr: "is not a real date"},
		{name: "month 0", in: "20230001", wantErr: "is not a real date"},
		{name: "day 32", in: "20230132", wantErr: "is not a real date"},
		{name: "all zeros", in: "00000000", wantErr: "is not a real date"},
		{name: "all zeros with a time", in: "00000000000000", wantErr: "is not a real date"},
		{name: "hour 24", in: "20240131240000", wantErr: "is not a real date"},
		{name: "minute 60", in: "20240131126000", wantErr: "is not a real date"},
		{name: "empty", in: "", wantErr: "is empty"},
		{name: "too short", in: "2024013", wantErr: "has the wrong length"},
		{name: "too long", in: "202401311230456", wantErr: "has the wrong length"},
		{name: "letters", in: "2024JAN31", wantErr: "is not digits"},
		{name: "bad fraction", in: "20240131123045.1x", wantErr: "has a bad fraction of a second"},
		{name: "unclosed zone", in: "20240131120000[-5:EST", wantErr: "has an unclosed zone"},
		{name: "zone not a number", in: "20240131120000[NaN]", wantErr: "has an unknown zone"},
		{name: "beyond year 9999 in UTC", in: "99991231235959[-12:X]", wantErr: "is out of range"},
		{name: "zone only", in: "[-5:EST]", wantErr: "is not digits"},
		{name: "ambiguous day/month", in: "04/05/2025", wantErr: "is in an ambiguous day/month order"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d, err := ParseDate(tc.in)
			if errors.Is(err, ErrZone) {
				if !d.Valid || !strings.Contains(err.Error(), tc.wantErr) {
					t.Errorf("ParseDate(%q) = %+v, %v: want the date kept and an error containing %q", tc.in, d, err, tc.wantErr)
				}
				return
			}
			if tc.wantErr != "" {
				if err == nil {
					t.Fatalf("ParseDate(%q) = %v, want an error", tc.in, d.Time)
				}
				if !errors.Is(err, ErrDate) || !strings.Contains(err.Error(), tc.wantErr) {
					t.Errorf("ParseDate(%q) error = %v, want one wrapping ErrDate containing %q", tc.in, err, tc.wantErr)
				}
				if d.Valid || d.Raw != tc.in || d.Day() != "" {
					t.Errorf("ParseDate(%q) = %+v, want invalid with Raw kept", tc.in, d)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseDate(%q): %v", tc.in, err)
			}
			name, off := d.Time.Zone()
			got := want{Time: d.Time.Format(time.RFC3339Nano), Zone: rdZone{name, off}, Day: d.Day(), HasTime: d.HasTime}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("ParseDate(%q) (-want +got):\n%s", tc.in, diff)
			}
			if !d.Valid {
				t.Errorf("ParseDate(%q) not valid", tc.in)
			}
		})
	}
}

// TestParseDateBytesAgrees holds the reader's allocation-free date parser to
// ParseDate on every form, valid or not.
func TestParseDateBytesAgrees(t *testing.T) {
	for _, in := range []string{
		"20240131", "202401311230", "20240131123045", "2024013112", "20240131123045.123", "20240131123045.123456789",
		"20240131123045.1234567891", "20240131123045.", "20240131.5", "20240131[-5:EST]", "20240131123045.000[-5:EST]",
		"20240131120000[-4.5]", "20240131120000[+5:30]", "20240131120000[+5:30:IST]", "20240131120000[0:GMT]",
		"20250423000000[-0300:BRT]", "20240131235959[+9:JST]", "20231231230000[-5:EST]", "20240229", "20161231235960",
		"2025-04-23", "23/04/2025", " 20240131", "20240131 ", "20240131120000 [-5:EST]",
		"20230231", "20231301", "00000000", "00000000000000", "20240131240000", "", "2024013", "2024JAN31",
		"20240131123045.1x", "20240131120000[-5:EST", "20240131120000[]", "20240131120000[+15]", "[-5:EST]",
		"04/05/2025", "20240131120000[-5:EST]x", "20240131[", "99991231235959.999[+14]", "00010101[-12]",
	} {
		a, errA := ParseDate(in)
		b, errB := parseDateBytes([]byte(in))
		if (errA == nil) != (errB == nil) {
			t.Errorf("%q: ParseDate error %v, parseDateBytes error %v", in, errA, errB)
			continue
		}
		if errA != nil {
			if errA.Error() != errB.Error() || a.Raw != b.Raw || b.Valid != errors.Is(errB, ErrZone) {
				t.Errorf("%q: ParseDate %v (raw %q), parseDateBytes %v (raw %q)", in, errA, a.Raw, errB, b.Raw)
			}
			continue
		}
		an, ao := a.Time.Zone()
		bn, bo := b.Time.Zone()
		if !a.Time.Equal(b.Time) || an != bn || ao != bo || a.Day() != b.Day() || a.HasTime != b.HasTime || !b.Valid {
			t.Errorf("%q: ParseDate %v %s (time %v), parseDateBytes %v %s (time %v)", in, a.Time, an, a.HasTime, b.Time, bn, b.HasTime)
		}
	}
}

// TestFormatDate writes dates as OFX does, and what it writes reads back.
func TestFormatDate(t *testing.T) {
	tests := []struct {
		name string
		in   time.Time
		want string
	}{
		{"UTC", time.Date(2024, 1, 31, 12, 30, 45, 0, time.UTC), "20240131123045.000[0:GMT]"},
		{"named zone", time.Date(2024, 1, 31, 12, 30, 45, 123e6, time.FixedZone("EST", -5*3600)), "20240131123045.123[-5:EST]"},
		{"half-hour offset", time.Date(2024, 1, 31, 12, 0, 0, 0, time.FixedZone("UTC+05:30", 19800)), "20240131120000.000[+5.5]"},
		{"unnamed negative offset", time.Date(2024, 1, 31, 12, 0, 0, 0, time.FixedZone("", -4*3600-1800)), "20240131120000.000[-4.5]"},
		{"sub-millisecond truncated", time.Date(2024, 1, 31, 12, 0, 0, 999999, time.UTC), "20240131120000.000[0:GMT]"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := FormatDate(tc.in)
			if got != tc.want {
				t.Errorf("FormatDate = %q, want %q", got, tc.want)
			}
			back, err := ParseDate(got)
			if err != nil || !back.Time.Equal(tc.in.Truncate(time.Millisecond)) {
				t.Errorf("ParseDate(%q) = %v, %v; want %v", got, back.Time, err, tc.in)
			}
		})
	}
	if got := FormatDay(time.Date(2024, 2, 9, 23, 0, 0, 0, time.UTC)); got != "20240209" {
		t.Errorf("FormatDay = %q", got)
	}
}

// TestReaderDates proves that dates read from a file keep the zone and day
// the bank wrote, and that an impossible one is a warning on its field.
func TestReaderDates(t *testing.T) {
	doc := rdBankSGML(rdSGMLHeader,
		"<STMTTRN><TRNTYPE>DEBIT<DTPOSTED>20231231230000.000[-5:EST]<DTUSER>20231230<DTAVAIL>20240102[+9:JST]<TRNAMT>-1.00<FITID>1</STMTTRN>\n"+
			"<STMTTRN><TRNTYPE>DEBIT<DTPOSTED>20230231<DTUSER>20231301<TRNAMT>-2.00<FITID>2</STMTTRN>\n")
	resp := rdRead(t, doc)
	txs := resp.Statements[0].Transactions
	got := []string{txs[0].Posted.Time.Format(time.RFC3339), txs[0].Posted.Day(), txs[0].User.Day(), txs[0].Avail.Time.Format(time.RFC3339),
		txs[1].Posted.Day(), txs[1].Posted.Raw, txs[1].User.Raw}
	want := []string{"2023-12-31T23:00:00-05:00", "2023-12-31", "2023-12-30", "2024-01-02T00:00:00+09:00", "", "20230231", "20231301"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("dates (-want +got):\n%s", diff)
	}
	wantWarns := []string{
		`line 16: <DTPOSTED> "20230231" is not a real date; the date is not used`,
		`line 16: <DTUSER> "20231301" is not a real date; the date is not used`,
	}
	if diff := cmp.Diff(wantWarns, resp.Warnings); diff != "" {
		t.Errorf("warnings (-want +got):\n%s", diff)
	}
	if st := resp.Statements[0]; st.Count != 2 || st.Sum.String() != "-3.00" || st.Start.Day() != "2024-01-01" || st.End.Day() != "2024-01-31" {
		t.Errorf("count %d sum %s period %s..%s", st.Count, st.Sum, st.Start.Day(), st.End.Day())
	}
}
