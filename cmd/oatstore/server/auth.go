package server

import (
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"strings"

	"github.com/oatgate/oatgate/cmd/oatstore/authz"
)

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
