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
// It does not allocate.
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
	if !isBase64URL(s[:first]) || !isBase64URL(s[first+1:second]) || (signature != "" && !isBase64URL(signature)) {
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

// isBase64URL reports whether s is non-empty and only base64url characters
// without padding (RFC 7515 §2).
func isBase64URL(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !base64URL[s[i]] {
			return false
		}
	}
	return true
}

// base64URL marks the bytes of the base64url alphabet.
var base64URL = func() (t [256]bool) {
	for _, c := range []byte("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") {
		t[c] = true
	}
	return t
}()
