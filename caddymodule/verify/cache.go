package verify

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dgraph-io/ristretto/v2"

	"github.com/oatgate/oatgate/caddymodule/oat"
)

// entry is one cached answer of the store about one active token. It is
// immutable once cached: revocations are checked against it on every hit
// instead of marking it, so that the cache needs no index from token id to
// entry (54 MiB per million tokens), and an entry fits in 48 bytes.
type entry struct {
	// tail is the SHA-256 of the token after its first 8 bytes, which are
	// the cache key: a hit compares it to never answer for another token.
	tail [tailLen]byte
	// id is the identity of the token; never nil.
	id *Identity
	// verifiedAt is when the store gave this answer, as a stamp of the
	// cache's clock (cache.stamp).
	verifiedAt int64
	// epoch is the revocation epoch when the introspection started: a
	// revocation or invalidation applied at a later epoch may postdate the
	// store's answer, so the entry is not used after it.
	epoch uint64
}

// tailLen is the length of the part of a token hash that is not the key.
const tailLen = sha256.Size - 8

func newEntry(h oat.Hash, id *Identity, verifiedAt int64) *entry {
	e := &entry{id: id, verifiedAt: verifiedAt}
	copy(e.tail[:], h[8:])
	return e
}

// refusedEntry is one cached refusal of the store, held in the refusal
// space. Like entry it is immutable once cached; a refusal of a known token
// is distrusted as soon as the revocation feed lists the token, so that a
// reactivated or extended token works again within one poll.
type refusedEntry struct {
	tail       [tailLen]byte
	refusal    *Refusal
	verifiedAt int64
	epoch      uint64
}

func newRefusedEntry(h oat.Hash, r *Refusal, verifiedAt int64) *refusedEntry {
	e := &refusedEntry{refusal: r, verifiedAt: verifiedAt}
	copy(e.tail[:], h[8:])
	return e
}

// revocation remembers when a token id was last revoked.
type revocation struct {
	epoch uint64
	at    time.Time
}

// cache holds store answers keyed by token hash, and the token ids revoked
// recently with the epoch of their revocation, read lock-free on hits.
// Verified tokens and refusals live in two ristretto caches of their own
// sizes: refusals are free to provoke (any made-up token of a valid format),
// so that they may only ever evict each other, never a verified token.
//
// Ristretto applies Sets asynchronously and may drop them under contention or
// refuse them by its admission policy; a lost Set only costs one more
// introspection. put waits for its Set to be applied so that requests which
// come right after an introspection find its answer.
type cache struct {
	rc      *ristretto.Cache[uint64, *entry]
	refused *ristretto.Cache[uint64, *refusedEntry]

	// base defines stamps: nanoseconds since base, so that an entry holds 8
	// bytes of time instead of a 24-byte time.Time, and keeps the monotonic
	// clock's meaning when the clock is time.Now.
	base time.Time

	// mu serializes writers of revoked and epoch.
	mu sync.Mutex
	// revoked maps each token id revoked within keep to its revocation.
	// Copy-on-write: hits read it without a lock.
	revoked atomic.Pointer[map[string]revocation]
	epoch   atomic.Uint64
	// floor is the epoch of the last invalidateAll: identities from
	// introspections that started before it are not used.
	floor atomic.Uint64
	// keep is how long a revocation is remembered: past it, every entry
	// from before it is too old to be used (MaxStale), and no introspection
	// that started before it can still be running.
	keep time.Duration

	// life guards closed against ristretto calls that would race Close.
	life   sync.RWMutex
	closed bool
}

// countersPerEntry is how many admission counters ristretto keeps per entry
// the cache may hold.
const countersPerEntry = 2

// newCache builds a cache of at most size verified tokens and refusalSize
// refusals whose stamps count from base; revocations are remembered for keep.
func newCache(size, refusalSize int64, keep time.Duration, base time.Time, obs Observer) (*cache, error) {
	c := &cache{base: base, keep: keep}
	rc, err := newSpace[*entry](size, obs)
	if err != nil {
		return nil, fmt.Errorf("creating cache: %w", err)
	}
	refused, err := newSpace[*refusedEntry](refusalSize, obs)
	if err != nil {
		rc.Close()
		return nil, fmt.Errorf("creating refusal cache: %w", err)
	}
	c.rc, c.refused = rc, refused
	return c, nil
}

// newSpace builds one ristretto cache of at most size entries.
func newSpace[V any](size int64, obs Observer) (*ristretto.Cache[uint64, V], error) {
	return ristretto.NewCache(&ristretto.Config[uint64, V]{
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
		OnEvict:            func(*ristretto.Item[V]) { obs.CacheEvicted() },
	})
}

// stamp is t on the cache's clock, in nanoseconds since its base.
func (c *cache) stamp(t time.Time) int64 { return int64(t.Sub(c.base)) }

