package secret

import (
	"bytes"
	"crypto/rand"
	"errors"
	"fmt"

	"golang.org/x/crypto/chacha20poly1305"
)

// Sealed layout: version, key ID, nonce, then the XChaCha20-Poly1305 output
// (ciphertext and tag).
const (
	version    = 1
	headerSize = 1 + idSize
	minSealed  = headerSize + chacha20poly1305.NonceSizeX + chacha20poly1305.Overhead
)

var (
	// ErrWrongKey means a value was sealed with another key.
	ErrWrongKey = errors.New("sealed with another key")
	// ErrCorrupt means a sealed value is short, of an unknown version,
	// tampered with, or sealed for another row (another aad).
	ErrCorrupt = errors.New("sealed value corrupt")

	errZeroKey = errors.New("zero Key: use LoadKey")
)

// Seal encrypts and authenticates plaintext with a random nonce. aad is not
// stored but must be given again to Open: it binds the sealed value to its
// place (e.g. "connection:42:password") so a copy moved elsewhere does not open.
func (k *Key) Seal(plaintext, aad []byte) ([]byte, error) {
	if k.aead == nil {
		return nil, fmt.Errorf("seal secret: %w", errZeroKey)
	}
	out := make([]byte, headerSize+chacha20poly1305.NonceSizeX, minSealed+len(plaintext))
	out[0] = version
	copy(out[1:], k.id[:])
	nonce := out[headerSize:]
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("seal secret: %w", err)
	}
	return k.aead.Seal(out, nonce, plaintext, aad), nil
}

// Open checks and decrypts a value sealed by Seal with the same key and aad.
// Its errors wrap ErrWrongKey or ErrCorrupt and never hold the plaintext.
func (k *Key) Open(sealed, aad []byte) ([]byte, error) {
	if k.aead == nil {
		return nil, fmt.Errorf("open secret: %w", errZeroKey)
	}
	if len(sealed) < headerSize {
		return nil, fmt.Errorf("open secret: %d bytes, too short: %w", len(sealed), ErrCorrupt)
	}
	if sealed[0] != version {
		return nil, fmt.Errorf("open secret: unknown version %d: %w", sealed[0], ErrCorrupt)
	}
	if id := sealed[1:headerSize]; !bytes.Equal(id, k.id[:]) {
		return nil, fmt.Errorf("open secret: key %x, have key %s: %w", id, k.ID(), ErrWrongKey)
	}
	if len(sealed) < minSealed {
		return nil, fmt.Errorf("open secret: %d bytes, too short: %w", len(sealed), ErrCorrupt)
	}
	nonce := sealed[headerSize : headerSize+chacha20poly1305.NonceSizeX]
	plain, err := k.aead.Open(nil, nonce, sealed[len(nonce)+headerSize:], aad)
	if err != nil {
		return nil, fmt.Errorf("open secret: tampered or other aad: %w", ErrCorrupt)
	}
	return plain, nil
}

// SealString seals s under aad.
func (k *Key) SealString(s String, aad string) ([]byte, error) {
	return k.Seal([]byte(s), []byte(aad))
}

// OpenString opens a value sealed by SealString with the same aad.
func (k *Key) OpenString(sealed []byte, aad string) (String, error) {
	plain, err := k.Open(sealed, []byte(aad))
	if err != nil {
		return "", err
	}
	return String(plain), nil
}
