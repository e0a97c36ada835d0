package secret

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/bankfeed/bankfeed"
)

// env returns a Getenv that reads m, so tests never touch the real
// environment.
func env(m map[string]string) func(string) string {
	return func(name string) string { return m[name] }
}

// writeKeyFile writes a new random key to dir/name with mode perm and
// returns its path and key.
func writeKeyFile(t *testing.T, dir, name string, perm os.FileMode) (string, *Key) {
	t.Helper()
	k, text := newTestKey(t)
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(text+"\n"), perm); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, perm); err != nil { // past the umask
		t.Fatal(err)
	}
	return path, k
}

func skipOnWindows(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("Windows has no Unix permission bits")
	}
}

func TestLoadKeyCreatesDefault(t *testing.T) {
	skipOnWindows(t)
	dir := filepath.Join(t.TempDir(), "data", "bankfeed")
	path := filepath.Join(dir, "secret.key")
	k, err := LoadKey(KeyOptions{DefaultPath: path})
	if err != nil {
		t.Fatal(err)
	}

	info, err := os.Stat(path)
	if err != nil {
		t.Fatalf("key file not created: %v", err)
	}
	if perm := info.Mode().Perm(); perm != 0o600 {
		t.Errorf("key file mode = %04o, want 0600", perm)
	}
	if info, err := os.Stat(dir); err != nil || info.Mode().Perm() != 0o700 {
		t.Errorf("key directory = %v, %v; want mode 0700", info.Mode(), err)
	}
	text, _ := os.ReadFile(path)
	if raw, err := base64.StdEncoding.DecodeString(strings.TrimSuffix(string(text), "\n")); err != nil || len(raw) != keySize || !strings.HasSuffix(string(text), "\n") {
		t.Errorf("key file decodes to %d bytes (%v), want base64 of %d bytes and a newline", len(raw), err, keySize)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("key directory holds %d entries, want just the key (temp file left?)", len(entries))
	}

	again, err := LoadKey(KeyOptions{DefaultPath: path})
	if err != nil {
		t.Fatal(err)
	}
	if again.ID() != k.ID() {
		t.Errorf("second LoadKey ID = %s, want %s", again.ID(), k.ID())
	}
	sealed, _ := k.SealString(plain, "a")
	if got, err := again.OpenString(sealed, "a"); err != nil || got.Reveal() != plain {
		t.Errorf("reloaded key opens %q, %v", got.Reveal(), err)
	}
}

// TestLoadKeyCreateRace starts many first runs at once: all must end with
// the one key on disk.
func TestLoadKeyCreateRace(t *testing.T) {
	path := filepath.Join(t.TempDir(), "secret.key")
	ids := make([]string, 16)
	var wg sync.WaitGroup
	for i := range ids {
		wg.Go(func() {
			k, err := LoadKey(KeyOptions{DefaultPath: path})
			if err != nil {
				t.Error(err)
				return
			}
			ids[i] = k.ID()
		})
	}
	wg.Wait()
	onDisk, err := LoadKey(KeyOptions{DefaultPath: path})
	if err != nil {
		t.Fatal(err)
	}
	for i, id := range ids {
		if id != onDisk.ID() {
			t.Errorf("LoadKey %d got key %s, file holds %s", i, id, onDisk.ID())
		}
	}
}

func TestLoadKeyPrecedence(t *testing.T) {
	dir := t.TempDir()
	envK, envText := newTestKey(t)
	filePath, fileK := writeKeyFile(t, dir, "env.key", 0o600)
	defaultPath, defaultK := writeKeyFile(t, dir, "secret.key", 0o600)

	for _, tt := range []struct {
		name string
		env  map[string]string
		want *Key
	}{
		{"env over file and default", map[string]string{envKey: envText, envKeyFile: filePath}, envK},
		{"file over default", map[string]string{envKeyFile: filePath}, fileK},
		{"default", nil, defaultK},
		{"empty variables are unset", map[string]string{envKey: "", envKeyFile: ""}, defaultK},
	} {
		t.Run(tt.name, func(t *testing.T) {
			k, err := LoadKey(KeyOptions{Getenv: env(tt.env), DefaultPath: defaultPath})
			if err != nil {
				t.Fatal(err)
			}
			if k.ID() != tt.want.ID() {
				t.Errorf("LoadKey = key %s, want %s", k.ID(), tt.want.ID())
			}
		})
	}
}

func TestLoadKeyFileNewline(t *testing.T) {
	_, text := newTestKey(t)
	for _, tt := range []struct{ name, content string }{
		{"newline", text + "\n"},
		{"no newline", text},
		{"crlf", text + "\r\n"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "secret.key")
			if err := os.WriteFile(path, []byte(tt.content), 0o600); err != nil {
				t.Fatal(err)
			}
			if _, err := LoadKey(KeyOptions{DefaultPath: path}); err != nil {
				t.Error(err)
			}
		})
	}
}

