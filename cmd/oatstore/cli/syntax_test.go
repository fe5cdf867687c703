package cli

import (
	"flag"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestServerURL(t *testing.T) {
	tests := []struct {
		name, in, want, errHas string
	}{
		{"a loopback host:port gets http", "127.0.0.1:8081", "http://127.0.0.1:8081", ""},
		{"localhost gets http", "localhost:8081", "http://localhost:8081", ""},
		{"an IPv6 loopback gets http", "[::1]:8081", "http://[::1]:8081", ""},
		{"a loopback host without a port gets http", "127.0.0.1", "http://127.0.0.1", ""},
		{"a full URL is kept", "https://oatstore.internal:8081", "https://oatstore.internal:8081", ""},
		{"a trailing slash is dropped", "http://127.0.0.1:8081/", "http://127.0.0.1:8081", ""},
		{"a path prefix is kept", "https://ops.example/oatstore/", "https://ops.example/oatstore", ""},
		{"surrounding spaces are ignored", " http://127.0.0.1:8081 ", "http://127.0.0.1:8081", ""},
		{"a remote host without a scheme says to write https", "oatstore.internal:8081", "", "write https://oatstore.internal:8081"},
		{"a remote IP without a scheme is refused", "10.0.0.7:8081", "", "has no scheme"},
		{"another scheme is refused", "ftp://127.0.0.1:8081", "", "want http(s)://host:port"},
		{"a URL without a host is refused", "http://", "", "want http(s)://host:port"},
		{"a query is refused", "http://127.0.0.1:8081/?x=1", "", "want http(s)://host:port"},
		{"nothing says where to set it", "", "", "OATSTORE_SERVER"},
		{"a loopback address hiding another host in user info is refused", "127.0.0.1:8081@evil.example", "", "want http(s)://host:port"},
		{"user info in a URL is refused", "http://admin:pw@127.0.0.1:8081", "", "want http(s)://host:port"},
		{"an IPv6 address that is not loopback is refused", "[2001:db8::1]:8081", "", "has no scheme"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := serverURL(tc.in)
			if tc.errHas != "" {
				if err == nil || !strings.Contains(err.Error(), tc.errHas) {
					t.Fatalf("serverURL(%q) = %q, %v; want an error containing %q", tc.in, got, err, tc.errHas)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Errorf("serverURL(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
			}
		})
	}
}

var now = time.Date(2026, 12, 3, 4, 5, 6, 0, time.UTC)

func TestParseWhen(t *testing.T) {
	tests := []struct {
		name  string
		in    string
		ahead bool
		want  time.Time
		bad   bool
	}{
		{"an hour back", "1h", false, now.Add(-time.Hour), false},
		{"seven days back", "7d", false, now.AddDate(0, 0, -7), false},
		{"ninety minutes back", "90m", false, now.Add(-90 * time.Minute), false},
		{"ninety days ahead", "90d", true, now.AddDate(0, 0, 90), false},
		{"a date is midnight UTC", "2026-12-02", false, time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC), false},
		{"a date is the same ahead", "2027-02-01", true, time.Date(2027, 2, 1, 0, 0, 0, 0, time.UTC), false},
		{"a month is its first day", "2026-11", false, time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), false},
		{"a minute of a day", "2026-12-02T15:04", false, time.Date(2026, 12, 2, 15, 4, 0, 0, time.UTC), false},
		{"an RFC 3339 time", "2026-11-01T00:00:00Z", false, time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), false},
		{"an RFC 3339 time with an offset", "2026-11-01T02:00:00+02:00", false, time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), false},
		{"a word is refused", "yesterday", false, time.Time{}, true},
		{"a negative duration is refused", "-1h", false, time.Time{}, true},
		{"zero is refused", "0d", false, time.Time{}, true},
		{"a signed day count is refused", "+7d", false, time.Time{}, true},
		{"weeks are not a unit", "2w", false, time.Time{}, true},
		{"empty is refused", "", false, time.Time{}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseWhen(tc.in, now, tc.ahead)
			if tc.bad {
				if err == nil || !strings.Contains(err.Error(), "2026-12-02") {
					t.Fatalf("parseWhen(%q) = %v, %v; want an error that shows the syntax", tc.in, got, err)
				}
				return
			}
			if err != nil || !got.Equal(tc.want) {
				t.Errorf("parseWhen(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
			}
		})
	}
}

