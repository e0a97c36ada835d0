// Package auth hashes and checks passwords (argon2id), and makes and hashes
// session ids and API tokens. Only hashes are ever stored.
package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strings"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"

	"github.com/bankfeed/bankfeed"
)

// argon2id parameters: OWASP's second recommended set (19 MiB, 2 passes,
// one thread), cheap enough for several logins at once on a small server.
const (
	argonTime    = 2
	argonMemory  = 19 * 1024 // KiB
	argonThreads = 1
	argonKeyLen  = 32
	saltLen      = 16
)

// MinPassword is the shortest password accepted.
const MinPassword = 10

// CheckNewPassword says what is wrong with a password a person chose.
func CheckNewPassword(pw string) error {
	switch {
	case utf8.RuneCountInString(pw) < MinPassword:
		return bankfeed.Errorf(bankfeed.EInvalid, "password: at least %d characters", MinPassword)
	case len(pw) > 1024:
		return bankfeed.Errorf(bankfeed.EInvalid, "password: at most 1024 bytes")
	case !utf8.ValidString(pw):
		return bankfeed.Errorf(bankfeed.EInvalid, "password: not valid UTF-8")
	}
	return nil
}

// HashPassword returns the argon2id hash of pw in the PHC string form.
func HashPassword(pw string) (string, error) {
	salt := make([]byte, saltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	key := argon2.IDKey([]byte(pw), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads,
		b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// CheckPassword reports whether pw matches hash, in time that does not
// depend on where they differ. A hash it cannot read matches nothing.
func CheckPassword(hash, pw string) bool {
	parts := strings.Split(hash, "$")
	// "", "argon2id", "v=19", "m=...,t=...,p=...", salt, key
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false
	}
	var v int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &v); err != nil || v != argon2.Version {
		return false
	}
	var m uint32
	var t uint32
	var p uint8
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil || m == 0 || t == 0 || p == 0 || m > 1<<21 || t > 16 {
		return false
	}
	b64 := base64.RawStdEncoding
	salt, err := b64.DecodeString(parts[4])
	if err != nil {
		return false
	}
	key, err := b64.DecodeString(parts[5])
	if err != nil || len(key) == 0 || len(key) > 64 {
		return false
	}
	got := argon2.IDKey([]byte(pw), salt, t, m, p, uint32(len(key)))
	return subtle.ConstantTimeCompare(got, key) == 1
}

// dummyHash is checked against when a user does not exist, so that a
// failed login takes as long either way.
var dummyHash, _ = HashPassword("bankfeed-dummy-password")

// Waste spends the time a password check takes, for a user who does not
// exist.
func Waste(pw string) { CheckPassword(dummyHash, pw) }

// TokenPrefix starts every API token, so that a leaked one is easy to find.
const TokenPrefix = "bft_"

// NewSecret returns a random session id or, with prefix, an API token.
func NewSecret(prefix string) (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("make a secret: %w", err)
	}
	return prefix + base64.RawURLEncoding.EncodeToString(b), nil
}

// Hash is the SHA-256 of a session id or token, as the store keeps it.
func Hash(secret string) []byte {
	h := sha256.Sum256([]byte(secret))
	return h[:]
}