func TestLoadKeyRefusesOpenFile(t *testing.T) {
	skipOnWindows(t)
	for _, perm := range []os.FileMode{0o644, 0o640, 0o604, 0o660, 0o620, 0o666} {
		for _, viaEnv := range []bool{false, true} {
			t.Run(fmt.Sprintf("%04o env=%v", perm, viaEnv), func(t *testing.T) {
				path, _ := writeKeyFile(t, t.TempDir(), "secret.key", perm)
				opts := KeyOptions{DefaultPath: path}
				if viaEnv {
					opts = KeyOptions{Getenv: env(map[string]string{envKeyFile: path})}
				}
				_, err := LoadKey(opts)
				if err == nil {
					t.Fatalf("LoadKey accepted a %04o key file", perm)
				}
				if want := "chmod 600 " + path; !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not say %q", err, want)
				}
				if code := bankfeed.ErrorCodeOf(err); code != bankfeed.EInvalid {
					t.Errorf("error code = %s, want %s", code, bankfeed.EInvalid)
				}
			})
		}
	}
	t.Run("0400 accepted", func(t *testing.T) {
		path, _ := writeKeyFile(t, t.TempDir(), "secret.key", 0o400)
		if _, err := LoadKey(KeyOptions{DefaultPath: path}); err != nil {
			t.Error(err)
		}
	})
}

func TestLoadKeyMalformed(t *testing.T) {
	b64 := func(n int) string {
		raw := make([]byte, n)
		_, _ = rand.Read(raw)
		return base64.StdEncoding.EncodeToString(raw)
	}
	for _, tt := range []struct {
		name, text string
	}{
		{"not base64", "this is not a key!"},
		{"url base64", strings.NewReplacer("+", "-", "/", "_").Replace(b64(32)) + "-_"},
		{"31 bytes", b64(31)},
		{"33 bytes", b64(33)},
		{"64 bytes", b64(64)},
		{"empty", ""},
		{"two keys", b64(32) + "\n" + b64(32)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			check := func(t *testing.T, err error, from string) {
				t.Helper()
				if err == nil {
					t.Fatal("LoadKey accepted a malformed key")
				}
				if !strings.Contains(err.Error(), from) {
					t.Errorf("error %q does not name %q", err, from)
				}
				if tt.text != "" && strings.Contains(err.Error(), strings.TrimSpace(tt.text)) {
					t.Errorf("error %q shows the key", err)
				}
				if code := bankfeed.ErrorCodeOf(err); code != bankfeed.EInvalid {
					t.Errorf("error code = %s, want %s", code, bankfeed.EInvalid)
				}
			}
			if tt.text != "" { // an empty variable means unset
				_, err := LoadKey(KeyOptions{Getenv: env(map[string]string{envKey: tt.text})})
				check(t, err, envKey)
			}
			path := filepath.Join(t.TempDir(), "secret.key")
			if err := os.WriteFile(path, []byte(tt.text), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := LoadKey(KeyOptions{DefaultPath: path})
			check(t, err, path)
			_, err = LoadKey(KeyOptions{Getenv: env(map[string]string{envKeyFile: path})})
			check(t, err, envKeyFile)
		})
	}
}

func TestLoadKeyMissing(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "none.key")
	_, err := LoadKey(KeyOptions{Getenv: env(map[string]string{envKeyFile: missing})})
	if !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), missing) {
		t.Errorf("LoadKey of a missing %s = %v, want not-exist naming the file", envKeyFile, err)
	}
	if _, err := os.Stat(missing); err == nil {
		t.Errorf("LoadKey created the file %s named by %s", missing, envKeyFile)
	}

	if _, err := LoadKey(KeyOptions{}); err == nil || !strings.Contains(err.Error(), envKey) {
		t.Errorf("LoadKey with nothing = %v, want an error naming %s", err, envKey)
	}

	dir := t.TempDir()
	if _, err := LoadKey(KeyOptions{DefaultPath: dir}); err == nil {
		t.Error("LoadKey accepted a directory as key file")
	}
}

func TestKeyRedacts(t *testing.T) {
	k, text := newTestKey(t)
	want := "[key " + k.ID() + "]"
	if len(k.ID()) != 16 {
		t.Errorf("ID = %q, want 16 hex digits", k.ID())
	}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%d"} {
		if got := fmt.Sprintf(verb, k); got != want {
			t.Errorf("Sprintf(%q) = %q, want %q", verb, got, want)
		}
		// A Key value, or one inside a struct, shows only pointers and the ID.
		for _, v := range []any{*k, struct{ K *Key }{k}, struct{ K Key }{*k}} {
			if got := fmt.Sprintf(verb, v); strings.Contains(got, text) {
				t.Errorf("Sprintf(%q, %T) shows the key: %q", verb, v, got)
			}
		}
	}
	if got := k.String() + k.GoString(); got != want+want {
		t.Errorf("String, GoString = %q", got)
	}
	var buf strings.Builder
	slog.New(slog.NewTextHandler(&buf, nil)).Info("key loaded", "key", k)
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("key loaded", "key", k)
	if out := buf.String(); strings.Count(out, want) != 2 {
		t.Errorf("slog output does not show %q twice:\n%s", want, out)
	}
	got, err := json.Marshal(struct{ Key *Key }{k})
	if err != nil || string(got) != `{"Key":"`+want+`"}` {
		t.Errorf("json.Marshal = %s, %v", got, err)
	}
}
