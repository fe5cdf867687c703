package oidcissuer

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"strings"
	"time"
)

// Claims are an ID token's payload. Mint fills the registered claims a
// token names none of: iss (the issuer's URL), aud (Options.Audience), sub,
// iat and nbf (now), exp (now + Options.Lifetime) and jti. A claim set to
// nil is left out of the token, to test a verifier with a claim missing.
type Claims map[string]any

// DefaultSubject is the sub of a token whose claims name none.
const DefaultSubject = "repo:acme/app:ref:refs/heads/main"

// Mint signs claims with the issuer's current key: an honest ID token.
func (iss *Issuer) Mint(claims Claims) (string, error) {
	return signWith(iss.currentKey(), iss.complete(claims))
}

// complete is claims with the registered claims filled in and the nil ones
// removed; claims itself is not changed.
func (iss *Issuer) complete(claims Claims) Claims {
	now := iss.opts.Now()
	out := Claims{
		"iss": iss.URL(),
		"aud": iss.opts.Audience,
		"sub": DefaultSubject,
		"iat": now.Unix(),
		"nbf": now.Unix(),
		"exp": now.Add(iss.opts.Lifetime).Unix(),
		"jti": randomID(),
	}
	maps.Copy(out, claims)
	for k, v := range out {
		if v == nil {
			delete(out, k)
		}
	}
	return out
}

// signWith signs claims as a compact JWS with key.
func signWith(key *signingKey, claims Claims) (string, error) {
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", fmt.Errorf("encoding claims: %w (claims must be JSON values)", err)
	}
	signer, err := key.signer()
	if err != nil {
		return "", fmt.Errorf("making a %s signer: %w", key.alg, err)
	}
	jws, err := signer.Sign(payload)
	if err != nil {
		return "", fmt.Errorf("signing with %s: %w", key.alg, err)
	}
	return jws.CompactSerialize()
}

// randomID is a jti: unique per token, as real issuers make them.
func randomID() string {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		panic(fmt.Sprintf("reading random bytes: %v", err))
	}
	return hex.EncodeToString(b)
}

// segment is one base64url part of a compact JWS.
func segment(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// compactParts splits a compact JWS into header, payload and signature.
func compactParts(jws string) (header, payload, signature string) {
	parts := strings.SplitN(jws, ".", 3)
	if len(parts) != 3 {
		panic("oidcissuer: a compact JWS has three parts")
	}
	return parts[0], parts[1], parts[2]
}

// at is a Unix time claim value.
func at(t time.Time) int64 { return t.Unix() }

// headerOf encodes a JOSE header.
func headerOf(alg string, kid string) string {
	h := map[string]string{"alg": alg, "typ": "JWT"}
	if kid != "" {
		h["kid"] = kid
	}
	b, _ := json.Marshal(h)
	return segment(b)
}
