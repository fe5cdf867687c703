package dockertoken

import (
	"errors"
	"net"
	"strconv"
	"strings"

	"github.com/oatgate/oatgate/caddymodule/access"
)

// The RFC 6750 §3.1 error codes a Bearer challenge carries.
const (
	// ChallengeInsufficientScope answers a valid token that lacks the
	// access the request needs; clients then ask for a new token with the
	// challenge's scope.
	ChallengeInsufficientScope = "insufficient_scope"
	// ChallengeInvalidToken answers an expired, revoked, malformed or
	// foreign token.
	ChallengeInvalidToken = "invalid_token"
)

// Challenge is the WWW-Authenticate value of a 401 from the registry API.
type Challenge struct {
	// Realm is the token endpoint's URL (see Realm).
	Realm string
	// Service names the gateway; tokens are bound to it.
	Service string
	// Scope is what the refused request needed (see NeedScope); empty for
	// requests that need no repository (/v2/).
	Scope []Access
	// Error is empty when the request carried no bearer token, else
	// ChallengeInsufficientScope or ChallengeInvalidToken.
	Error string
	// Description is the error_description, fit for the user.
	Description string
}

// String returns `Bearer realm="...",service="..."[,scope="..."][,error="..."][,error_description="..."]`,
// each value a quoted-string (RFC 9110 §5.6.4) with '"' and '\' escaped
// and control characters replaced, so that no value can end the header
// or add a parameter.
func (c Challenge) String() string {
	var b strings.Builder
	b.WriteString(`Bearer realm=`)
	b.WriteString(quote(c.Realm))
	b.WriteString(`,service=`)
	b.WriteString(quote(c.Service))
	if len(c.Scope) > 0 {
		scopes := make([]string, len(c.Scope))
		for i, a := range c.Scope {
			scopes[i] = a.Scope()
		}
		b.WriteString(`,scope=`)
		b.WriteString(quote(strings.Join(scopes, " ")))
	}
	if c.Error != "" {
		b.WriteString(`,error=`)
		b.WriteString(quote(c.Error))
		if c.Description != "" {
			b.WriteString(`,error_description=`)
			b.WriteString(quote(c.Description))
		}
	}
	return b.String()
}

// NeedScope is the scope a challenge asks for when a request needs action
// on repository. A push asks for "pull,push", as distribution does, since
// clients HEAD blobs while pushing; a delete asks for "delete" alone.
func NeedScope(repository string, action access.Action) Access {
	actions := []string{action.String()}
	if action == access.Push {
		actions = []string{access.Pull.String(), access.Push.String()}
	}
	return Access{Type: TypeRepository, Name: repository, Actions: actions}
}

// ErrRealmHost reports a Host header that cannot be put in a realm URL.
var ErrRealmHost = errors.New("host is not a valid host[:port]")

// Realm returns "<scheme>://<host><path>", the token endpoint's URL as the
// client reached the gateway. host is the request's Host header, which the
// client controls, so it must be a plain host name, IPv4 address or
// bracketed IPv6 address with an optional port: anything else (userinfo,
// a path, quotes, spaces) is ErrRealmHost, and the caller should fall back
// to a configured realm.
func Realm(scheme, host, path string) (string, error) {
	if !validHost(host) {
		return "", ErrRealmHost
	}
	return scheme + "://" + host + path, nil
}

func validHost(hostport string) bool {
	if hostport == "" || len(hostport) > 261 {
		return false
	}
	host := hostport
	if h, port, err := net.SplitHostPort(hostport); err == nil {
		host = h
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 || port[0] == '0' || port[0] == '+' {
			return false
		}
	} else if strings.HasPrefix(hostport, "[") {
		inner, ok := strings.CutSuffix(hostport[1:], "]")
		if !ok {
			return false
		}
		host = inner
	}
	if strings.HasPrefix(hostport, "[") {
		// Brackets hold an IPv6 address and nothing else: url.Parse
		// refuses "[0]" or "[name]".
		return strings.Contains(host, ":") && net.ParseIP(host) != nil
	}
	return validHostname(host)
}

// validHostname accepts dot-separated labels of letters, digits and
// hyphens (which covers IPv4 literals).
func validHostname(h string) bool {
	if h == "" || len(h) > 253 {
		return false
	}
	for label := range strings.SplitSeq(h, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-') {
				return false
			}
		}
	}
	return true
}

// quote returns s as an RFC 9110 quoted-string. Control characters, which a
// quoted-string cannot hold, become '?'.
func quote(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c < 0x20 || c == 0x7f:
			b.WriteByte('?')
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
	return b.String()
}
