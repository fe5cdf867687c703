package server

import (
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/oatgate/oatgate/cmd/oatstore/authz"
)

// MinKeyLength is the shortest admin or gateway key New accepts, in bytes:
// the 64 hex characters of "openssl rand -hex 32" are well above it, a
// word or a short password is not.
const MinKeyLength = 32

// ErrShortKey is returned by New when a key is shorter than MinKeyLength.
var ErrShortKey = errors.New("key too short")

// checkKeyLengths refuses a key shorter than MinKeyLength, naming which
// one (never showing it) and how to make a good one. what is "admin" or
// "gateway"; env is the variable that usually holds it. Gateway keys are
// numbered, since several are given while rotating.
func checkKeyLengths(keys []string, what, env string, numbered bool) error {
	for i, key := range keys {
		key = strings.TrimSpace(key)
		if key == "" || len(key) >= MinKeyLength {
			continue
		}
		name := what + " key"
		if numbered || len(keys) > 1 {
			name = fmt.Sprintf("%s %d", name, i+1)
		}
		return fmt.Errorf("%w: %s is %d bytes, want at least %d; make one with: export %s=$(openssl rand -hex 32)",
			ErrShortKey, name, len(key), MinKeyLength, env)
	}
	return nil
}

// keyring holds the SHA-256 of each accepted key. Comparing digests keeps
// the comparison constant-time even across keys of different lengths.
type keyring [][sha256.Size]byte

func newKeyring(keys []string) keyring {
	var k keyring
	for _, key := range keys {
		if key = strings.TrimSpace(key); key != "" {
			k = append(k, sha256.Sum256([]byte(key)))
		}
	}
	return k
}

func (k keyring) empty() bool { return len(k) == 0 }

// match reports whether presented is one of the keys. It looks at every key
// whatever the outcome, so timing says nothing about which one matched.
func (k keyring) match(presented string) bool {
	if presented == "" {
		return false
	}
	d := sha256.Sum256([]byte(presented))
	ok := 0
	for i := range k {
		ok |= subtle.ConstantTimeCompare(d[:], k[i][:])
	}
	return ok == 1
}

func (s *Server) asGateway(h http.HandlerFunc) http.Handler {
	return s.guard(s.gateway, "gateway key", h)
}

func (s *Server) guard(keys keyring, what string, h http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !keys.match(authz.Bearer(r)) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="oatstore"`)
			writeError(w, http.StatusUnauthorized, codeUnauthorized, "missing or wrong "+what+" (Authorization: Bearer ...)")
			return
		}
		h(w, r)
	})
}
