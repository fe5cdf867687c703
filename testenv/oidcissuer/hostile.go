package oidcissuer

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"maps"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// The tokens below are the ones a verifier must refuse. Each takes the
// same claims as Mint and fills them in the same way, so that the only
// thing wrong with it is the one thing its name says.

// MintNone is an unsigned token: header alg "none", empty signature.
func (iss *Issuer) MintNone(claims Claims) (string, error) {
	payload, err := json.Marshal(iss.complete(claims))
	if err != nil {
		return "", fmt.Errorf("encoding claims: %w", err)
	}
	return headerOf("none", "") + "." + segment(payload) + ".", nil
}

// MintHS256WithPublicKey is the algorithm-confusion attack: HMAC-SHA256
// keyed with the issuer's public key (PKIX PEM, as a verifier that trusts
// the header's alg would load it), under the real key's kid.
func (iss *Issuer) MintHS256WithPublicKey(claims Claims) (string, error) {
	key := iss.currentKey()
	payload, err := json.Marshal(iss.complete(claims))
	if err != nil {
		return "", fmt.Errorf("encoding claims: %w", err)
	}
	signingInput := headerOf(string(jose.HS256), key.kid) + "." + segment(payload)
	mac := hmac.New(sha256.New, key.publicPEM())
	mac.Write([]byte(signingInput))
	return signingInput + "." + segment(mac.Sum(nil)), nil
}

// MintUnknownKid is signed by a key of the issuer's algorithm that its JWKS
// has never published, under a kid it does not know.
func (iss *Issuer) MintUnknownKid(claims Claims) (string, error) {
	stranger, err := newKey(iss.opts.Algorithm)
	if err != nil {
		return "", err
	}
	return signWith(stranger, iss.complete(claims))
}

// MintTampered is a real signature over signed, presented with the payload
// of signed changed by change: the signature of another payload.
func (iss *Issuer) MintTampered(signed, change Claims) (string, error) {
	full := iss.complete(signed)
	jwt, err := signWith(iss.currentKey(), full)
	if err != nil {
		return "", err
	}
	forged := maps.Clone(full)
	maps.Copy(forged, change)
	payload, err := json.Marshal(forged)
	if err != nil {
		return "", fmt.Errorf("encoding the changed claims: %w", err)
	}
	header, _, signature := compactParts(jwt)
	return header + "." + segment(payload) + "." + signature, nil
}

// MintExpired is a real token whose exp is ten minutes past: well beyond
// any clock skew a verifier allows.
func (iss *Issuer) MintExpired(claims Claims) (string, error) {
	now := iss.opts.Now()
	return iss.Mint(withTimes(claims, now.Add(-15*time.Minute), now.Add(-10*time.Minute)))
}

// MintNotYetValid is a real token whose iat and nbf are ten minutes ahead.
func (iss *Issuer) MintNotYetValid(claims Claims) (string, error) {
	now := iss.opts.Now()
	return iss.Mint(withTimes(claims, now.Add(10*time.Minute), now.Add(10*time.Minute+iss.opts.Lifetime)))
}

// withTimes is claims with iat and nbf at from and exp at until.
func withTimes(claims Claims, from, until time.Time) Claims {
	out := maps.Clone(claims)
	if out == nil {
		out = Claims{}
	}
	out["iat"], out["nbf"], out["exp"] = at(from), at(from), at(until)
	return out
}