func TestExpiryField(t *testing.T) {
	tests := []struct {
		name, in, field, value, errHas string
	}{
		{"none never expires", "none", "expires_in", "none", ""},
		{"never is none", "never", "expires_in", "none", ""},
		{"days stay relative", "90d", "expires_in", "90d", ""},
		{"whole days in hours become days", "48h", "expires_in", "2d", ""},
		{"hours stay relative", "12h", "expires_in", "12h", ""},
		{"minutes become a time", "90m", "expires_at", "2026-12-03T05:35:06Z", ""},
		{"a date is midnight UTC", "2027-02-01", "expires_at", "2027-02-01T00:00:00Z", ""},
		{"a month is its first day", "2027-02", "expires_at", "2027-02-01T00:00:00Z", ""},
		{"an RFC 3339 time is kept, in UTC", "2027-02-01T12:00:00+01:00", "expires_at", "2027-02-01T11:00:00Z", ""},
		{"a word is refused naming the flag", "soon", "", "", "--expires \"soon\""},
		{"the error offers none", "-5d", "", "", "or none"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			field, value, err := expiryField(tc.in, now)
			if tc.errHas != "" {
				if err == nil || !strings.Contains(err.Error(), tc.errHas) {
					t.Fatalf("expiryField(%q) = %s=%s, %v; want an error containing %q", tc.in, field, value, err, tc.errHas)
				}
				return
			}
			if err != nil || field != tc.field || value != tc.value {
				t.Errorf("expiryField(%q) = %s=%s, %v; want %s=%s", tc.in, field, value, err, tc.field, tc.value)
			}
		})
	}
}

func TestFlagNames(t *testing.T) {
	tokenFlags := flag.NewFlagSet("token create", flag.ContinueOnError)
	tokenFlags.String("expires", "", "")
	tokenFlags.String("label", "", "")
	orgFlags := flag.NewFlagSet("org set", flag.ContinueOnError)
	orgFlags.String("max-tokens", "", "")
	orgFlags.String("max-expiry-days", "", "")
	tests := []struct {
		name string
		fs   *flag.FlagSet
		in   string
		want string
	}{
		{"expires_in becomes --expires", tokenFlags,
			`expires_in "120x": want "none", days like "30d"`,
			`--expires "120x": want "none", days like "30d"`},
		{"the pair of expiry fields becomes one flag", tokenFlags,
			`org "acme" requires tokens to expire: give expires_in (at most 365d) or expires_at`,
			`org "acme" requires tokens to expire: give --expires (at most 365d)`},
		{"an org setting met by a token command names the org command", tokenFlags,
			`expiry 2028-01-01T00:00:00Z is more than 365 days ahead, the most org "acme" allows (max_expiry_days)`,
			`expiry 2028-01-01T00:00:00Z is more than 365 days ahead, the most org "acme" allows (oatstore org set --max-expiry-days)`},
		{"an org setting of the org command is its flag", orgFlags,
			`max_tokens must be between 0 and 100000`,
			`--max-tokens must be between 0 and 100000`},
		{"a decoding error names the flag", orgFlags,
			`field "max_expiry_days": want int, got JSON string`,
			`field "--max-expiry-days": want int, got JSON string`},
		{"an unknown field is left alone", tokenFlags,
			`label "ci_bot" already exists in org "acme"`,
			`label "ci_bot" already exists in org "acme"`},
		{"a message without fields is unchanged", nil,
			`token tok_x was revoked and cannot be reactivated`,
			`token tok_x was revoked and cannot be reactivated`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := flagNames(tc.in, tc.fs); got != tc.want {
				t.Errorf("flagNames(%q)\n got %q\nwant %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestScopesSplitAtSpaces(t *testing.T) {
	tests := []struct {
		name string
		in   multi
		want []string
	}{
		{"one scope per flag", multi{"repository:acme/a:pull", "repository:acme/b:push"}, []string{"repository:acme/a:pull", "repository:acme/b:push"}},
		{"several scopes in one flag", multi{"repository:acme/a:pull repository:acme/b:pull,push"}, []string{"repository:acme/a:pull", "repository:acme/b:pull,push"}},
		{"tabs, newlines and doubled spaces", multi{"  repository:acme/a:pull\t\nrepository:acme/b:push  "}, []string{"repository:acme/a:pull", "repository:acme/b:push"}},
		{"an empty flag is no scope", multi{""}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.in.fields(); !slices.Equal(got, tc.want) {
				t.Errorf("fields(%q) = %q, want %q", []string(tc.in), got, tc.want)
			}
		})
	}
}

func TestLooksLikeTokenID(t *testing.T) {
	tests := []struct {
		name, ref string
		want      bool
	}{
		{"an id of letters is an id", "tok_abcdefghijklmnopqrstuvwxyz", true},
		{"an id with base32 digits is an id", "tok_234567abcdefghijklmnopqrst", true},
		{"a short label is a label", "ci", false},
		{"a short tok_ name is a label", "tok_short", false},
		{"uppercase is a label", "tok_ABCDEFGHIJKLMNOPQRSTUVWXYZ", false},
		{"a digit outside base32 is a label", "tok_abcdefghijklmnopqrstuvwxy1", false},
		{"one character too many is a label", "tok_abcdefghijklmnopqrstuvwxyza", false},
		{"a label with a dash is a label", "deploy-prod", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := looksLikeTokenID(tc.ref); got != tc.want {
				t.Errorf("looksLikeTokenID(%q) = %v, want %v", tc.ref, got, tc.want)
			}
		})
	}
}
