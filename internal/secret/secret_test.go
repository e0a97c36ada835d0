package secret

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

const plain = "hunter2-s3cr3t"

func TestStringFormatVerbs(t *testing.T) {
	s := String(plain)
	type holder struct{ Password String }
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%10s", "%-8v", "%.3s"} {
		t.Run(verb, func(t *testing.T) {
			if got := fmt.Sprintf(verb, s); got != mask {
				t.Errorf("Sprintf(%q) = %q, want %q", verb, got, mask)
			}
			for _, v := range []any{&s, holder{s}, &holder{s}, []String{s}, map[string]String{"k": s}} {
				if got := fmt.Sprintf(verb, v); strings.Contains(got, plain) || !strings.Contains(got, mask) {
					t.Errorf("Sprintf(%q, %T) = %q", verb, v, got)
				}
			}
		})
	}
	if got := fmt.Sprint(s) + fmt.Sprintln(s) + s.String() + s.GoString(); strings.Contains(got, plain) {
		t.Errorf("Sprint/String/GoString leaked: %q", got)
	}
	if err := fmt.Errorf("sign on with %v: %w", s, errors.New("refused")); strings.Contains(err.Error(), plain) {
		t.Errorf("error leaked: %q", err)
	}
}

func TestStringSlog(t *testing.T) {
	s := String(plain)
	type holder struct{ Password String }
	for _, tt := range []struct {
		name string
		new  func(*bytes.Buffer) slog.Handler
	}{
		{"text", func(b *bytes.Buffer) slog.Handler { return slog.NewTextHandler(b, nil) }},
		{"json", func(b *bytes.Buffer) slog.Handler { return slog.NewJSONHandler(b, nil) }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			log := slog.New(tt.new(&buf))
			log.Info("sign on", "password", s, "holder", holder{s}, "ptr", &holder{s})
			log.Info("sign on", slog.Any("password", s), slog.Group("conn", "password", s))
			log.With("password", s).Info("sign on")
			out := buf.String()
			if strings.Contains(out, plain) {
				t.Errorf("log leaked the secret:\n%s", out)
			}
			if n := strings.Count(out, mask); n != 6 {
				t.Errorf("log has %d %q, want 6:\n%s", n, mask, out)
			}
		})
	}
}

func TestStringJSON(t *testing.T) {
	type conn struct {
		User     string `json:"user"`
		Password String `json:"password"`
		Token    String `json:"token,omitzero"`
	}
	got, err := json.Marshal(conn{User: "ann", Password: plain})
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"user":"ann","password":"[redacted]"}`; string(got) != want {
		t.Errorf("json.Marshal = %s, want %s", got, want)
	}
	text, err := String(plain).MarshalText()
	if err != nil || string(text) != mask {
		t.Errorf("MarshalText = %q, %v", text, err)
	}
}

func TestStringUnmarshal(t *testing.T) {
	for _, tt := range []struct {
		name, in string
		want     String
		wantErr  bool
	}{
		{"value", `{"password":"` + plain + `"}`, plain, false},
		{"empty", `{"password":""}`, "", false},
		{"placeholder", `{"password":"[redacted]"}`, "", true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var c struct{ Password String }
			err := json.Unmarshal([]byte(tt.in), &c)
			if (err != nil) != tt.wantErr {
				t.Fatalf("Unmarshal error = %v, wantErr %v", err, tt.wantErr)
			}
			if c.Password.Reveal() != tt.want.Reveal() {
				t.Errorf("Password = %q, want %q", c.Password.Reveal(), tt.want.Reveal())
			}
			if c.Password.IsZero() != (tt.want == "") {
				t.Errorf("IsZero = %v", c.Password.IsZero())
			}
		})
	}
}
