// Package oat is the organization access token format: "oat_", a 256-bit
// random secret and a CRC32 checksum, all base62. The checksum lets the
// gateway refuse typos and garbage without a network call, and the fixed
// shape lets secret scanners find leaked tokens by pattern:
//
//	oat_[0-9A-Za-z]{43}[0-9A-Za-z]{6}
package oat

import (
	"crypto/rand"
	"errors"
	"fmt"
)

// Prefix starts every token.
const Prefix = "oat_"

const (
	secretBytes = 32
	// secretLen is the width of secretBytes in base62: 62^43 > 2^256.
	secretLen = 43
	// checksumLen is the width of a CRC32 in base62: 62^6 > 2^32.
	checksumLen = 6
	// Len is the length of every token.
	Len = len(Prefix) + secretLen + checksumLen
)

// redacted is what a Token prints instead of its secret.
const redacted = Prefix + "***"

var (
	// ErrFormat reports a string that is not shaped like a token: wrong
	// prefix, wrong length or a character outside base62.
	ErrFormat = errors.New("not an organization access token")
	// ErrChecksum reports a token-shaped string whose checksum does not
	// match its secret: a typo or a forgery.
	ErrChecksum = errors.New("organization access token checksum mismatch")
)

// maxSecret is the encoding of the largest 256-bit secret. Longer digit
// strings of the same width encode numbers no Generate call can produce.
var maxSecret = func() string {
	var b [secretBytes]byte
	for i := range b {
		b[i] = 0xff
	}
	s := encodeSecret(b)
	return string(s[:])
}()

// Token holds a token's secret. It prints as "oat_***" through every fmt
// verb, Stringer, GoStringer and text/JSON marshalling, so it cannot leak
// into logs by accident; Reveal returns the real string, for the one place
// that must show or send it. The zero Token is empty.
type Token struct {
	secret string
}

// Generate returns a new token with a secret from crypto/rand.
func Generate() (Token, error) {
	var b [secretBytes]byte
	if _, err := rand.Read(b[:]); err != nil {
		return Token{}, fmt.Errorf("generating token secret: %w", err)
	}
	secret := encodeSecret(b)
	sum := encodeChecksum(checksum(string(secret[:])))
	return Token{secret: Prefix + string(secret[:]) + string(sum[:])}, nil
}

// Check verifies the token's shape and checksum without allocating, so the
// gateway can refuse garbage before any cache or network lookup. It returns
// ErrFormat or ErrChecksum.
func Check(token string) error {
	if len(token) != Len || token[:len(Prefix)] != Prefix {
		return ErrFormat
	}
	secret, sum := token[len(Prefix):len(Prefix)+secretLen], token[len(Prefix)+secretLen:]
	for i := 0; i < len(secret); i++ {
		if digitOf[secret[i]] == notDigit {
			return ErrFormat
		}
	}
	if secret > maxSecret {
		return ErrFormat
	}
	// Fixed-width digits decode one-to-one, so comparing the decoded value
	// compares the text, and multiplying is cheaper than encoding.
	var got uint64
	for i := 0; i < len(sum); i++ {
		d := digitOf[sum[i]]
		if d == notDigit {
			return ErrFormat
		}
		got = got*62 + uint64(d)
	}
	if got != uint64(checksum(secret)) {
		return ErrChecksum
	}
	return nil
}

// Reveal returns the token itself. Call it only to show the token once at
// creation or to send it to the token store.
func (t Token) Reveal() string { return t.secret }

// Hash returns HashOf the token.
func (t Token) Hash() Hash { return HashOf(t.secret) }

// String returns "oat_***", never the secret.
func (t Token) String() string { return redacted }

// GoString returns "oat_***", never the secret, so %#v is safe too.
func (t Token) GoString() string { return redacted }

// Format prints "oat_***" for every verb, so %x or %q cannot reach the
// secret either.
func (t Token) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(redacted)) }

// MarshalText returns "oat_***", so encoders (JSON, zap's reflection) never
// see the secret. A response that must carry the token uses Reveal.
func (t Token) MarshalText() ([]byte, error) { return []byte(redacted), nil }
