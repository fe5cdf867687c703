package federation

import (
	"crypto/elliptic"
	"encoding/base64"
	"encoding/json"
	"hash"
	"math/big"
	"strings"
)

// p256HalfOrder is n/2 of P-256, the curve of ES256.
var (
	p256Order     = elliptic.P256().Params().N
	p256HalfOrder = new(big.Int).Rsh(p256Order, 1)
)

// writeOneSpelling writes jwt to h in the one spelling every valid
// variant of it shares. Base64url variants are refused before this
// (PeekIssuer's CanonicalSegment), but an ECDSA signature (r, s) has a
// twin (r, n−s) that verifies as well: an ES256 token with a high s is
// hashed with its low-s twin, so that a revoked login cannot come back,
// nor an ID token be exchanged again, by flipping s. RS256 signatures are
// one integer below the modulus and Ed25519's S is checked below the group
// order by the verifier, so neither has a twin.
func writeOneSpelling(h hash.Hash, jwt string) {
	signing, sig, ok := splitSignature(jwt)
	if !ok || !isES256(signing) {
		h.Write([]byte(jwt))
		return
	}
	raw, err := base64.RawURLEncoding.Strict().DecodeString(sig)
	if err != nil || len(raw) != 64 {
		h.Write([]byte(jwt))
		return
	}
	s := new(big.Int).SetBytes(raw[32:])
	if s.Cmp(p256HalfOrder) > 0 {
		s.Sub(p256Order, s)
		s.FillBytes(raw[32:])
	}
	h.Write([]byte(signing))
	h.Write([]byte{'.'})
	h.Write([]byte(base64.RawURLEncoding.EncodeToString(raw)))
}

// splitSignature returns "header.payload" and the signature segment.
func splitSignature(jwt string) (signing, sig string, ok bool) {
	i := strings.LastIndexByte(jwt, '.')
	if i < 0 {
		return "", "", false
	}
	return jwt[:i], jwt[i+1:], true
}

// isES256 reports whether the header of "header.payload" names ES256.
func isES256(signing string) bool {
	header, _, ok := strings.Cut(signing, ".")
	if !ok {
		return false
	}
	raw, err := base64.RawURLEncoding.Strict().DecodeString(header)
	if err != nil {
		return false
	}
	var h struct {
		Alg string `json:"alg"`
	}
	return json.Unmarshal(raw, &h) == nil && h.Alg == "ES256"
}
