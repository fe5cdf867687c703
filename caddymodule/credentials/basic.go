// Package credentials reads the HTTP Basic credentials registry clients send:
// the username is the organization, the password is its access token or a
// CI job's OIDC ID token (a JWT of 1–8 KiB).
package credentials

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"net/http"
	"strings"
	"unsafe"
)

// MaxHeaderLen bounds the Authorization header the gateway will decode: an
// organization name and an ID token of up to 8 KiB (idtoken.MaxLen), base64
// encoded. Anything longer is refused before decoding so that a hostile
// header costs nothing.
const MaxHeaderLen = 12 << 10

// shortHeaderLen is the longest header decoded on the stack: an org name and
// an access token fit in far less. Longer ones (ID tokens) are decoded into
// a buffer of their own.
const shortHeaderLen = 1024

// Errors say why credentials could not be read. They never contain any part
// of the header, which may hold a secret.
var (
	ErrMissing   = errors.New("no credentials")
	ErrMalformed = errors.New("malformed basic credentials")
	ErrScheme    = errors.New("authorization scheme is not basic")
	ErrMultiple  = errors.New("more than one authorization header")
	ErrTooLong   = errors.New("authorization header too long")
)

// Basic is an org name and a token. Its String method hides the token.
type Basic struct {
	Username string
	password string
}

// Password returns the secret. Call it only to check or verify the token.
func (b Basic) Password() string { return b.password }

// String prints the username only, so a Basic in a log line leaks nothing.
func (b Basic) String() string { return b.Username + ":***" }

// GoString hides the password from %#v as well.
func (b Basic) GoString() string {
	return "credentials.Basic{Username:" + quote(b.Username) + ", password:***}"
}

// FromRequest reads the request's Basic credentials. It refuses more than one
// Authorization header rather than choosing one, since a proxy in front may
// choose differently.
func FromRequest(h http.Header) (Basic, error) {
	values := h["Authorization"]
	switch len(values) {
	case 0:
		return Basic{}, ErrMissing
	case 1:
		return ParseBasic(values[0])
	default:
		return Basic{}, ErrMultiple
	}
}

// ParseBasic parses the value of an Authorization header in the Basic scheme
// (RFC 7617). The scheme name is case-insensitive; the username and password
// must both be non-empty and free of control characters. Spaces, tabs and
// line breaks around the password are dropped: a token pasted with its
// trailing newline is still the token, and no token contains them.
func ParseBasic(header string) (Basic, error) {
	if header == "" {
		return Basic{}, ErrMissing
	}
	if len(header) > MaxHeaderLen {
		return Basic{}, ErrTooLong
	}
	const prefix = "Basic "
	if len(header) < len(prefix) || !strings.EqualFold(header[:len(prefix)], prefix) {
		return Basic{}, ErrScheme
	}
	encoded := header[len(prefix):]
	if len(encoded) > shortHeaderLen {
		return parseLong(encoded)
	}
	var buf [shortHeaderLen]byte
	n, err := base64.StdEncoding.Decode(buf[:], unsafeBytes(encoded))
	if err != nil {
		return Basic{}, ErrMalformed
	}
	colon, start, end, ok := split(buf[:n])
	if !ok {
		return Basic{}, ErrMalformed
	}
	s := string(buf[:end]) // one allocation for both
	return Basic{Username: s[:colon], password: s[start:]}, nil
}

// parseLong is ParseBasic for a header too long to decode on the stack:
// an ID token as the password. It decodes into a buffer of its own, which
// the returned strings then share.
func parseLong(encoded string) (Basic, error) {
	buf := make([]byte, base64.StdEncoding.DecodedLen(len(encoded)))
	n, err := base64.StdEncoding.Decode(buf, unsafeBytes(encoded))
	if err != nil {
		return Basic{}, ErrMalformed
	}
	colon, start, end, ok := split(buf[:n])
	if !ok {
		return Basic{}, ErrMalformed
	}
	// buf is never written again: the string can share it instead of
	// copying an ID token.
	s := unsafe.String(&buf[0], end)
	return Basic{Username: s[:colon], password: s[start:]}, nil
}

// unsafeBytes is s's bytes without a copy, for base64's Decode, which only
// reads its source: a conversion to []byte would copy the header to the
// heap.
func unsafeBytes(s string) []byte { return unsafe.Slice(unsafe.StringData(s), len(s)) }

// split finds the username (decoded[:colon]) and the password, trimmed
// (decoded[start:end]), of decoded credentials; ok is false when either is
// empty or holds a control character.
func split(decoded []byte) (colon, start, end int, ok bool) {
	colon = bytes.IndexByte(decoded, ':')
	if colon <= 0 {
		return 0, 0, 0, false
	}
	end = len(bytes.TrimRight(decoded, " \t\r\n"))
	start = end - len(bytes.TrimLeft(decoded[colon+1:end], " \t\r\n"))
	if start >= end || hasControl(decoded[:colon]) || hasControl(decoded[start:end]) {
		return 0, 0, 0, false
	}
	return colon, start, end, true
}

// hasControl reports whether b holds a control character (below 0x20, or
// DEL). It reads eight bytes at a time: an ID token as the password is 1–8
// KiB, read on every request that carries it.
func hasControl(b []byte) bool {
	const (
		ones  = 0x0101010101010101
		highs = 0x8080808080808080
	)
	for ; len(b) >= 8; b = b[8:] {
		x := binary.LittleEndian.Uint64(b)
		// A byte below 0x20, or a byte that is 0x7f (zero after the
		// xor): the classic tests for a byte below n and for a zero
		// byte in a word, exact for n <= 0x80.
		del := x ^ 0x7f7f7f7f7f7f7f7f
		if (x-0x20*ones)&^x&highs != 0 || (del-ones)&^del&highs != 0 {
			return true
		}
	}
	for _, c := range b {
		if c < 0x20 || c == 0x7f {
			return true
		}
	}
	return false
}

func quote(s string) string { return `"` + strings.ReplaceAll(s, `"`, `\"`) + `"` }
