// Package secret keeps bank passwords and tokens secret: String redacts
// itself wherever it could be printed, and a Key seals values for storage.
//
// Threat model: sealing protects a copied database or backup, which is
// useless without the key. It does not protect a running process's memory,
// nor anyone who can read the key file, so the key file must never be stored
// next to (or in the same backup as) the database.
package secret

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
)

// mask is what a String shows of itself.
const mask = "[redacted]"

// String is a secret that never prints itself: fmt (every verb, %#v and %x
// included), log/slog, encoding/json and text encoders all see "[redacted]".
// Reveal returns the secret, for the one place that must use it.
//
// fmt cannot call methods on unexported struct fields, so a String held in
// an unexported field prints raw when the whole struct is printed. Keep such
// fields exported, or never print the struct.
type String string

// Reveal returns the secret itself.
func (s String) Reveal() string { return string(s) }

// IsZero reports whether the secret is empty (and lets json's omitzero
// leave it out).
func (s String) IsZero() bool { return s == "" }

// String returns "[redacted]".
func (String) String() string { return mask }

// GoString returns "[redacted]".
func (String) GoString() string { return mask }

// Format writes "[redacted]" whatever the verb.
func (String) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, mask) }

// LogValue returns "[redacted]".
func (String) LogValue() slog.Value { return slog.StringValue(mask) }

// MarshalJSON returns "[redacted]" as a JSON string.
func (String) MarshalJSON() ([]byte, error) { return []byte(`"` + mask + `"`), nil }

// MarshalText returns "[redacted]", for encoders other than JSON.
func (String) MarshalText() ([]byte, error) { return []byte(mask), nil }

// errPlaceholder refuses "[redacted]" as a value: it was copied from redacted
// output, and taking it would silently replace the real secret.
var errPlaceholder = errors.New(`secret is the placeholder "` + mask + `", not a value`)

// UnmarshalText sets the secret, for config files, flags and JSON. It refuses
// "[redacted]", which can only have been copied from redacted output.
func (s *String) UnmarshalText(text []byte) error {
	if string(text) == mask {
		return errPlaceholder
	}
	*s = String(text)
	return nil
}
