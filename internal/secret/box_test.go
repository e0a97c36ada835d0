package secret

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"golang.org/x/crypto/chacha20poly1305"
)

// newTestKey returns a new random key and its base64 text.
func newTestKey(t testing.TB) (*Key, string) {
	t.Helper()
	raw := make([]byte, keySize)
	_, _ = rand.Read(raw)
	text := base64.StdEncoding.EncodeToString(raw)
	k, err := LoadKey(KeyOptions{Getenv: env(map[string]string{envKey: text})})
	if err != nil {
		t.Fatal(err)
	}
	return k, text
}

func TestSealOpen(t *testing.T) {
	k, _ := newTestKey(t)
	big := make([]byte, 1<<20)
	_, _ = rand.Read(big)
	for _, tt := range []struct {
		name      string
		plaintext []byte
		aad       string
	}{
		{"password", []byte(plain), "connection:42:password"},
		{"empty plaintext", nil, "connection:42:password"},
		{"empty aad", []byte(plain), ""},
		{"binary 1MiB", big, "connection:1:token"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			sealed, err := k.Seal(tt.plaintext, []byte(tt.aad))
			if err != nil {
				t.Fatal(err)
			}
			if want := minSealed + len(tt.plaintext); len(sealed) != want {
				t.Errorf("len(sealed) = %d, want %d", len(sealed), want)
			}
			if len(tt.plaintext) > 0 && bytes.Contains(sealed, tt.plaintext) {
				t.Error("sealed value holds the plaintext")
			}
			got, err := k.Open(sealed, []byte(tt.aad))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, tt.plaintext) {
				t.Errorf("Open = %q, want %q", got, tt.plaintext)
			}
			again, _ := k.Seal(tt.plaintext, []byte(tt.aad))
			if bytes.Equal(again, sealed) {
				t.Error("two seals of one plaintext are equal: nonce not random")
			}
		})
	}
}

func TestSealLayout(t *testing.T) {
	k, _ := newTestKey(t)
	sealed, _ := k.Seal([]byte(plain), nil)
	if sealed[0] != 1 {
		t.Errorf("version = %d, want 1", sealed[0])
	}
	if got := fmt.Sprintf("%x", sealed[1:9]); got != k.ID() {
		t.Errorf("key id in sealed value = %s, want %s", got, k.ID())
	}
}

// TestOpenRefuses checks every way a sealed value can fail to open, and that
// no error shows the plaintext.
func TestOpenRefuses(t *testing.T) {
	k, _ := newTestKey(t)
	other, _ := newTestKey(t)
	aad := []byte("connection:42:password")
	sealed, _ := k.Seal([]byte(plain), aad)
	mutate := func(f func([]byte) []byte) []byte { return f(bytes.Clone(sealed)) }

	type test struct {
		name    string
		key     *Key
		in, aad []byte
		wantErr error
	}
	tests := []test{
		{"other key", other, sealed, aad, ErrWrongKey},
		{"other aad", k, sealed, []byte("connection:43:password"), ErrCorrupt},
		{"no aad", k, sealed, nil, ErrCorrupt},
		{"empty", k, nil, aad, ErrCorrupt},
		{"version 0", k, mutate(func(b []byte) []byte { b[0] = 0; return b }), aad, ErrCorrupt},
		{"version 2", k, mutate(func(b []byte) []byte { b[0] = 2; return b }), aad, ErrCorrupt},
		{"byte appended", k, append(bytes.Clone(sealed), 0), aad, ErrCorrupt},
	}
	// Flip one bit of each byte. The key ID (bytes 1-8) cannot tell a
	// tampered ID from another key's, so those give ErrWrongKey.
	for i := range sealed {
		want := ErrCorrupt
		if i >= 1 && i < headerSize {
			want = ErrWrongKey
		}
		in := mutate(func(b []byte) []byte { b[i] ^= 0x01; return b })
		tests = append(tests, test{fmt.Sprintf("byte %d flipped", i), k, in, aad, want})
	}
	for n := range sealed {
		tests = append(tests, test{fmt.Sprintf("cut to %d bytes", n), k, sealed[:n], aad, ErrCorrupt})
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.key.Open(tt.in, tt.aad)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Open error = %v, want %v", err, tt.wantErr)
			}
			if got != nil {
				t.Errorf("Open returned %q with an error", got)
			}
			if msg := fmt.Sprintf("%v %+v %#v", err, err, err); strings.Contains(msg, plain) {
				t.Errorf("error shows the plaintext: %s", msg)
			}
		})
	}
}

