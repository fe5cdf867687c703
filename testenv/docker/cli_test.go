package docker

import (
	"strings"
	"testing"
)

func TestRedactHidesEveryTokenOnACommandLine(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"a line without tokens is unchanged", "docker push 127.0.0.1:5080/acme/app:v1", "docker push 127.0.0.1:5080/acme/app:v1"},
		{"a ctr user:token argument", "ctr images pull --user acme:oat_abc123 --plain-http x", "ctr images pull --user acme:oat_*** --plain-http x"},
		{"a token at the end", "login acme:oat_abc123", "login acme:oat_***"},
		{"a quoted token in a shell line", "sh -c echo 'oat_abc123' | docker login", "sh -c echo 'oat_***' | docker login"},
		{"two tokens", "oat_a oat_b", "oat_*** oat_***"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := redact(tt.in); got != tt.want {
				t.Errorf("redact(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func FuzzRedactLeavesNoSecret(f *testing.F) {
	for _, s := range []string{"", "oat_", "ctr --user a:oat_x1 y", "'oat_x'\"oat_y\"\toat_z"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		const secret = "oat_Secret9"
		got := redact(s + " " + secret)
		if strings.Contains(got, secret) {
			t.Errorf("redact(%q) = %q still holds the secret", s, got)
		}
	})
}
