package auth

import (
	"strings"
	"testing"
)

func TestPassword(t *testing.T) {
	h, err := HashPassword("correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Errorf("hash %q: not argon2id with the chosen parameters", h)
	}
	h2, _ := HashPassword("correct horse battery")
	if h == h2 {
		t.Error("two hashes of one password are equal: no salt")
	}
	tests := []struct {
		name, hash, pw string
		want           bool
	}{
		{"right", h, "correct horse battery", true},
		{"wrong", h, "correct horse batterz", false},
		{"empty", h, "", false},
		{"not a hash", "plain", "plain", false},
		{"other scheme", "$2a$10$abc", "x", false},
		{"cut short", h[:len(h)-10], "correct horse battery", false},
		{"huge memory", strings.Replace(h, "m=19456", "m=99999999", 1), "correct horse battery", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := CheckPassword(tt.hash, tt.pw); got != tt.want {
				t.Errorf("CheckPassword = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestCheckNewPassword(t *testing.T) {
	for pw, ok := range map[string]bool{"short": false, "long enough!": true, "\xff\xfe\xfd\xfc\xfb\xfa\xf9\xf8\xf7\xf6": false} {
		if err := CheckNewPassword(pw); (err == nil) != ok {
			t.Errorf("CheckNewPassword(%q) = %v", pw, err)
		}
	}
}

func TestSecret(t *testing.T) {
	a, _ := NewSecret(TokenPrefix)
	b, _ := NewSecret(TokenPrefix)
	if a == b || !strings.HasPrefix(a, TokenPrefix) || len(a) < 40 {
		t.Errorf("secrets %q, %q", a, b)
	}
	if string(Hash(a)) == string(Hash(b)) || len(Hash(a)) != 32 {
		t.Error("hashes")
	}
}
