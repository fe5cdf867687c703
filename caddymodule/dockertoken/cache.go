package dockertoken

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"time"

	"github.com/dgraph-io/ristretto/v2"
)

// Cache remembers the bearer tokens a Verifier accepted, keyed by Digest,
// so that a registry request with a token seen before costs a hash and a
// lookup instead of a signature check: a hit only checks the token's time
// window again (Claims.ValidAt). Refused tokens are not remembered: a
// refusal costs a few microseconds and a cache of them would be a cache
// anyone can fill. It never holds a token, only its digest. Safe for
// concurrent use.
type Cache struct {
	v  *Verifier
	rc *ristretto.Cache[uint64, *cachedClaims]
}

// cachedClaims is one accepted token: the rest of its digest, which a hit
// compares so as never to answer for another token, and its claims.
type cachedClaims struct {
	tail   [sha256.Size - 8]byte
	claims *Claims
}

// NewCache caches up to size tokens verified by v.
func NewCache(v *Verifier, size int64) (*Cache, error) {
	if v == nil || size <= 0 {
		return nil, fmt.Errorf("bearer token cache needs a verifier and a size above 0, got size %d", size)
	}
	rc, err := ristretto.NewCache(&ristretto.Config[uint64, *cachedClaims]{
		NumCounters:        2 * size,
		MaxCost:            size,
		BufferItems:        64,
		KeyToHash:          func(k uint64) (uint64, uint64) { return k, 0 },
		IgnoreInternalCost: true,
	})
	if err != nil {
		return nil, fmt.Errorf("creating the bearer token cache: %w", err)
	}
	return &Cache{v: v, rc: rc}, nil
}

// VerifyBearer returns raw's claims at now: from the cache when raw was
// accepted before (its time window checked again), else from the
// Verifier, caching what it accepts. Errors are the Verifier's.
func (c *Cache) VerifyBearer(raw string, now time.Time) (*Claims, error) {
	d := Digest(raw)
	key := binary.LittleEndian.Uint64(d[:8])
	if e, ok := c.rc.Get(key); ok && e != nil && e.tail == [sha256.Size - 8]byte(d[8:]) {
		if err := e.claims.ValidAt(now); err != nil {
			return nil, err
		}
		return e.claims, nil
	}
	claims, err := c.v.Verify(raw, now)
	if err != nil {
		return nil, err
	}
	e := &cachedClaims{tail: [sha256.Size - 8]byte(d[8:]), claims: claims}
	if c.rc.Set(key, e, 1) {
		c.rc.Wait()
	}
	return claims, nil
}

// Close releases the cache; VerifyBearer keeps working without it.
func (c *Cache) Close() { c.rc.Close() }
