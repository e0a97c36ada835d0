package advice

import (
	"strings"
	"testing"

	"github.com/bankfeed/bankfeed"
)

func TestTodoFaces(t *testing.T) {
	tests := []struct {
		name         string
		class        bankfeed.FailureClass
		face         Face
		want, absent string
	}{
		{"cli resume", bankfeed.FailActionRequired, CLI, "bankfeed connection resume checking", ResumeButton},
		{"web resume", bankfeed.FailActionRequired, Web, ResumeButton, "bankfeed"},
		{"web portal", bankfeed.FailActionRequired, Web, "https://bank.example", "PORTAL"},
		{"cli password", bankfeed.FailInvalidCredentials, CLI, "bankfeed connection password checking", ""},
		{"web password", bankfeed.FailInvalidCredentials, Web, "new password", "bankfeed connection"},
		{"same words", bankfeed.FailMaintenance, Web, "nothing: bankfeed waits", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := For(tt.class).Todo(tt.face, "checking", "https://bank.example")
			if !strings.Contains(got, tt.want) || tt.absent != "" && strings.Contains(got, tt.absent) {
				t.Errorf("Todo = %q, want %q in it and not %q", got, tt.want, tt.absent)
			}
		})
	}
}

// TestWebWordsNameNoCommand: no web advice tells the user to run a
// command.
func TestWebWordsNameNoCommand(t *testing.T) {
	for _, info := range bankfeed.Catalog() {
		if got := For(info.Class).Todo(Web, "checking", ""); strings.Contains(got, "bankfeed ") && !strings.Contains(got, "bankfeed retries") &&
			!strings.Contains(got, "bankfeed waits") && !strings.Contains(got, "bankfeed cannot") {
			t.Errorf("%s: web advice names a command: %q", info.Class, got)
		}
	}
}
