package verify

import "time"

// Observer receives the verifier's metrics as they happen, e.g. to feed
// Prometheus counters. Implementations must be safe for concurrent use and
// cheap: CacheHit is called on the request hot path.
type Observer interface {
	// CacheHit is called when Verify answers from a fresh cache entry.
	CacheHit()
	// CacheMiss is called when Verify has to ask the store (no entry, or a
	// stale one).
	CacheMiss()
	// CacheEvicted is called when the cache drops an entry to make room or
	// because its time ran out.
	CacheEvicted()
	// Introspected is called after every introspection call with its
	// duration, retries included, and its error (nil on a usable answer).
	Introspected(d time.Duration, err error)
	// RevocationsApplied is called after each revocation feed page with the
	// number of token ids it listed.
	RevocationsApplied(n int)
	// StoreReachable is called after every introspection and feed poll: true
	// when the store gave a usable answer.
	StoreReachable(ok bool)
}

// nopObserver is the Observer used when Config.Observer is nil.
type nopObserver struct{}

func (nopObserver) CacheHit()                         {}
func (nopObserver) CacheMiss()                        {}
func (nopObserver) CacheEvicted()                     {}
func (nopObserver) Introspected(time.Duration, error) {}
func (nopObserver) RevocationsApplied(int)            {}
func (nopObserver) StoreReachable(bool)               {}
