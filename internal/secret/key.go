package secret

import (
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"golang.org/x/crypto/chacha20poly1305"

	"github.com/bankfeed/bankfeed"
)

const (
	keySize = chacha20poly1305.KeySize // 32
	idSize  = 8

	envKey     = "BANKFEED_KEY"      // base64 of the key itself
	envKeyFile = "BANKFEED_KEY_FILE" // path of a key file
)

// Key is a 32-byte key that seals and opens secrets. It is safe for
// concurrent use, and redacts itself like String, showing only its ID.
type Key struct {
	aead cipher.AEAD
	id   [idSize]byte
}

// KeyOptions tell LoadKey where to look for the key.
type KeyOptions struct {
	// Getenv looks up BANKFEED_KEY and BANKFEED_KEY_FILE; pass os.Getenv.
	// Nil means neither is set.
	Getenv func(name string) string
	// DefaultPath is the key file used when neither variable is set,
	// kept apart from the data it protects (the CLI uses
	// $XDG_CONFIG_HOME/bankfeed/key). It is created on first run.
	DefaultPath string
}

// LoadKey returns the key from, in order of precedence: BANKFEED_KEY (base64
// of 32 bytes), the file named by BANKFEED_KEY_FILE, or opts.DefaultPath,
// which is created with a new random key (mode 0600, directory 0700) if it
// does not exist; the file BANKFEED_KEY_FILE names is never created. A key
// file open to group or others (any bit of mode 0077) is refused.
func LoadKey(opts KeyOptions) (*Key, error) {
	getenv := opts.Getenv
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	if v := getenv(envKey); v != "" {
		return parseKey(v, envKey)
	}
	if path := getenv(envKeyFile); path != "" {
		return readKeyFile(path, "key file "+path+" (from "+envKeyFile+")")
	}
	if opts.DefaultPath == "" {
		return nil, bankfeed.Errorf(bankfeed.EInvalid, "load key: none given: set %s or %s, or a data directory", envKey, envKeyFile)
	}
	k, err := readKeyFile(opts.DefaultPath, "key file "+opts.DefaultPath)
	if errors.Is(err, fs.ErrNotExist) {
		return createKeyFile(opts.DefaultPath)
	}
	return k, err
}

// newKey makes a Key of raw, which must be keySize bytes.
func newKey(raw []byte) (*Key, error) {
	aead, err := chacha20poly1305.NewX(raw)
	if err != nil {
		return nil, err
	}
	k := &Key{aead: aead}
	sum := sha256.Sum256(raw)
	copy(k.id[:], sum[:idSize])
	return k, nil
}

// parseKey decodes a base64 key, ignoring surrounding white space. from
// names where the text came from; errors never include the text.
func parseKey(text, from string) (*Key, error) {
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(text))
	if err != nil {
		return nil, bankfeed.Errorf(bankfeed.EInvalid, "load key: %s is not base64 (%v)", from, err)
	}
	if len(raw) != keySize {
		return nil, bankfeed.Errorf(bankfeed.EInvalid, "load key: %s holds %d bytes, want %d", from, len(raw), keySize)
	}
	return newKey(raw)
}

// readKeyFile reads and checks a key file. A missing file gives an error
// wrapping fs.ErrNotExist.
func readKeyFile(path, from string) (*Key, error) {
	f, err := os.Open(path)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err // from already names the path
		}
		return nil, fmt.Errorf("load key: %s: %w", from, err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("load key: %s: %w", from, err)
	}
	if !info.Mode().IsRegular() {
		return nil, bankfeed.Errorf(bankfeed.EInvalid, "load key: %s is not a regular file", from)
	}
	if perm := info.Mode().Perm(); perm&0o077 != 0 && runtime.GOOS != "windows" {
		return nil, bankfeed.Errorf(bankfeed.EInvalid,
			"load key: %s is open to group or others (mode %04o); run: chmod 600 %s", from, perm, path)
	}
	text, err := io.ReadAll(io.LimitReader(f, 1024)) // a key is 45 bytes
	if err != nil {
		return nil, fmt.Errorf("load key: %s: %w", from, err)
	}
	return parseKey(string(text), from)
}

// createKeyFile writes a new random key to path, atomically: a fsynced temp
// file is linked into place, so readers never see a partial file, and if
// another process created the key first, its key wins and is returned.
func createKeyFile(path string) (*Key, error) {
	raw := make([]byte, keySize)
	if _, err := rand.Read(raw); err != nil {
		return nil, fmt.Errorf("create key: %w", err)
	}
	k, err := newKey(raw)
	if err != nil {
		return nil, fmt.Errorf("create key: %w", err)
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create key: %w", err)
	}
	tmp, err := os.CreateTemp(dir, ".secret.key-*") // mode 0600
	if err != nil {
		return nil, fmt.Errorf("create key: %w", err)
	}
	defer os.Remove(tmp.Name())
	_, err = tmp.WriteString(base64.StdEncoding.EncodeToString(raw) + "\n")
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("create key: %w", err)
	}
	// Link, unlike rename, never replaces a key another process just made.
	if err := os.Link(tmp.Name(), path); errors.Is(err, fs.ErrExist) {
		return readKeyFile(path, "key file "+path)
	} else if err != nil {
		// No hard links here (some network and FAT file systems): rename.
		if err := os.Rename(tmp.Name(), path); err != nil {
			return nil, fmt.Errorf("create key: %w", err)
		}
	}
	if err := syncDir(dir); err != nil {
		return nil, fmt.Errorf("create key: %w", err)
	}
	return k, nil
}

// syncDir makes a new directory entry durable. Windows cannot sync a
// directory and does not need to.
func syncDir(dir string) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// ID returns the key's ID in hex: the first 8 bytes of the SHA-256 of the
// key, safe to log and stored in every sealed value.
func (k *Key) ID() string { return hex.EncodeToString(k.id[:]) }

func (k *Key) redacted() string { return "[key " + k.ID() + "]" }

// String returns "[key ID]".
func (k *Key) String() string { return k.redacted() }

// GoString returns "[key ID]".
func (k *Key) GoString() string { return k.redacted() }

// Format writes "[key ID]" whatever the verb.
func (k *Key) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, k.redacted()) }

// LogValue returns "[key ID]".
func (k *Key) LogValue() slog.Value { return slog.StringValue(k.redacted()) }

// MarshalJSON returns "[key ID]" as a JSON string.
func (k *Key) MarshalJSON() ([]byte, error) { return []byte(`"` + k.redacted() + `"`), nil }

// MarshalText returns "[key ID]", for encoders other than JSON.
func (k *Key) MarshalText() ([]byte, error) { return []byte(k.redacted()), nil }
