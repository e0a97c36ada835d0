package bankfeed

import (
	"encoding/json"
	"errors"
	"math/big"
	"testing"
)

func TestParseDecimal(t *testing.T) {
	tests := []struct {
		in      string
		want    string
		wantErr bool
	}{
		{in: "0", want: "0"},
		{in: "-12.00", want: "-12.00"},
		{in: "+16.00", want: "16.00"},
		{in: "-3.77000", want: "-3.77000"},
		{in: ".5", want: "0.5"},
		{in: "12.", want: "12"},
		{in: "-0.05", want: "-0.05"},
		{in: "-00000000002571.4500", want: "-2571.4500"},
		{in: "-10520.15991211279502", want: "-10520.15991211279502"},
		{in: "123456789012345678901234567890.12", want: "123456789012345678901234567890.12"},
		{in: "-9223372036854775808", want: "-9223372036854775808"},
		{in: "9223372036854775808", want: "9223372036854775808"},
		{in: "", wantErr: true},
		{in: "-", wantErr: true},
		{in: ".", wantErr: true},
		{in: "1.2.3", wantErr: true},
		{in: "1,5", wantErr: true},
		{in: "1e5", wantErr: true},
		{in: " 1", wantErr: true},
		{in: "12345678901234567890123456789012345678901234567890123456789012", wantErr: true}, // 62 digits
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			d, err := ParseDecimal(tc.in)
			b, errb := ParseDecimalBytes([]byte(tc.in))
			if (err != nil) != tc.wantErr || (errb != nil) != tc.wantErr {
				t.Fatalf("err %v / %v, want error %v", err, errb, tc.wantErr)
			}
			if tc.wantErr {
				if !errors.Is(err, ErrDecimalSyntax) {
					t.Errorf("error %v does not wrap ErrDecimalSyntax", err)
				}
				return
			}
			if d.String() != tc.want || b.String() != tc.want {
				t.Errorf("= %s / %s, want %s", d, b, tc.want)
			}
		})
	}
}

func TestDecimalArithmetic(t *testing.T) {
	tests := []struct {
		name, a, b, sum string
	}{
		{"same scale", "-1.50", "2.25", "0.75"},
		{"scales differ", "-30.000", "-3.77000", "-33.77000"},
		{"to zero", "12.34", "-12.34", "0.00"},
		{"int64 overflow goes big", "9223372036854775807", "1", "9223372036854775808"},
		{"negative overflow", "-9223372036854775808", "-1", "-9223372036854775809"},
		{"rescale overflow", "92233720368547758.07", "0.000000001", "92233720368547758.070000001"},
		{"big back to small", "9223372036854775808", "-1", "9223372036854775807"},
		{"fourteen places", "89325.90333114111124", "-89325.90333114111124", "0.00000000000000"},
		{"scales 14 and 17", "-10520.15991211279502", "10520.15991211279502000", "0.00000000000000000"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a, b := MustDecimal(tc.a), MustDecimal(tc.b)
			got := a.Add(b)
			if got.String() != tc.sum {
				t.Errorf("%s + %s = %s, want %s", tc.a, tc.b, got, tc.sum)
			}
			// Check against math/big independently.
			ra, _ := new(big.Rat).SetString(tc.a)
			rb, _ := new(big.Rat).SetString(tc.b)
			rs, _ := new(big.Rat).SetString(got.String())
			if new(big.Rat).Add(ra, rb).Cmp(rs) != 0 {
				t.Errorf("sum %s is not exact", got)
			}
			if !got.Sub(b).Equal(a) {
				t.Errorf("(%s) - %s != %s", got, tc.b, tc.a)
			}
		})
	}
}

func TestDecimalCompareAndCanonical(t *testing.T) {
	if !MustDecimal("-1.50").Equal(MustDecimal("-1.5")) || MustDecimal("1.5").Cmp(MustDecimal("1.49")) != 1 {
		t.Error("numeric comparison ignores scale")
	}
	if !MustDecimal("0.000").IsZero() || MustDecimal("-0.01").Sign() != -1 {
		t.Error("sign")
	}
	for in, want := range map[string]string{"3.77000": "3.77", "30.000": "30.00", "5": "5.00", "-0.10": "-0.10",
		"123456789012345678901234567890.1000": "123456789012345678901234567890.10"} {
		if got := MustDecimal(in).Canonical(2).String(); got != want {
			t.Errorf("Canonical(2) of %s = %s, want %s", in, got, want)
		}
	}
}

func TestDecimalMinorUnits(t *testing.T) {
	tests := []struct {
		in     string
		places int32
		want   int64
		ok     bool
	}{
		{"-12.34", 2, -1234, true},
		{"-3.77000", 2, -377, true},
		{"120", 2, 12000, true},
		{"1.005", 2, 0, false},
		{"1500", 0, 1500, true},
		{"1.234", 3, 1234, true},
		{"123456789012345678901234567890", 2, 0, false},
	}
	for _, tc := range tests {
		got, ok := MustDecimal(tc.in).MinorUnits(tc.places)
		if got != tc.want || ok != tc.ok {
			t.Errorf("MinorUnits(%s, %d) = %d, %v; want %d, %v", tc.in, tc.places, got, ok, tc.want, tc.ok)
		}
	}
}

func TestDecimalJSON(t *testing.T) {
	in := struct {
		Amount Decimal `json:"amount"`
	}{MustDecimal("-10520.15991211279502")}
	b, err := json.Marshal(in)
	if err != nil || string(b) != `{"amount":"-10520.15991211279502"}` {
		t.Fatalf("marshal = %s, %v: want the amount as an exact string", b, err)
	}
	var out struct {
		Amount Decimal `json:"amount"`
	}
	if err := json.Unmarshal(b, &out); err != nil || !out.Amount.Equal(in.Amount) {
		t.Fatalf("unmarshal = %v, %v", out.Amount, err)
	}
}

func TestErrorCodes(t *testing.T) {
	cause := errors.New("disk full")
	err := Errorf(EInvalid, "read %s: %w", "a.ofx", cause)
	if err.Error() != "read a.ofx: disk full" || !errors.Is(err, cause) || ErrorCodeOf(err) != EInvalid {
		t.Errorf("Errorf: %q, code %s", err, ErrorCodeOf(err))
	}
	if ErrorCodeOf(errors.New("x")) != EInternal || ErrorCodeOf(nil) != "" {
		t.Error("ErrorCodeOf of plain errors")
	}
}

func TestInstitutionKey(t *testing.T) {
	tests := []struct{ org, fid, bid, want string }{
		{"B1", "10898", "", "org=B1;fid=10898"},
		{"B1", "10898", "3000", "org=B1;fid=10898"},
		{"", "", "3000", "intu_bid=3000"},
		{"", "", "", ""},
	}
	for _, tc := range tests {
		if got := InstitutionKey(tc.org, tc.fid, tc.bid); got != tc.want {
			t.Errorf("InstitutionKey(%q, %q, %q) = %q, want %q", tc.org, tc.fid, tc.bid, got, tc.want)
		}
	}
}
