package cli

import (
	"os"
	"path/filepath"
	"testing"
)

// TestDataDir checks where the store is created: --data-dir over
// BANKFEED_DATA_DIR over $XDG_DATA_HOME/bankfeed over
// ~/.local/share/bankfeed.
func TestDataDir(t *testing.T) {
	examples := filepath.Join("..", "..", "examples", "checking.ofx")
	tests := []struct {
		name           string
		flag, env, xdg string
		want           string // relative to the test's home
	}{
		{name: "flag wins", flag: "flag", env: "env", xdg: "xdg", want: "flag"},
		{name: "environment", env: "env", xdg: "xdg", want: "env"},
		{name: "XDG data home", xdg: "xdg", want: "xdg/bankfeed"},
		{name: "home", want: ".local/share/bankfeed"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			home := t.TempDir()
			abs := func(p string) string {
				if p == "" {
					return ""
				}
				return filepath.Join(home, p)
			}
			t.Setenv("HOME", home)
			t.Setenv("BANKFEED_DATA_DIR", abs(tc.env))
			t.Setenv("XDG_DATA_HOME", abs(tc.xdg))
			args := []string{"import", examples}
			if tc.flag != "" {
				args = append([]string{"--data-dir", abs(tc.flag)}, args...)
			}
			if code, _, stderr := run(t, "", args...); code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			if _, err := os.Stat(filepath.Join(home, tc.want, "bankfeed.db")); err != nil {
				t.Errorf("no store at %s: %v", tc.want, err)
			}
		})
	}
}
