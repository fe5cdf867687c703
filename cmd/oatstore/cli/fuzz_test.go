package cli

import (
	"net/url"
	"strings"
	"testing"
	"time"
)

// FuzzExpiryField checks that whatever --expires holds, the CLI either
// refuses it naming the flag or sends the API a value its parser takes:
// "none", <n>d or <n>h with n > 0, or an RFC 3339 time.
func FuzzExpiryField(f *testing.F) {
	for _, s := range []string{"90d", "12h", "90m", "none", "2027-02-01", "2027-02", "2027-02-01T10:00", "2027-02-01T00:00:00Z", "-1h", "1e9h", "99999999d", "0h"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		field, value, err := expiryField(s, now)
		if err != nil {
			if !strings.Contains(err.Error(), "--expires") {
				t.Fatalf("expiryField(%q): error %q does not name --expires", s, err)
			}
			return
		}
		switch field {
		case "expires_at":
			if _, err := time.Parse(time.RFC3339, value); err != nil {
				t.Fatalf("expiryField(%q) = expires_at %q, not RFC 3339: %v", s, value, err)
			}
		case "expires_in":
			if value == "none" {
				return
			}
			unit := value[len(value)-1]
			digits := value[:len(value)-1]
			if (unit != 'd' && unit != 'h') || digits == "" || digits[0] == '0' || strings.Trim(digits, "0123456789") != "" {
				t.Fatalf("expiryField(%q) = expires_in %q, not <n>d or <n>h", s, value)
			}
		default:
			t.Fatalf("expiryField(%q) = unknown field %q", s, field)
		}
	})
}

// FuzzServerURL checks that an accepted address is an http(s) URL and that
// a bare host:port is only ever given http:// on loopback.
func FuzzServerURL(f *testing.F) {
	for _, s := range []string{"127.0.0.1:8081", "localhost:1", "[::1]:8081", "oatstore:8081", "https://a.example", "http://", "ftp://x", "10.0.0.1:80", "127.0.0.1:1@evil.example"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := serverURL(s)
		if err != nil {
			return
		}
		if !strings.HasPrefix(got, "http://") && !strings.HasPrefix(got, "https://") {
			t.Fatalf("serverURL(%q) = %q, not http(s)", s, got)
		}
		if !strings.Contains(s, "://") && !isLoopback(hostOf(t, got)) {
			t.Fatalf("serverURL(%q) = %q: http:// guessed for a host that is not loopback", s, got)
		}
	})
}

// hostOf is the host a request to u goes to.
func hostOf(t *testing.T, u string) string {
	t.Helper()
	parsed, err := url.Parse(u)
	if err != nil {
		t.Fatalf("serverURL returned %q, which does not parse: %v", u, err)
	}
	return parsed.Hostname()
}
