package verify

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"sync"

	"go.uber.org/zap"

	"github.com/oatgate/oatgate/caddymodule/oat"
)

// VerifyIDToken answers who a CI job is that presents its OIDC ID token jwt
// as the password with org as the username: the store verifies the JWT,
// matches it to one of org's trust policies and answers for the federated
// token it issued for (org, jwt) — the same token on every replica, for the
// policy's lifetime. The shape of jwt must have been checked already
// (idtoken.Check), so that garbage never reaches the store.
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

// idTokenDomain starts every ID token's cache key, so that no (org, JWT)
// pair hashes as an access token does.
const idTokenDomain = "oatgate federated login\x00"

// hashBuffers holds the scratch space idTokenHash hashes in: an ID token
// is 1–8 KiB, and a buffer per call would be an allocation per request.
var hashBuffers = sync.Pool{New: func() any { b := make([]byte, 0, 2<<10); return &b }}

// idTokenHash is the cache key of jwt presented under org: SHA-256 over a
// domain, the org's length, the org and the JWT, so that no two (org, JWT)
// pairs share an input.
func idTokenHash(org, jwt string) oat.Hash {
	bp := hashBuffers.Get().(*[]byte)
	b := append((*bp)[:0], idTokenDomain...)
	b = binary.BigEndian.AppendUint32(b, uint32(len(org)))
	b = append(b, org...)
	b = append(b, jwt...)
	h := sha256.Sum256(b)
	*bp = b
	hashBuffers.Put(bp)
	return h
}

// issuerFailed logs the first ID token the store could not verify because
// its issuer was unreachable; issuerRecovered the next one it could.
func (v *Verifier) issuerFailed() {
	if v.issuerDown.CompareAndSwap(false, true) {
		v.log.Warn("token store could not verify a CI job's ID token (503): its issuer is unreachable and the store holds no keys of it; ID token logins not cached get 503 until it answers",
			zap.Strings("store", v.cfg.StoreURLs))
	}
}

func (v *Verifier) issuerRecovered() {
	if v.issuerDown.CompareAndSwap(true, false) {
		v.log.Info("token store verifies ID tokens again", zap.Strings("store", v.cfg.StoreURLs))
	}
}
