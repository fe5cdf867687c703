package oat

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
)

// ErrHash reports a string that is not a hash as Hash.String writes it.
var ErrHash = errors.New("not a token hash")

// Hash is the SHA-256 of a whole token string. The store keeps only this and
// the gateway's cache is keyed by it, so neither holds a usable secret.
type Hash [sha256.Size]byte

// HashOf returns the SHA-256 of the token string, prefix and checksum
// included. For strings of a token's length it does not allocate: the
// gateway hashes every request's token to find it in its cache.
func HashOf(token string) Hash {
	if len(token) <= Len {
		var buf [Len]byte
		n := copy(buf[:], token)
		return sha256.Sum256(buf[:n])
	}
	return sha256.Sum256([]byte(token))
}

// String returns the hash as lowercase hex.
func (h Hash) String() string { return hex.EncodeToString(h[:]) }

// ParseHash reads a hash as String writes it: 64 lowercase hex digits.
// Uppercase is refused so that each hash has one spelling, as a database key
// should.
func ParseHash(s string) (Hash, error) {
	var h Hash
	if len(s) != 2*len(h) {
		return Hash{}, fmt.Errorf("parsing %q: %w: want %d hex digits", s, ErrHash, 2*len(h))
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return Hash{}, fmt.Errorf("parsing %q: %w: want lowercase hex digits", s, ErrHash)
		}
	}
	if _, err := hex.Decode(h[:], []byte(s)); err != nil {
		return Hash{}, fmt.Errorf("parsing %q: %w: %v", s, ErrHash, err)
	}
	return h, nil
}

// MarshalText writes the hash as String does.
func (h Hash) MarshalText() ([]byte, error) { return []byte(h.String()), nil }

// UnmarshalText reads the hash as ParseHash does.
func (h *Hash) UnmarshalText(b []byte) error {
	parsed, err := ParseHash(string(b))
	if err != nil {
		return err
	}
	*h = parsed
	return nil
}
