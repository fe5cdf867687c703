// Package verify answers who an organization access token is: it asks the
// token store (one or several replicas) by RFC 7662 introspection, caches
// the answers keyed by the token's SHA-256 (verified tokens and refusals in
// separate spaces, so that made-up tokens cannot evict real ones), collapses
// concurrent questions about one token into one store call, bounds the
// unknown tokens each client address can make it look up, keeps recently
// verified tokens working through a store outage for a bounded time, and
// follows the store's revocation feed so a revoked token stops working, and
// a reactivated one works again, within one poll. A CI job's OIDC ID token
// presented with an org is answered the same way, for the federated token
// the store issued for the pair (idtoken.go).
package verify

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"
	"golang.org/x/sync/singleflight"

	"github.com/oatgate/oatgate/caddymodule/idtoken"
	"github.com/oatgate/oatgate/caddymodule/oat"
)

// Verifier verifies tokens against the store through its cache. It is safe
// for concurrent use.
type Verifier struct {
	cfg    Config
	log    *zap.Logger
	obs    Observer
	client *client
	cache  *cache
	flight singleflight.Group
	// unknown bounds the unknown tokens each client address may make the
	// store look up.
	unknown *unknownBudget
	// ids answers by token id (byid.go): the OAT behind a bearer token.
	ids *idIndex

	// storeDown makes store outages log once, not once per request;
	// issuerDown does the same for ID tokens the store could not verify.
	storeDown, issuerDown atomic.Bool

	// ctx ends when Close is called; the poller runs under it.
	ctx       context.Context
	cancel    context.CancelFunc
	startOnce sync.Once
	closeOnce sync.Once
	done      chan struct{}

	// slots bounds the introspections in flight. Anyone can make tokens of
	// a valid format, each a cache miss; without a bound a flood of them
	// would become a flood at the store, and the revocation feed and the
	// tokens not yet cached would suffer with it.
	slots chan struct{}
}

// MaxIntrospections is how many introspections one gateway runs at once;
// more wait for a slot within Timeout and are answered ErrUnavailable (or
// from a stale entry) when none frees up.
const MaxIntrospections = 64

// errBusy is an introspection that found no free slot within Timeout.
var errBusy = errors.New("too many introspections in flight")

