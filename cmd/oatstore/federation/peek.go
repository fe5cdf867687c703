package federation

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"strings"

	"github.com/oatgate/oatgate/caddymodule/idtoken"
)

// MaxJWTLen bounds an ID token: GitHub's are about 1.2 KB, Kubernetes'
// about 1 KB; 16 KiB leaves room for any issuer's claims and refuses a
// body meant to make the verifier work.
const MaxJWTLen = 16 << 10

// PeekIssuer returns the iss claim of a compact JWT without verifying
// anything: it only says which policies' issuer may have signed the token,
// and so which keys to verify it with. Nothing else may be read from an
// unverified token. It refuses (ErrRefused) anything that is not three
// canonical base64url segments (idtoken.CanonicalSegment: a JWT has one
// spelling, so LoginHash is one per token) whose middle one is a JSON
// object with a string iss.
func PeekIssuer(jwt string) (string, error) {
	if len(jwt) == 0 || len(jwt) > MaxJWTLen {
		return "", refused("token length %d outside 1..%d", len(jwt), MaxJWTLen)
	}
	if strings.Count(jwt, ".") != 2 {
		return "", refused("not a compact JWS")
	}
	header, rest, _ := strings.Cut(jwt, ".")
	payload, signature, _ := strings.Cut(rest, ".")
	// One token, one spelling: the login hash is of the string.
	if !idtoken.CanonicalSegment(header) || !idtoken.CanonicalSegment(payload) || !idtoken.CanonicalSegment(signature) {
		return "", refused("a segment is not canonical base64url")
	}
	raw, err := base64.RawURLEncoding.Strict().DecodeString(payload)
	if err != nil {
		return "", refused("payload is not base64url")
	}
	var claims struct {
		Issuer *string `json:"iss"`
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	if err := dec.Decode(&claims); err != nil || dec.More() {
		return "", refused("payload is not one JSON object")
	}
	if claims.Issuer == nil || *claims.Issuer == "" {
		return "", refused("no iss claim")
	}
	return *claims.Issuer, nil
}

// LoginHash is what the store keys the federated token of a gateway login
// by: the SHA-256 of the org and the JWT, domain-separated from the hash of
// an oat_ secret. The same JWT presented for two orgs gives two tokens;
// the same (org, JWT) gives the same row, on every replica and every retry,
// whichever of its valid spellings is presented (writeOneSpelling).
func LoginHash(org, jwt string) [sha256.Size]byte {
	h := sha256.New()
	h.Write([]byte("oatgate federated login\x00"))
	h.Write([]byte(org))
	h.Write([]byte{0})
	writeOneSpelling(h, jwt)
	var out [sha256.Size]byte
	h.Sum(out[:0])
	return out
}

// IDTokenHash is what the store counts an ID token's exchanges by: the
// SHA-256 of the (canonical) JWT, domain-separated from LoginHash and the
// hash of an oat_ secret.
func IDTokenHash(jwt string) [sha256.Size]byte {
	h := sha256.New()
	h.Write([]byte("oatgate ID token\x00"))
	writeOneSpelling(h, jwt)
	var out [sha256.Size]byte
	h.Sum(out[:0])
	return out
}