func TestOpenWrongKeyNamesKeys(t *testing.T) {
	k, _ := newTestKey(t)
	other, _ := newTestKey(t)
	sealed, _ := k.Seal([]byte(plain), nil)
	_, err := other.Open(sealed, nil)
	if msg := err.Error(); !strings.Contains(msg, k.ID()) || !strings.Contains(msg, other.ID()) {
		t.Errorf("error %q does not name both key IDs %s and %s", msg, k.ID(), other.ID())
	}
}

func TestSealStringOpenString(t *testing.T) {
	k, _ := newTestKey(t)
	sealed, err := k.SealString(plain, "connection:42:password")
	if err != nil {
		t.Fatal(err)
	}
	got, err := k.OpenString(sealed, "connection:42:password")
	if err != nil || got.Reveal() != plain {
		t.Errorf("OpenString = %q, %v; want %q", got.Reveal(), err, plain)
	}
	if got, err := k.OpenString(sealed, "connection:7:password"); !errors.Is(err, ErrCorrupt) || got != "" {
		t.Errorf("OpenString with other aad = %q, %v; want ErrCorrupt", got.Reveal(), err)
	}
}

func TestZeroKey(t *testing.T) {
	var k Key
	if _, err := k.Seal([]byte(plain), nil); err == nil {
		t.Error("zero Key sealed")
	}
	if _, err := k.Open(make([]byte, minSealed), nil); err == nil {
		t.Error("zero Key opened")
	}
}

func TestConcurrentSealOpen(t *testing.T) {
	k, _ := newTestKey(t)
	var wg sync.WaitGroup
	for g := range 32 {
		wg.Go(func() {
			for i := range 200 {
				want := fmt.Sprintf("secret %d/%d", g, i)
				aad := fmt.Sprintf("connection:%d:%d", g, i)
				sealed, err := k.SealString(String(want), aad)
				if err != nil {
					t.Error(err)
					return
				}
				got, err := k.OpenString(sealed, aad)
				if err != nil || got.Reveal() != want {
					t.Errorf("OpenString = %q, %v; want %q", got.Reveal(), err, want)
					return
				}
			}
		})
	}
	wg.Wait()
}

// FuzzOpen checks that Open never panics and opens nothing but what Seal
// made, and that anything sealed opens again.
func FuzzOpen(f *testing.F) {
	raw := bytes.Repeat([]byte{7}, keySize)
	k, err := newKey(raw)
	if err != nil {
		f.Fatal(err)
	}
	// Fuzz workers are separate processes: the seed must be the same in
	// each, so it is sealed here with a fixed nonce instead of by Seal.
	aad := []byte("connection:42:password")
	sealed := append([]byte{version}, k.id[:]...)
	nonce := bytes.Repeat([]byte{9}, chacha20poly1305.NonceSizeX)
	sealed = k.aead.Seal(append(sealed, nonce...), nonce, []byte(plain), aad)
	if got, err := k.Open(sealed, aad); err != nil || string(got) != plain {
		f.Fatalf("seed does not open: %q, %v", got, err)
	}
	f.Add(sealed, aad)
	f.Add(sealed[:headerSize], aad)
	f.Add(sealed[:minSealed], aad)
	f.Add([]byte{}, []byte{})
	f.Add([]byte{1}, aad)
	f.Fuzz(func(t *testing.T, in, aad2 []byte) {
		got, err := k.Open(in, aad2)
		switch {
		case err == nil && !(bytes.Equal(in, sealed) && bytes.Equal(aad2, aad) && string(got) == plain):
			t.Fatalf("Open(%x, %q) = %q: opened a value Seal did not make", in, aad2, got)
		case err != nil && !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrWrongKey):
			t.Fatalf("Open error %v is neither ErrCorrupt nor ErrWrongKey", err)
		}
		resealed, err := k.Seal(in, aad2)
		if err != nil {
			t.Fatal(err)
		}
		if back, err := k.Open(resealed, aad2); err != nil || !bytes.Equal(back, in) {
			t.Fatalf("Seal then Open = %x, %v; want %x", back, err, in)
		}
	})
}