// New checks cfg, applies its defaults and builds a Verifier. Errors name the
// offending Config field. Call Start to follow the revocation feed and Close
// to release the Verifier.
func New(cfg Config) (*Verifier, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	// A change must be remembered for as long as an introspection that
	// started before it can still be running, with margin, and checked on
	// hits for as long as an answer given before it may be used: a
	// verified token up to the stale window, a refusal up to NegativeTTL.
	keep := max(cfg.MaxStale, cfg.CacheTTL, cfg.NegativeTTL) + 2*cfg.Timeout + time.Second
	c, err := newCache(cfg.CacheSize, cfg.RefusalCacheSize, keep, cfg.Now(), cfg.Observer)
	if err != nil {
		return nil, err
	}
	ids, err := newIDIndex(cfg.CacheSize)
	if err != nil {
		c.close()
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Verifier{
		cfg:     cfg,
		log:     cfg.Logger,
		obs:     cfg.Observer,
		client:  newClient(cfg),
		cache:   c,
		unknown: newUnknownBudget(cfg.UnknownPerMinute, cfg.Now),
		ids:     ids,
		ctx:     ctx,
		cancel:  cancel,
		done:    make(chan struct{}),
		slots:   make(chan struct{}, MaxIntrospections),
	}, nil
}

// Verify is VerifyFrom without the client address and the refusal's
// details: (id, nil) for an active token, (nil, nil) for a refused one,
// (nil, ErrUnavailable) when the store could not be asked.
func (v *Verifier) Verify(ctx context.Context, token string) (*Identity, error) {
	id, _, err := v.VerifyFrom(ctx, token, "")
	return id, err
}

// VerifyFrom answers who a token is; the token's format and checksum must
// have been checked already (oat.Check), so that garbage never reaches the
// store. client is the address the request came from ("" if unknown); it
// bounds how many unknown tokens one address can make the store look up.
//
//   - (id, nil, nil): the token is active. id is shared with the cache: read
//     only.
//   - (nil, refusal, nil): not active, and why: unknown, revoked,
//     deactivated or expired, with the token's id for a token the store
//     knows (401). refusal is shared with the cache: read only.
//   - (nil, nil, ErrUnavailable): the store could not be asked and nothing
//     usable is cached (503). The cause is logged, once per outage.
//   - (nil, nil, ErrTooManyUnknown): the token is not cached and client has
//     spent its budget of unknown tokens (429). The store was not asked.
//
// Expiry is checked against Config.Now on every call, cached or not.
func (v *Verifier) VerifyFrom(ctx context.Context, token, client string) (*Identity, *Refusal, error) {
	return v.lookup(ctx, hashToken(token), question{token: token}, client)
}

// question is what an introspection asks the store: a secret, and for a CI
// job's ID token the org whose trust policies it is checked against.
type question struct {
	token string
	// org is empty for an access token, whose answer names its own org.
	org string
}

// lookup answers q, whose cache key is h, from the cache or the store.
func (v *Verifier) lookup(ctx context.Context, h oat.Hash, q question, client string) (*Identity, *Refusal, error) {
	now := v.cfg.Now()
	e := v.cache.get(h)
	if e != nil && v.fresh(e.verifiedAt, v.cfg.CacheTTL, now) {
		v.obs.CacheHit()
		return activeAt(e.id, now)
	}
	if r := v.cache.getRefused(h); r != nil && v.fresh(r.verifiedAt, v.cfg.NegativeTTL, now) {
		v.obs.CacheHit()
		return nil, r.refusal, nil
	}
	v.obs.CacheMiss()
	return v.miss(ctx, h, q, client, e)
}

// miss asks the store, through the one introspection in flight for this
// token, and falls back to stale if the store cannot answer. It is a method
// of its own so that the closure's captures stay off the hit path's stack.
func (v *Verifier) miss(ctx context.Context, h oat.Hash, q question, client string, stale *entry) (*Identity, *Refusal, error) {
	if q.org != "" {
		if err := idtoken.Check(q.token); err != nil {
			return nil, nil, fmt.Errorf("%w: %w", ErrMalformedIDToken, err)
		}
	}
	if !v.unknown.allows(client) {
		return nil, nil, ErrTooManyUnknown
	}
	ch := v.flight.DoChan(string(h[:]), func() (any, error) {
		// A caller that missed the cache just before another's
		// introspection filled it, and reaches here after that flight
		// ended, finds the answer now instead of asking the store again.
		now := v.cfg.Now()
		if e := v.cache.get(h); e != nil && v.fresh(e.verifiedAt, v.cfg.CacheTTL, now) {
			return e, nil
		}
		if r := v.cache.getRefused(h); r != nil && v.fresh(r.verifiedAt, v.cfg.NegativeTTL, now) {
			return r, nil
		}
		return v.introspect(h, q)
	})
	select {
	case res := <-ch:
		if errors.Is(res.Err, ErrFederatedLimit) {
			return nil, nil, ErrFederatedLimit
		}
		if res.Err != nil {
			break
		}
		switch answer := res.Val.(type) {
		case *entry:
			return activeAt(answer.id, v.cfg.Now())
		case *refusedEntry:
			if !answer.refusal.Known() {
				v.unknown.charge(client)
			}
			return nil, answer.refusal, nil
		}
	case <-ctx.Done():
		// The shared introspection goes on for the other callers and fills
		// the cache; this caller gives up.
	}
	now := v.cfg.Now()
	if stale != nil && !v.cfg.NoStale && v.cache.stamp(now)-stale.verifiedAt < int64(v.cfg.MaxStale) {
		return activeAt(stale.id, now)
	}
	return nil, nil, ErrUnavailable
}

// maxStackToken is the longest token hashToken hashes without allocating;
// real tokens are about 50 bytes.
const maxStackToken = 128

// hashToken is oat.HashOf without its allocation: converting a string of
// more than 32 bytes to []byte allocates, copying it to a stack buffer does
// not.
func hashToken(token string) oat.Hash {
	if len(token) > maxStackToken {
		return oat.HashOf(token)
	}
	var buf [maxStackToken]byte
	n := copy(buf[:], token)
	return sha256.Sum256(buf[:n])
}

// fresh reports whether an answer the store gave at stamp verifiedAt may
// still be used at now without asking again, given its ttl.
func (v *Verifier) fresh(verifiedAt int64, ttl time.Duration, now time.Time) bool {
	return v.cache.stamp(now)-verifiedAt < int64(ttl)
}

// activeAt is VerifyFrom's answer for id at now: id itself, or its expired
// refusal once its expiry has passed.
func activeAt(id *Identity, now time.Time) (*Identity, *Refusal, error) {
	if id.expiredAt(now) {
		return nil, expiredRefusal(id), nil
	}
	return id, nil, nil
}

// introspect asks the store about one token, caches the answer and returns
// it: an *entry for an active token, a *refusedEntry otherwise. It runs once
// per token at a time (singleflight), detached from any one caller's context
// and bounded by Timeout.
func (v *Verifier) introspect(h oat.Hash, q question) (any, error) {
	ctx, cancel := context.WithTimeout(context.Background(), v.cfg.Timeout)
	defer cancel()
	select {
	case v.slots <- struct{}{}:
		defer func() { <-v.slots }()
	case <-ctx.Done():
		// The store is not known to be down, only this gateway busy: not
		// an outage to log, and no store call to count.
		return nil, errBusy
	}
	var answer any
	// Two rounds at most: if the token changes while the first is in
	// flight, its answer may predate the change, so ask once more; a
	// second collision is answered but not cached.
	for range 2 {
		epoch := v.cache.currentEpoch()
		start := time.Now()
		id, refusal, err := v.client.introspect(ctx, q)
		v.obs.Introspected(time.Since(start), err)
		switch {
		case q.org != "" && errors.Is(err, errStoreBusy):
			// A store that cannot verify an ID token because its
			// issuer is unreachable answers 503: not an outage of the
			// store, which goes on answering access tokens.
			v.issuerFailed()
			return nil, err
		case q.org != "" && errors.Is(err, errStoreTooMany):
			// The org's bound on federated tokens: an answer, not an
			// outage, and not one to cache (tokens expire).
			v.obs.StoreReachable(true)
			v.storeRecovered()
			return nil, ErrFederatedLimit
		}
		v.obs.StoreReachable(err == nil)
		if err != nil {
			v.storeFailed(err)
			return nil, err
		}
		v.storeRecovered()
		if q.org != "" {
			v.issuerRecovered()
		}

		now := v.cfg.Now()
		if id != nil && id.expiredAt(now) {
			id, refusal = nil, expiredRefusal(id)
		}
		if id != nil {
			e := newEntry(h, id, v.cache.stamp(now))
			answer = e
			if v.cache.put(h, e, epoch) {
				v.ids.fill(v.cache, e.id, e.verifiedAt, epoch)
				return e, nil
			}
			continue
		}
		r := newRefusedEntry(h, refusal, v.cache.stamp(now))
		answer = r
		if v.cache.putRefused(h, r, epoch) {
			return r, nil
		}
	}
	return answer, nil
}

// storeFailed logs the first failure of an outage.
func (v *Verifier) storeFailed(err error) {
	if !v.storeDown.CompareAndSwap(false, true) {
		return
	}
	if errors.Is(err, errStoreRejectedKey) {
		v.log.Error("token store refused the gateway key; every uncached token gets 503 until store_key is fixed",
			zap.Strings("store", v.cfg.StoreURLs), zap.Error(err))
		return
	}
	window, option := v.cfg.staleWindow()
	v.log.Warn("token store unreachable; serving cached tokens up to "+option+" after their last verification, 503 for the rest",
		zap.Strings("store", v.cfg.StoreURLs), zap.Duration(option, window), zap.Error(err))
}

// storeRecovered logs the end of an outage.
func (v *Verifier) storeRecovered() {
	if v.storeDown.CompareAndSwap(true, false) {
		v.log.Info("token store reachable again", zap.Strings("store", v.cfg.StoreURLs))
	}
}

// Start starts following the revocation feed. Calling it again does nothing.
func (v *Verifier) Start() {
	v.startOnce.Do(func() { go v.pollRevocations() })
}

// Close stops the revocation poller and releases the cache. Verify keeps
// answering after Close, without a cache.
func (v *Verifier) Close() error {
	v.closeOnce.Do(func() {
		v.cancel()
		started := true
		v.startOnce.Do(func() { started = false })
		if started {
			<-v.done
		}
		v.cache.close()
		v.ids.close()
	})
	return nil
}
