package catalog

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"strings"
)

// CursorPrefix starts a sealed cursor; no repository name can start with it.
const CursorPrefix = "~"

// Cursor seals the `last` value of a next-page Link when it is a name the
// token may not see. A page walk that stops after its page budget in a run
// of other orgs' repositories must still hand the client a place to resume,
// and that place must not tell the client which repository exists there.
// Sealed cursors are AES-GCM with a key derived from a secret all gateway
// replicas share, so any replica can resume a walk another began.
type Cursor struct {
	aead cipher.AEAD
}

// NewCursor derives the sealing key from secret.
func NewCursor(secret string) (*Cursor, error) {
	key := sha256.Sum256([]byte("oatgate catalog cursor\x00" + secret))
	block, err := aes.NewCipher(key[:])
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &Cursor{aead: aead}, nil
}

// sealedLen is the padded length of every sealed name, so that a cursor's
// length does not tell the length of the name it hides. Repository names
// have at most 255 bytes.
const sealedLen = 256

// Seal returns name as an opaque cursor.
func (c *Cursor) Seal(name string) string {
	plain := make([]byte, sealedLen)
	copy(plain, name)
	nonce := make([]byte, c.aead.NonceSize(), c.aead.NonceSize()+sealedLen+c.aead.Overhead())
	_, _ = rand.Read(nonce)
	sealed := c.aead.Seal(nonce, nonce, plain, nil)
	return CursorPrefix + base64.RawURLEncoding.EncodeToString(sealed)
}

// Open returns the name a `last` value stands for: the name itself when it
// is not sealed, the sealed name when it is. ok is false for a sealed value
// this gateway did not make.
func (c *Cursor) Open(last string) (name string, sealed, ok bool) {
	rest, sealed := strings.CutPrefix(last, CursorPrefix)
	if !sealed {
		return last, false, true
	}
	raw, err := base64.RawURLEncoding.DecodeString(rest)
	if err != nil || len(raw) < c.aead.NonceSize() {
		return "", true, false
	}
	plain, err := c.aead.Open(nil, raw[:c.aead.NonceSize()], raw[c.aead.NonceSize():], nil)
	if err != nil {
		return "", true, false
	}
	return strings.TrimRight(string(plain), "\x00"), true, true
}
