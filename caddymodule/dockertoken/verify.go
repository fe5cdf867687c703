package dockertoken

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/oatgate/oatgate/caddymodule/scope"
)

// MaxTokenLen bounds the bearer tokens Verify reads. The largest token Mint
// makes (MaxScopes entries with 255-byte names) is about 14 KB.
const MaxTokenLen = 16 << 10

// Why a bearer token is refused. Every error Verify returns wraps one of
// these; all are refusals (a 401 with error="invalid_token"), none is a
// failure to serve. None holds any part of the token.
var (
	ErrMalformed  = errors.New("bearer token malformed")
	ErrUnknownKey = errors.New("bearer token signed with an unknown key: ask the token endpoint for a new one")
	ErrSignature  = errors.New("bearer token signature invalid")
	ErrIssuer     = errors.New("bearer token from another issuer")
	ErrAudience   = errors.New("bearer token for another service")
	ErrClaims     = errors.New("bearer token claims incomplete")
)

// Verifier checks bearer tokens minted by any replica that shares its keys.
// It is safe for concurrent use.
type Verifier struct {
	keys    map[string][]byte
	issuer  string
	service string
}

// NewVerifier accepts tokens issued by issuer for service and signed with
// any of keys: the current key first, then any being rotated out.
func NewVerifier(issuer, service string, keys ...Key) (*Verifier, error) {
	if issuer == "" || service == "" {
		return nil, errors.New("token verification needs an issuer and a service")
	}
	if len(keys) == 0 {
		return nil, errors.New("token verification needs at least one key")
	}
	v := &Verifier{keys: make(map[string][]byte, len(keys)), issuer: issuer, service: service}
	for _, k := range keys {
		if len(k.secret) != KeySize {
			return nil, errors.New("token verification key missing: derive one with DeriveKey")
		}
		v.keys[k.id] = k.secret
	}
	return v, nil
}

// algorithms is the one algorithm accepted: "none", RS*, ES*, EdDSA and the
// other HMACs are refused by the parser before any key is consulted.
var algorithms = []jose.SignatureAlgorithm{jose.HS256}

// Verify checks raw's form, algorithm, key id, signature, issuer, audience
// and time window at now, and returns its claims. It costs a few
// microseconds; a gateway caches the result by Digest(raw) and, on a hit,
// calls only Claims.ValidAt.
func (v *Verifier) Verify(raw string, now time.Time) (*Claims, error) {
	if len(raw) == 0 || len(raw) > MaxTokenLen {
		return nil, ErrMalformed
	}
	tok, err := jwt.ParseSigned(raw, algorithms)
	if err != nil || len(tok.Headers) != 1 {
		return nil, ErrMalformed
	}
	key, ok := v.keys[tok.Headers[0].KeyID]
	if !ok {
		return nil, ErrUnknownKey
	}
	var c Claims
	if err := tok.Claims(key, &c); err != nil {
		if errors.Is(err, jose.ErrCryptoFailure) {
			return nil, ErrSignature
		}
		return nil, ErrMalformed
	}
	if err := v.checkClaims(&c, now); err != nil {
		return nil, err
	}
	return &c, nil
}

// checkClaims checks what the signature cannot: that the token is ours, for
// this service, complete, and current.
func (v *Verifier) checkClaims(c *Claims, now time.Time) error {
	switch {
	case c.Issuer != v.issuer:
		return ErrIssuer
	case !c.Audience.Contains(v.service):
		return ErrAudience
	case c.Subject == "" || c.IssuedAt == nil || c.Expiry == nil || c.ID == "":
		return ErrClaims
	case c.IsAnonymous() != (c.Org == ""):
		return fmt.Errorf("%w: org and subject disagree", ErrClaims)
	case !c.IsAnonymous() && !scope.ValidOrg(c.Org):
		return fmt.Errorf("%w: invalid org", ErrClaims)
	}
	return c.ValidAt(now)
}

// Digest is the cache key of a bearer token: its SHA-256, so that the cache
// never holds the token itself. It runs on every bearer request, so tokens
// of up to digestBuf bytes (all but those with many long names) are hashed
// from a stack copy without allocating.
func Digest(raw string) [sha256.Size]byte {
	if len(raw) <= digestBuf {
		var buf [digestBuf]byte
		n := copy(buf[:], raw)
		return sha256.Sum256(buf[:n])
	}
	return sha256.Sum256([]byte(raw))
}

// digestBuf is the longest token Digest hashes without allocating. A token
// for one repository is under 400 bytes.
const digestBuf = 2048
