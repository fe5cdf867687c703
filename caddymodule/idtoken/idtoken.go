// Package idtoken recognizes a CI job's OIDC ID token (a JWT) presented as a
// password, as `echo "$ID_TOKEN" | docker login -u acme --password-stdin`
// sends it. It judges the shape only: three base64url segments, a bounded
// length, a header that is a JSON object naming a signing algorithm other
// than "none", and a signature. It never verifies the signature: that needs
// the issuer's keys, and the token store does it (it also matches the org's
// trust policies). The check exists so that garbage and unsigned tokens are
// refused without a network call, as oat.Check does for access tokens.
package idtoken

import (
	"bytes"
	"encoding/base64"
	"errors"
	"strings"
)

// MaxLen is the longest ID token accepted. GitHub Actions' and GitLab CI's
// are 1–2 KiB and Kubernetes service-account tokens about 1 KiB; 8 KiB
// leaves room for many custom claims and bounds what a request makes the
// gateway hash and the store parse.
const MaxLen = 8 << 10

// maxHeaderLen bounds the encoded header segment: a JOSE header is an alg,
// a kid and a typ, well under 1 KiB.
const maxHeaderLen = 1024

// Errors say why a string is not an ID token. None holds any part of it.
var (
	// ErrNotJWT: not three non-empty base64url segments separated by dots.
	ErrNotJWT = errors.New("not a JWT: want three base64url segments separated by dots")
	// ErrTooLong: longer than MaxLen.
	ErrTooLong = errors.New("ID token longer than 8 KiB")
	// ErrHeader: the header is not a JSON object naming its alg.
	ErrHeader = errors.New("the JWT header is not a JSON object with an alg")
	// ErrUnsigned: alg "none", which no trust policy accepts.
	ErrUnsigned = errors.New("unsigned JWT (alg none)")
)

// Looks reports whether s starts the way every JWT does: a header that is a
// JSON object, `{"`, is "eyJ" in base64url. It is the cheap test that tells
// an ID token from a mistyped access token before Check runs.
func Looks(s string) bool { return strings.HasPrefix(s, "eyJ") }

// Check reports whether s has the shape of a signed JWS in compact form.
// Each segment must be canonical base64url (CanonicalSegment), so that one
// token has one spelling. It does not allocate.
func Check(s string) error {
	if len(s) > MaxLen {
		return ErrTooLong
	}
	first := strings.IndexByte(s, '.')
	if first <= 0 {
		return ErrNotJWT
	}
	second := strings.IndexByte(s[first+1:], '.')
	if second <= 0 {
		return ErrNotJWT
	}
	second += first + 1
	// The signature is checked after the header: an empty one is what alg
	// none leaves, and that deserves its own answer. A third dot makes a
	// JWE or garbage.
	signature := s[second+1:]
	if !CanonicalSegment(s[:first]) || !CanonicalSegment(s[first+1:second]) || (signature != "" && !CanonicalSegment(signature)) {
		return ErrNotJWT
	}
	if first > maxHeaderLen {
		return ErrHeader
	}
	// Copied to the stack: converting the string to []byte would allocate.
	var enc [maxHeaderLen]byte
	m := copy(enc[:], s[:first])
	var buf [maxHeaderLen * 3 / 4]byte
	n, err := base64.RawURLEncoding.Decode(buf[:], enc[:m])
	if err != nil {
		return ErrNotJWT
	}
	alg, ok := headerAlg(buf[:n])
	if !ok || len(alg) == 0 {
		return ErrHeader
	}
	if bytes.EqualFold(alg, []byte("none")) {
		return ErrUnsigned
	}
	if signature == "" {
		return ErrNotJWT
	}
	return nil
}

// CanonicalSegment reports whether s is a JWS segment spelled the one way
// base64url encodes its bytes (RFC 7515 §2, RFC 4648 §3.5): non-empty,
// only base64url characters, no padding, and the unused low bits of the
// last character zero. Go's decoders (and go-jose) accept those bits set,
// so without this check one JWT has several spellings that all verify:
// a revoked login's JWT would come back as a "new" one under another hash.
// It does not allocate.
func CanonicalSegment(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if base64URLValue[s[i]] < 0 {
			return false
		}
	}
	last := base64URLValue[s[len(s)-1]]
	switch len(s) % 4 {
	case 1:
		return false // 6 bits: no whole byte
	case 2:
		return last&0x0f == 0 // 12 bits: 1 byte and 4 unused
	case 3:
		return last&0x03 == 0 // 18 bits: 2 bytes and 2 unused
	}
	return true
}

// base64URLValue is the value of each byte of the base64url alphabet, -1
// for any other byte.
var base64URLValue = func() (t [256]int8) {
	for i := range t {
		t[i] = -1
	}
	for i, c := range []byte("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") {
		t[c] = int8(i)
	}
	return t
}()