// keyOf is the ristretto key of a token hash.
func keyOf(h oat.Hash) uint64 { return binary.LittleEndian.Uint64(h[:8]) }

// get returns the usable entry for h, or nil. It is the hot path: no locks
// beyond ristretto's sharded read lock, no allocations; the revocation check
// is one atomic load while nothing was revoked recently.
func (c *cache) get(h oat.Hash) *entry {
	e, ok := c.rc.Get(keyOf(h))
	if !ok || e == nil || e.tail != [tailLen]byte(h[8:]) {
		return nil
	}
	if c.distrusted(e.id.TokenID, e.epoch) {
		return nil
	}
	return e
}

// getRefused returns the usable refusal for h, or nil. A refusal of a known
// token that the feed listed since is not usable: the token may have been
// reactivated.
func (c *cache) getRefused(h oat.Hash) *refusedEntry {
	e, ok := c.refused.Get(keyOf(h))
	if !ok || e == nil || e.tail != [tailLen]byte(h[8:]) {
		return nil
	}
	if c.distrusted(e.refusal.TokenID, e.epoch) {
		return nil
	}
	return e
}

// distrusted reports whether an answer about token id (empty for a token
// the store does not know) from an introspection that started at epoch may
// predate a change the feed reported, or an invalidation.
func (c *cache) distrusted(id string, epoch uint64) bool {
	if epoch < c.floor.Load() {
		return true
	}
	if m := c.revoked.Load(); m != nil && id != "" {
		if r, ok := (*m)[id]; ok && epoch < r.epoch {
			return true
		}
	}
	return false
}

// currentEpoch is the revocation epoch; an introspection records it before
// asking the store and hands it to put.
func (c *cache) currentEpoch() uint64 { return c.epoch.Load() }

// put caches e, an answer to an introspection that started at startEpoch,
// unless its token was revoked since, in which case the answer may predate
// the revocation and put returns false.
//
// Entries carry no ristretto TTL: Verify checks freshness, the stale window
// and the token's expiry on every hit anyway, so an entry past its life is
// never used, only replaced or evicted by size. A TTL would cost a second
// clock read on every hit (the larger part of a hit on virtual machines with
// a slow clock) and ristretto's expiry index (~25 MiB per million entries).
//
// An older refusal of the token may stay in the refusal space: lookups try
// verified tokens first, and a refusal of a known token that the feed listed
// is distrusted anyway. Deleting it here would queue a delete in the refusal
// space for every token verified, most of which were never refused.
func (c *cache) put(h oat.Hash, e *entry, startEpoch uint64) bool {
	e.epoch = startEpoch
	if c.distrusted(e.id.TokenID, startEpoch) {
		return false
	}
	c.life.RLock()
	defer c.life.RUnlock()
	if c.closed {
		return true
	}
	if c.rc.Set(keyOf(h), e, 1) {
		c.rc.Wait()
	}
	return true
}

// putRefused caches a refusal as put caches an identity: unless the refused
// token was listed by the feed since startEpoch, in which case the refusal
// may predate a reactivation and putRefused returns false. A refusal of a
// known token (expired, or revoked while its identity was cached) replaces
// the identity, which lookups would try first; an unknown token never had
// one, so a flood of them queues nothing in the verified space.
func (c *cache) putRefused(h oat.Hash, e *refusedEntry, startEpoch uint64) bool {
	e.epoch = startEpoch
	if c.distrusted(e.refusal.TokenID, startEpoch) {
		return false
	}
	c.life.RLock()
	defer c.life.RUnlock()
	if c.closed {
		return true
	}
	if e.refusal.Known() {
		c.rc.Del(keyOf(h))
	}
	if c.refused.Set(keyOf(h), e, 1) {
		c.refused.Wait()
	}
	return true
}

// revoke makes every cached identity and refusal of the given token ids
// unusable and remembers the change for introspections still in flight.
func (c *cache) revoke(ids []string) {
	if len(ids) == 0 {
		return
	}
	now := time.Now()
	c.mu.Lock()
	defer c.mu.Unlock()
	next := make(map[string]revocation, len(ids))
	if old := c.revoked.Load(); old != nil {
		for id, r := range *old {
			if now.Sub(r.at) <= c.keep {
				next[id] = r
			}
		}
	}
	// Published before the epoch moves on, so that an introspection that
	// reads the new epoch finds the revocation when it puts its answer.
	epoch := c.epoch.Load() + 1
	for _, id := range ids {
		next[id] = revocation{epoch: epoch, at: now}
	}
	c.revoked.Store(&next)
	c.epoch.Store(epoch)
}

// invalidateAll makes every cached identity and refusal unusable: used when
// the revocation feed starts (or restarts) from a fresh cursor, since
// changes before it are unknown.
func (c *cache) invalidateAll() {
	c.mu.Lock()
	c.floor.Store(c.epoch.Add(1))
	c.mu.Unlock()
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
	c.refused.Close()
}
