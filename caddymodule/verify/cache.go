package verify

import (
	"encoding/binary"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dgraph-io/ristretto/v2"

	"github.com/oatgate/oatgate/caddymodule/oat"
)

// entry is one cached answer of the store about one token.
type entry struct {
	// hash is the full SHA-256 of the token: the cache key is only its first
	// 8 bytes, so a hit compares this to never answer for another token.
	hash oat.Hash
	// id is the identity of an active token; nil caches "not active".
	id *Identity
	// verifiedAt is when the store gave this answer (Config.Now's clock).
	verifiedAt time.Time
	// dead is set when the token is revoked or the entry superseded, so that
	// a hit on it is a miss even before ristretto has dropped it.
	dead atomic.Bool
}

// revocation remembers when a token id was last revoked, for the race with
// introspections that were in flight at that moment.
type revocation struct {
	epoch uint64
	at    time.Time
}

// cache holds store answers keyed by token hash, and the index from token id
// to entry that revocation needs.
//
// Ristretto applies Sets asynchronously and may drop them under contention or
// refuse them by its admission policy; a lost Set only costs one more
// introspection. put waits for its Set to be applied so that requests which
// come right after an introspection find its answer.
type cache struct {
	rc *ristretto.Cache[uint64, *entry]

	// mu guards index, revoked and epoch writes. It is never held while
	// calling ristretto, whose callbacks take it.
	mu      sync.Mutex
	index   map[string]*entry
	revoked map[string]revocation
	epoch   atomic.Uint64
	// floor is the epoch of the last invalidateAll: answers to
	// introspections that started before it are not cached.
	floor atomic.Uint64
	// revokedKeep is how long a revocation is remembered: longer than any
	// introspection may run.
	revokedKeep time.Duration

	// life guards closed against ristretto calls that would race Close.
	life   sync.RWMutex
	closed bool
}

func newCache(size int64, revokedKeep time.Duration, obs Observer) (*cache, error) {
	c := &cache{
		index:       make(map[string]*entry),
		revoked:     make(map[string]revocation),
		revokedKeep: revokedKeep,
	}
	rc, err := ristretto.NewCache(&ristretto.Config[uint64, *entry]{
		// Ristretto suggests 10 counters per entry; with 10 the admission
		// sketch and its doorkeeper take ~48 MiB per million entries. Tokens
		// churn little (one entry per live token, reused for minutes), so
		// admission precision matters less than memory: 2 per entry keep
		// the sketch under 10 MiB per million.
		NumCounters: countersPerEntry * size,
		MaxCost:     size,
		BufferItems: 64,
		// The key is already uniformly random (a slice of SHA-256).
		KeyToHash:          func(k uint64) (uint64, uint64) { return k, 0 },
		IgnoreInternalCost: true,
		OnEvict:            func(*ristretto.Item[*entry]) { obs.CacheEvicted() },
		OnExit:             c.forget,
	})
	if err != nil {
		return nil, fmt.Errorf("creating cache: %w", err)
	}
	c.rc = rc
	return c, nil
}

// countersPerEntry is how many admission counters ristretto keeps per entry
// the cache may hold.
const countersPerEntry = 2

// keyOf is the ristretto key of a token hash.
func keyOf(h oat.Hash) uint64 { return binary.LittleEndian.Uint64(h[:8]) }

// get returns the live entry for h, or nil. It is the hot path: no locks
// beyond ristretto's sharded read lock, no allocations.
func (c *cache) get(h oat.Hash) *entry {
	e, ok := c.rc.Get(keyOf(h))
	if !ok || e == nil || e.hash != h || e.dead.Load() {
		return nil
	}
	return e
}

// currentEpoch is the revocation epoch; an introspection records it before
// asking the store and hands it to put.
func (c *cache) currentEpoch() uint64 { return c.epoch.Load() }

// put caches e unless its token was revoked after startEpoch, in which case
// the answer may predate the revocation and put returns false.
//
// Entries carry no ristretto TTL: Verify checks freshness, the stale window
// and the token's expiry on every hit anyway, so an entry past its life is
// never used, only replaced or evicted by size. A TTL would cost a second
// clock read on every hit (the larger part of a hit on virtual machines with
// a slow clock) and ristretto's expiry index (~25 MiB per million entries).
func (c *cache) put(e *entry, startEpoch uint64) bool {
	if e.id != nil {
		c.mu.Lock()
		if startEpoch < c.floor.Load() {
			c.mu.Unlock()
			return false
		}
		if r, ok := c.revoked[e.id.TokenID]; ok && r.epoch > startEpoch {
			c.mu.Unlock()
			return false
		}
		if old := c.index[e.id.TokenID]; old != nil && old != e {
			old.dead.Store(true)
		}
		c.index[e.id.TokenID] = e
		c.mu.Unlock()
	}
	c.life.RLock()
	defer c.life.RUnlock()
	if c.closed {
		return true
	}
	if c.rc.Set(keyOf(e.hash), e, 1) {
		c.rc.Wait()
	} else {
		c.forget(e)
	}
	return true
}

// forget drops e from the index; ristretto calls it whenever an entry
// leaves the cache (evicted, expired, replaced, rejected, deleted).
func (c *cache) forget(e *entry) {
	if e == nil || e.id == nil {
		return
	}
	c.mu.Lock()
	if c.index[e.id.TokenID] == e {
		delete(c.index, e.id.TokenID)
	}
	c.mu.Unlock()
}

// revoke evicts every entry of the given token ids and remembers the
// revocation for introspections still in flight.
func (c *cache) revoke(ids []string) {
	if len(ids) == 0 {
		return
	}
	now := time.Now()
	victims := make([]*entry, 0, len(ids))
	c.mu.Lock()
	epoch := c.epoch.Add(1)
	for id, r := range c.revoked {
		if now.Sub(r.at) > c.revokedKeep {
			delete(c.revoked, id)
		}
	}
	for _, id := range ids {
		c.revoked[id] = revocation{epoch: epoch, at: now}
		if e := c.index[id]; e != nil {
			e.dead.Store(true)
			delete(c.index, id)
			victims = append(victims, e)
		}
	}
	c.mu.Unlock()
	c.del(victims)
}

// invalidateAll marks every cached identity dead: used when the revocation
// feed starts (or restarts) from a fresh cursor, since revocations before it
// are unknown.
func (c *cache) invalidateAll() {
	c.mu.Lock()
	c.floor.Store(c.epoch.Add(1))
	victims := make([]*entry, 0, len(c.index))
	for id, e := range c.index {
		e.dead.Store(true)
		delete(c.index, id)
		victims = append(victims, e)
	}
	c.mu.Unlock()
	c.del(victims)
}

func (c *cache) del(victims []*entry) {
	c.life.RLock()
	defer c.life.RUnlock()
	if c.closed {
		return
	}
	for _, e := range victims {
		// The key may meanwhile hold another token's entry (64-bit prefix
		// collision); deleting it only costs that token one introspection.
		c.rc.Del(keyOf(e.hash))
	}
}

// close releases the cache; later puts and revocations are no-ops.
func (c *cache) close() {
	c.life.Lock()
	if c.closed {
		c.life.Unlock()
		return
	}
	c.closed = true
	c.life.Unlock()
	c.rc.Close()
}
