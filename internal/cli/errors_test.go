package cli

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/bankfeed/bankfeed"
)

func TestErrorsCmd(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		want     []string // in the output, in this order
		wantNot  []string
		wantCode int
		wantErr  string
	}{
		{
			name: "the catalogue",
			args: []string{"errors"},
			want: []string{"CODE", "CLASS", "WHAT HAPPENED", "FIXES ITSELF", "ELSEWHERE",
				"BF-101  net.offline", "BF-301  bank.maintenance", "The bank is down for maintenance", "QuickBooks 102, 105; OFX 2000",
				"BF-401  auth.invalid_credentials", "BF-901  engine.internal", "bankfeed errors CODE"},
		},
		{
			name: "QuickBooks Error 102 is two classes",
			args: []string{"errors", "Error 102"},
			want: []string{`"Error 102" may be any of 2 failures`, "BF-301  The bank is down for maintenance",
				"class bank.maintenance", "What happened", "Is your data at risk? No.", "Nothing was written",
				"What to do", "  1. Nothing: bankfeed waits", "  2. ", "Automatic retry", "Three quick retries",
				"Time to fix", "Usually 2–4 hours", "When to call the bank or an expert",
				"Other programs' codes for it", "QuickBooks 102:", "HTTP 503:",
				"BF-302  The bank's server answered with an error", "QuickBooks OL-393:"},
		},
		{
			name: "as two arguments",
			args: []string{"errors", "QuickBooks", "102"},
			want: []string{"BF-301", "BF-302"},
		},
		{
			name:    "an OFX code",
			args:    []string{"errors", "15500"},
			want:    []string{"BF-401  The bank rejected the user ID or password", "a problem with your login: yes", "bankfeed connection password NAME", "OFX 15500:"},
			wantNot: []string{"may be any of", "BF-301"},
		},
		{
			name: "our code in lower case",
			args: []string{"errors", "bf-402"},
			want: []string{"BF-402  The bank locked the login", "1. Call the bank"},
		},
		{
			name:     "an unknown code",
			args:     []string{"errors", "XYZ-42"},
			wantCode: exitFailure,
			wantErr:  `no failure class matches "XYZ-42": bankfeed errors lists them all`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := run(t, "", tt.args...)
			if code != tt.wantCode {
				t.Fatalf("exit %d, want %d; stderr: %s", code, tt.wantCode, errOut)
			}
			if tt.wantErr != "" && !strings.Contains(errOut, tt.wantErr) {
				t.Errorf("stderr %q, want it to say %q", errOut, tt.wantErr)
			}
			rest := out
			for _, w := range tt.want {
				i := strings.Index(rest, w)
				if i < 0 {
					t.Errorf("no %q (in this order) in:\n%s", w, out)
					break
				}
				rest = rest[i+len(w):]
			}
			for _, w := range tt.wantNot {
				if strings.Contains(out, w) {
					t.Errorf("%q in:\n%s", w, out)
				}
			}
		})
	}
}

// TestErrorsCmdLines: the table has one line per class, and a card's
// paragraphs fit 80 columns.
func TestErrorsCmdLines(t *testing.T) {
	_, out, _ := run(t, "", "errors")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if rows := strings.Count(out, "\nBF-"); rows != len(bankfeed.FailureClasses) {
		t.Errorf("%d rows for %d classes:\n%s", rows, len(bankfeed.FailureClasses), out)
	}
	if !strings.HasPrefix(lines[0], "CODE") {
		t.Errorf("no header: %q", lines[0])
	}
	for _, c := range bankfeed.FailureClasses {
		_, out, errOut := run(t, "", "errors", string(c))
		if !strings.HasPrefix(out, c.Info().Code+"  ") {
			t.Errorf("errors %s: %q %s", c, out, errOut)
		}
		for _, l := range strings.Split(out, "\n") {
			if n := len([]rune(l)); n > 80 {
				t.Errorf("errors %s: a line of %d runes: %q", c, n, l)
			}
		}
	}
}

func TestErrorsCmdJSON(t *testing.T) {
	code, out, errOut := run(t, "", "errors", "--json", "ITEM_LOGIN_REQUIRED")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var got []bankfeed.ClassInfo
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	if len(got) != 2 || got[0].Class != bankfeed.FailMFARequired || got[1].Class != bankfeed.FailConsentExpired {
		t.Fatalf("got %+v", got)
	}
	if got[0].Code != "BF-403" || got[0].Retry != bankfeed.RetryNever || len(got[0].Steps) == 0 || len(got[0].Equivalents) == 0 {
		t.Errorf("card %+v", got[0])
	}
	for _, key := range []string{`"retry_policy"`, `"data_risk"`, `"time_to_fix"`, `"equivalents"`, `"needs_user"`} {
		if !strings.Contains(out, key) {
			t.Errorf("no %s in %s", key, out)
		}
	}

	_, out, _ = run(t, "", "errors", "--json")
	var all []bankfeed.ClassInfo
	if err := json.Unmarshal([]byte(out), &all); err != nil || len(all) != len(bankfeed.FailureClasses) {
		t.Errorf("errors --json: %d cards, %v", len(all), err)
	}
}
