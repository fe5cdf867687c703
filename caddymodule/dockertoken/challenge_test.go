package dockertoken

import (
	"errors"
	"strings"
	"testing"

	"github.com/oatgate/oatgate/caddymodule/access"
)

// parseChallenge reads a WWW-Authenticate value the way distribution's
// client (docker) and containerd do: a scheme, then name=value pairs
// separated by commas, each value a token or a quoted-string with
// backslash escapes. ok is false when the value does not parse or a
// parameter repeats.
func parseChallenge(h string) (scheme string, params map[string]string, ok bool) {
	scheme, rest, _ := strings.Cut(h, " ")
	params = map[string]string{}
	for rest != "" {
		rest = strings.TrimLeft(rest, " \t")
		name, after, found := strings.Cut(rest, "=")
		if !found || name == "" || strings.ContainsAny(name, " \t\",") {
			return "", nil, false
		}
		var value string
		if strings.HasPrefix(after, `"`) {
			var b strings.Builder
			i := 1
			for ; i < len(after) && after[i] != '"'; i++ {
				if after[i] == '\\' {
					i++
					if i == len(after) {
						return "", nil, false
					}
				}
				b.WriteByte(after[i])
			}
			if i == len(after) {
				return "", nil, false
			}
			value, rest = b.String(), after[i+1:]
		} else {
			value, rest, _ = strings.Cut(after, ",")
			rest = "," + rest
			if rest == "," {
				rest = ""
			}
		}
		if _, dup := params[strings.ToLower(name)]; dup {
			return "", nil, false
		}
		params[strings.ToLower(name)] = value
		rest = strings.TrimLeft(rest, " \t")
		if rest != "" {
			if rest[0] != ',' {
				return "", nil, false
			}
			rest = rest[1:]
		}
	}
	return scheme, params, true
}

