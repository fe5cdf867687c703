package verify

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"unsafe"

	"go.uber.org/zap"

	"github.com/oatgate/oatgate/caddymodule/oat"
)

// VerifyIDToken answers who a CI job is that presents its OIDC ID token jwt
// as the password with org as the username: the store verifies the JWT,
// matches it to one of org's trust policies and answers for the federated
// token it issued for (org, jwt) — the same token on every replica, for the
// policy's lifetime.
//
// The shape of jwt (idtoken.Check) is checked when it is not cached, so
// that garbage never reaches the store: an error wrapping
// ErrMalformedIDToken and idtoken's reason, without asking the store or
// spending client's budget. A cache hit skips the check: the answer was
// given for this very token, which passed it then, and a cached login is
// read on every request of a job (the check costs about 1 µs for a
// 1.2 KiB token on the benchmark machine).
//
// Everything VerifyFrom does for an access token applies: the answer is
// cached (keyed by a hash of org and jwt together, so that the JWT under
// another username is a question of its own and never another org's
// answer), expiry is checked on every call so that a cached answer never
// outlives the federated token, the revocation feed drops it (a deleted
// trust policy revokes its tokens), a JWT the store does not accept counts
// against client's budget of unknown tokens, and a recently verified one
// keeps working through a store outage within the stale window. The
// outcomes are VerifyFrom's; ErrUnavailable also when the store cannot
// reach the JWT's issuer and has no keys of it.
func (v *Verifier) VerifyIDToken(ctx context.Context, org, jwt, client string) (*Identity, *Refusal, error) {
	if org == "" {
		return nil, unknownRefusal, nil
	}
	return v.lookup(ctx, idTokenHash(org, jwt), question{token: jwt, org: org}, client)
}

// ErrMalformedIDToken is VerifyIDToken's answer, without asking the store,
// for a password that looked like an ID token but is not a signed JWT of
// at most idtoken.MaxLen; the error also wraps idtoken's reason
// (idtoken.ErrUnsigned for alg none).
var ErrMalformedIDToken = errors.New("not a signed ID token")

// ErrFederatedLimit is VerifyIDToken's answer for an ID token that would
// need a new federated token of an org that has as many active ones as it
// allows (the store's 429): the gateway answers 429, and the job may try
// again as tokens expire. Not cached.
var ErrFederatedLimit = errors.New("the organization's limit of active federated tokens is reached")

// idTokenDomain starts every ID token's cache key, so that no (org, JWT)
// pair hashes as an access token does.
const idTokenDomain = "oatgate federated login\x00"

// idTokenHash is the cache key of jwt presented under org: SHA-256 over a
// domain, the org's length, the org and the JWT's own SHA-256, so that no
// two (org, JWT) pairs share an input. Hashing the JWT on its own first
// reads it in place, where joining it to the org would copy 1–8 KiB per
// request.
func idTokenHash(org, jwt string) oat.Hash {
	inner := sha256.Sum256(unsafe.Slice(unsafe.StringData(jwt), len(jwt)))
	var buf [256]byte
	b := append(buf[:0], idTokenDomain...)
	b = binary.BigEndian.AppendUint32(b, uint32(len(org)))
	b = append(b, org...)
	b = append(b, inner[:]...)
	return sha256.Sum256(b)
}

// issuerFailed logs the first ID token the store could not verify because
// its issuer was unreachable; issuerRecovered the next one it could.
func (v *Verifier) issuerFailed() {
	if v.issuerDown.CompareAndSwap(false, true) {
		v.log.Warn("token store answered 503 for a CI job's ID token: its issuer is unreachable and the store holds no keys of it (or the store itself is failing); ID token logins not cached get 503 until it answers",
			zap.Strings("store", v.cfg.StoreURLs))
	}
}

func (v *Verifier) issuerRecovered() {
	if v.issuerDown.CompareAndSwap(true, false) {
		v.log.Info("token store verifies ID tokens again", zap.Strings("store", v.cfg.StoreURLs))
	}
}
