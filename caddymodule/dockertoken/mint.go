package dockertoken

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// Token lifetimes.
const (
	// DefaultTTL is how long a minted token lives unless configured.
	DefaultTTL = 5 * time.Minute
	// MaxTTL is the longest lifetime a Signer accepts: a bearer token is a
	// cached decision, and a long-lived one is a second credential.
	MaxTTL = time.Hour
)

// ErrOATExpired reports a mint for an OAT that has expired (or expires
// within the second): the caller should have refused the credential.
var ErrOATExpired = errors.New("access token expired")

// Signer mints bearer tokens: HS256 JWTs signed with one key. HS256 rather
// than EdDSA because every replica both mints and verifies and so must hold
// the key anyway; a public-key signature would only matter if someone
// verified without being trusted to mint, and costs about fifty times more to
// verify (Ed25519 ~50 µs, HMAC-SHA256 ~1 µs). A Signer is safe for
// concurrent use.
type Signer struct {
	key    Key
	signer jose.Signer
	issuer string
	ttl    time.Duration
}

// NewSigner returns a Signer that signs with key, names issuer in "iss" and
// gives tokens ttl (DefaultTTL when 0, at most MaxTTL).
func NewSigner(key Key, issuer string, ttl time.Duration) (*Signer, error) {
	if len(key.secret) != KeySize {
		return nil, errors.New("signing key missing: derive one with DeriveKey")
	}
	if issuer == "" {
		return nil, errors.New("token issuer is empty: name the gateway, e.g. its service name")
	}
	if ttl == 0 {
		ttl = DefaultTTL
	}
	if ttl < time.Second || ttl > MaxTTL {
		return nil, fmt.Errorf("token lifetime %s out of range: want 1s to %s", ttl, MaxTTL)
	}
	opts := (&jose.SignerOptions{}).WithType("JWT").WithHeader(jose.HeaderKey("kid"), key.id)
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.HS256, Key: key.secret}, opts)
	if err != nil {
		return nil, fmt.Errorf("setting up token signing: %w", err)
	}
	return &Signer{key: key, signer: signer, issuer: issuer, ttl: ttl}, nil
}

// Subject is who a token is minted for: an OAT, or no one.
type Subject struct {
	// TokenID is the OAT's id; empty for an anonymous token.
	TokenID string
	// Org is the OAT's organization; empty for an anonymous token.
	Org string
	// Expires is when the OAT expires; zero if it never does. The token
	// never outlives it.
	Expires time.Time
}

// Minted is a signed token and what the token endpoint answers about it.
type Minted struct {
	// Raw is the compact JWS: the bearer token itself. It is a credential
	// for its lifetime: never log it.
	Raw string
	// Claims are the claims Raw carries.
	Claims *Claims
	// IssuedAt is the token's iat.
	IssuedAt time.Time
	// ExpiresIn is its lifetime in whole seconds, as "expires_in" says it.
	ExpiresIn int
}

// Mint signs a token for sub, bound to service (its "aud"), granting
// granted (see Grant), valid from now for the Signer's TTL or until the
// OAT's expiry, whichever is sooner. It returns ErrOATExpired when the OAT
// has less than a second left.
func (s *Signer) Mint(sub Subject, service string, granted []Access, now time.Time) (Minted, error) {
	if service == "" {
		return Minted{}, errors.New("minting a token: service is empty")
	}
	if (sub.TokenID == "") != (sub.Org == "") {
		return Minted{}, errors.New("minting a token: a subject needs both a token id and an org, or neither")
	}
	iat := now.Truncate(time.Second)
	exp := iat.Add(s.ttl)
	if !sub.Expires.IsZero() && sub.Expires.Before(exp) {
		exp = sub.Expires.Truncate(time.Second)
	}
	if !exp.After(iat) {
		return Minted{}, ErrOATExpired
	}
	jti, err := newJTI()
	if err != nil {
		return Minted{}, err
	}
	subject := sub.TokenID
	if subject == "" {
		subject = Anonymous
	}
	if granted == nil {
		granted = []Access{}
	}
	c := &Claims{
		Claims: jwt.Claims{
			Issuer:    s.issuer,
			Subject:   subject,
			Audience:  jwt.Audience{service},
			Expiry:    jwt.NewNumericDate(exp),
			NotBefore: jwt.NewNumericDate(iat),
			IssuedAt:  jwt.NewNumericDate(iat),
			ID:        jti,
		},
		Access: granted,
		Org:    sub.Org,
	}
	raw, err := jwt.Signed(s.signer).Claims(c).Serialize()
	if err != nil {
		return Minted{}, fmt.Errorf("signing a token: %w", err)
	}
	return Minted{Raw: raw, Claims: c, IssuedAt: iat, ExpiresIn: int(exp.Sub(iat) / time.Second)}, nil
}

// newJTI returns 128 random bits, so that two tokens minted in the same
// second for the same request differ (and a cache keyed by their hash does
// not confuse them).
func newJTI() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("minting a token id: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b[:]), nil
}