func TestChallengeString(t *testing.T) {
	realm := "https://registry.example/token"
	tests := []struct {
		name string
		c    Challenge
		want string
	}{
		{"the /v2/ ping names realm and service only",
			Challenge{Realm: realm, Service: service},
			`Bearer realm="https://registry.example/token",service="registry.example"`},
		{"a pull names its scope",
			Challenge{Realm: realm, Service: service, Scope: []Access{NeedScope("acme/app", access.Pull)}},
			`Bearer realm="https://registry.example/token",service="registry.example",scope="repository:acme/app:pull"`},
		{"a push asks for pull and push",
			Challenge{Realm: realm, Service: service, Scope: []Access{NeedScope("acme/app", access.Push)}},
			`Bearer realm="https://registry.example/token",service="registry.example",scope="repository:acme/app:pull,push"`},
		{"a mount names both repositories, space-separated",
			Challenge{Realm: realm, Service: service, Scope: []Access{NeedScope("acme/app", access.Push), NeedScope("acme/base", access.Pull)}},
			`Bearer realm="https://registry.example/token",service="registry.example",scope="repository:acme/app:pull,push repository:acme/base:pull"`},
		{"a token lacking scope gets insufficient_scope",
			Challenge{Realm: realm, Service: service, Scope: []Access{NeedScope("acme/app", access.Delete)}, Error: ChallengeInsufficientScope, Description: "this token may not delete in acme/app"},
			`Bearer realm="https://registry.example/token",service="registry.example",scope="repository:acme/app:delete",error="insufficient_scope",error_description="this token may not delete in acme/app"`},
		{"an expired token gets invalid_token",
			Challenge{Realm: realm, Service: service, Error: ChallengeInvalidToken},
			`Bearer realm="https://registry.example/token",service="registry.example",error="invalid_token"`},
		{"a description without an error is left out",
			Challenge{Realm: realm, Service: service, Description: "x"},
			`Bearer realm="https://registry.example/token",service="registry.example"`},
		{"quotes and backslashes are escaped",
			Challenge{Realm: `https://a/"x\`, Service: `s"vc`},
			`Bearer realm="https://a/\"x\\",service="s\"vc"`},
		{"control characters cannot end the header",
			Challenge{Realm: "https://a/\r\nSet-Cookie: x", Service: "s\x00\x7f\t"},
			`Bearer realm="https://a/??Set-Cookie: x",service="s???"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.c.String(); got != tt.want {
				t.Fatalf("String() =\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}

func TestChallengeParsesBackAsClientsReadIt(t *testing.T) {
	c := Challenge{
		Realm:       `https://registry.example:5443/token?x="1",scope=evil`,
		Service:     `registry "example", inc`,
		Scope:       []Access{NeedScope("acme/app", access.Push)},
		Error:       ChallengeInsufficientScope,
		Description: `may not push, ask "acme" admins`,
	}
	scheme, params, ok := parseChallenge(c.String())
	if !ok || scheme != "Bearer" {
		t.Fatalf("challenge %q does not parse", c.String())
	}
	want := map[string]string{
		"realm": c.Realm, "service": c.Service, "scope": "repository:acme/app:pull,push",
		"error": ChallengeInsufficientScope, "error_description": c.Description,
	}
	for k, v := range want {
		if params[k] != v {
			t.Errorf("param %s = %q; want %q", k, params[k], v)
		}
	}
	if len(params) != len(want) {
		t.Errorf("params %v; want exactly %v", params, want)
	}
}

func TestRealm(t *testing.T) {
	tests := []struct {
		name   string
		scheme string
		host   string
		want   string
	}{
		{"a host name", "https", "registry.example", "https://registry.example/token"},
		{"a host and port", "http", "127.0.0.1:6080", "http://127.0.0.1:6080/token"},
		{"localhost", "http", "localhost:5000", "http://localhost:5000/token"},
		{"an IPv6 address and port", "http", "[::1]:6080", "http://[::1]:6080/token"},
		{"a bare IPv6 address in brackets", "https", "[2001:db8::1]", "https://[2001:db8::1]/token"},
		{"mixed case is kept", "https", "Registry.Example", "https://Registry.Example/token"},
	}
	for _, tt := range tests {
		t.Run("it builds "+tt.name, func(t *testing.T) {
			got, err := Realm(tt.scheme, tt.host, "/token")
			if err != nil || got != tt.want {
				t.Fatalf("Realm(%q) = %q, %v; want %q", tt.host, got, err, tt.want)
			}
		})
	}
	refused := []struct {
		name string
		host string
	}{
		{"an empty host", ""},
		{"userinfo", "user@evil.example"},
		{"a path", "evil.example/x"},
		{"a quote", `evil"example`},
		{"a space", "evil example"},
		{"a comma", "a,b"},
		{"CRLF", "a\r\nb"},
		{"an empty port", "a:"},
		{"a port of zero", "a:0"},
		{"a port over 65535", "a:65536"},
		{"a signed port", "a:+80"},
		{"a port with a leading zero", "a:080"},
		{"a bare IPv6 address", "::1"},
		{"an IPv6 address without its closing bracket", "[::1"},
		{"a bracketed name", "[evil.example]"},
		{"a bracketed IPv4 digit with a port", "[0]:1"},
		{"a bracketed IPv4 address", "[127.0.0.1]"},
		{"an IPv6 address with a zone", "[fe80::1%25eth0]:80"},
		{"an empty label", "a..b"},
		{"a label starting with a dash", "-a.b"},
		{"a label over 63 characters", strings.Repeat("a", 64) + ".b"},
		{"non-ASCII", "ex\u00e4mple.com"},
	}
	for _, tt := range refused {
		t.Run("it refuses "+tt.name, func(t *testing.T) {
			if got, err := Realm("https", tt.host, "/token"); !errors.Is(err, ErrRealmHost) {
				t.Fatalf("Realm(%q) = %q, %v; want ErrRealmHost", tt.host, got, err)
			}
		})
	}
}
