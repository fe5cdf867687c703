package dockertoken

import (
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
)

// KeyInfo is the HKDF info string that derives the signing key from the
// store key. It is fixed and versioned: every replica given the same store
// key derives the same signing key, so a token minted by one is accepted by
// all; changing it invalidates every token in flight.
const KeyInfo = "oatgate docker bearer token signing key v1"

// KeySize is the length of a signing key in bytes: HS256's full strength.
const KeySize = 32

// ErrShortSecret reports a secret too short to derive a signing key from.
var ErrShortSecret = errors.New("secret too short for a signing key")

// minSecret is the shortest secret a key is derived from. The store key is a
// random string much longer than this; the bound refuses a placeholder that
// expanded to nothing.
const minSecret = 16

// Key is an HMAC-SHA256 signing key and its key id. Its String and GoString
// print the id only.
type Key struct {
	id     string
	secret []byte
}

// DeriveKey derives the signing key from secret (the gateway's store key, or
// a configured token key) with HKDF-SHA256 and KeyInfo, so that the store
// key itself never signs anything and the two uses cannot be confused.
func DeriveKey(secret string) (Key, error) {
	if len(secret) < minSecret {
		return Key{}, fmt.Errorf("%w: want at least %d bytes", ErrShortSecret, minSecret)
	}
	k, err := hkdf.Key(sha256.New, []byte(secret), nil, KeyInfo, KeySize)
	if err != nil {
		return Key{}, fmt.Errorf("deriving the token signing key: %w", err)
	}
	return newKey(k), nil
}

// newKey names k by the first 12 bytes of its SHA-256: a key id that tells
// keys apart (for rotation) without revealing anything about them.
func newKey(k []byte) Key {
	sum := sha256.Sum256(append([]byte("oatgate key id\x00"), k...))
	return Key{id: base64.RawURLEncoding.EncodeToString(sum[:12]), secret: k}
}

// ID returns the key id tokens carry in their "kid" header.
func (k Key) ID() string { return k.id }

// String prints the key id only.
func (k Key) String() string { return "dockertoken.Key{id:" + k.id + ", secret:***}" }

// GoString prints the key id only.
func (k Key) GoString() string { return k.String() }
