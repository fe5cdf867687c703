package verify

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/dgraph-io/ristretto/v2"
	"github.com/hashicorp/go-retryablehttp"
	"golang.org/x/sync/singleflight"

	"github.com/oatgate/oatgate/caddymodule/storeapi"
)

// idIndex answers who a token is by its id: what a Docker bearer token,
// which names its OAT but never holds its secret, is checked against on
// every request. Every introspection of a secret fills it (so the replica
// that minted a bearer token never asks the store again for it), and a
// replica that never saw the OAT asks the store by id, once per token at a
// time. The revocation feed distrusts its entries exactly as it does the
// secret cache's: an entry whose token was listed after it was answered is
// not used, so a bearer token dies with its OAT within one poll.
type idIndex struct {
	rc     *ristretto.Cache[string, *idEntry]
	flight singleflight.Group
}

// idEntry is one answer about a token id: the identity, or nil for a token
// that is not active, with when and at which revocation epoch it was given.
// Immutable once cached.
type idEntry struct {
	id         *Identity
	verifiedAt int64
	epoch      uint64
}

func newIDIndex(size int64) (*idIndex, error) {
	rc, err := ristretto.NewCache(&ristretto.Config[string, *idEntry]{
		NumCounters:        countersPerEntry * size,
		MaxCost:            size,
		BufferItems:        64,
		IgnoreInternalCost: true,
	})
	if err != nil {
		return nil, fmt.Errorf("creating token id index: %w", err)
	}
	return &idIndex{rc: rc}, nil
}

// VerifyID answers who the token with tokenID in org is now, as Verify
// answers for a secret, with the same cache lifetimes, revocation epochs
// and stale window (none with NoStale):
//
//   - (id, nil): active, of org, not expired. Shared: read only.
//   - (nil, nil): unknown, revoked, deactivated, expired, or of another org.
//   - (nil, ErrUnavailable): the store could not be asked and nothing
//     usable is cached (never seen, or seen longer ago than MaxStale).
//
// The hit path takes no lock and allocates nothing.
func (v *Verifier) VerifyID(ctx context.Context, org, tokenID string) (*Identity, error) {
	if tokenID == "" || org == "" {
		return nil, nil
	}
	now := v.cfg.Now()
	e := v.ids.get(v.cache, tokenID)
	if e != nil && v.freshID(e, now) {
		return e.ofOrgAt(org, now), nil
	}
	return v.missID(ctx, org, tokenID, e)
}

// missID asks the store by id through the one question in flight for this
// id, and falls back to a stale identity if the store cannot answer.
func (v *Verifier) missID(ctx context.Context, org, tokenID string, stale *idEntry) (*Identity, error) {
	ch := v.ids.flight.DoChan(tokenID, func() (any, error) {
		if e := v.ids.get(v.cache, tokenID); e != nil && v.freshID(e, v.cfg.Now()) {
			return e, nil
		}
		return v.introspectID(org, tokenID)
	})
	select {
	case res := <-ch:
		if res.Err == nil {
			return res.Val.(*idEntry).ofOrgAt(org, v.cfg.Now()), nil
		}
	case <-ctx.Done():
	}
	now := v.cfg.Now()
	if stale != nil && stale.id != nil && !v.cfg.NoStale && v.cache.stamp(now)-stale.verifiedAt < int64(v.cfg.MaxStale) {
		return stale.ofOrgAt(org, now), nil
	}
	return nil, ErrUnavailable
}

// freshID reports whether e may be used without asking the store.
func (v *Verifier) freshID(e *idEntry, now time.Time) bool {
	ttl := v.cfg.CacheTTL
	if e.id == nil {
		ttl = v.cfg.NegativeTTL
	}
	return v.cache.stamp(now)-e.verifiedAt < int64(ttl)
}

// ofOrgAt is e's identity if it is active at now and of org.
func (e *idEntry) ofOrgAt(org string, now time.Time) *Identity {
	if e.id == nil || e.id.Org != org || e.id.expiredAt(now) {
		return nil
	}
	return e.id
}

// introspectID asks the store about one token id and caches the answer, as
// introspect does for a secret: bounded by Timeout and the introspection
// slots, asked again once if the token changed while the question was in
// flight.
func (v *Verifier) introspectID(org, tokenID string) (*idEntry, error) {
	ctx, cancel := context.WithTimeout(context.Background(), v.cfg.Timeout)
	defer cancel()
	select {
	case v.slots <- struct{}{}:
		defer func() { <-v.slots }()
	case <-ctx.Done():
		return nil, errBusy
	}
	var e *idEntry
	for range 2 {
		epoch := v.cache.currentEpoch()
		start := time.Now()
		id, err := v.client.introspectByID(ctx, org, tokenID)
		v.obs.Introspected(time.Since(start), err)
		v.obs.StoreReachable(err == nil)
		if err != nil {
			v.storeFailed(err)
			return nil, err
		}
		v.storeRecovered()
		if id != nil && id.TokenID != tokenID {
			// The store answered for another token: trust nothing.
			return nil, fmt.Errorf("introspecting token id: %w: answer names another token", ErrMalformedAnswer)
		}
		e = &idEntry{id: id, verifiedAt: v.cache.stamp(v.cfg.Now())}
		if v.ids.put(v.cache, tokenID, e, epoch) {
			return e, nil
		}
	}
	return e, nil
}

// get returns the usable entry for tokenID, or nil: one whose token the
// revocation feed has not listed since it was answered.
func (x *idIndex) get(c *cache, tokenID string) *idEntry {
	e, ok := x.rc.Get(tokenID)
	if !ok || e == nil || c.distrusted(tokenID, e.epoch) {
		return nil
	}
	return e
}

// put caches e, an answer to a question that started at startEpoch, unless
// the token was listed by the feed since; then it returns false.
func (x *idIndex) put(c *cache, tokenID string, e *idEntry, startEpoch uint64) bool {
	e.epoch = startEpoch
	if c.distrusted(tokenID, startEpoch) {
		return false
	}
	c.life.RLock()
	defer c.life.RUnlock()
	if c.closed {
		return true
	}
	if x.rc.Set(tokenID, e, 1) {
		x.rc.Wait()
	}
	return true
}

// fill records an identity an introspection of a secret found, so that the
// bearer tokens minted from it are checked without another store call.
func (x *idIndex) fill(c *cache, id *Identity, verifiedAt int64, startEpoch uint64) {
	if id == nil {
		return
	}
	x.put(c, id.TokenID, &idEntry{id: id, verifiedAt: verifiedAt}, startEpoch)
}

// close releases the index; call it with the cache's life lock held for
// writing, or after the cache is closed.
func (x *idIndex) close() { x.rc.Close() }

// introspectByID asks the store about the token with id in org
// (storeapi.TokenIDParam), with the replica failover of introspect.
// (id, nil): active; (nil, nil): not active; error: no replica could be
// asked or the answer is not usable.
func (c *client) introspectByID(ctx context.Context, org, tokenID string) (*Identity, error) {
	at := &attempts{replica: int(c.current.Load())}
	ctx = context.WithValue(ctx, attemptKey{}, at)
	body := []byte(url.Values{storeapi.TokenIDParam: {tokenID}, storeapi.OrgParam: {org}}.Encode())
	req, err := retryablehttp.NewRequestWithContext(ctx, http.MethodPost, c.replicas[at.replica].introspect, body)
	if err != nil {
		return nil, fmt.Errorf("building introspection by id request: %w", err)
	}
	req.Header.Set("Authorization", c.authorization)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	resp, err := c.retrying.Do(req)
	if err != nil {
		if resp != nil {
			resp.Body.Close() // PassthroughErrorHandler leaves it open
		}
		return nil, fmt.Errorf("introspecting token id: %w", redactErr(err))
	}
	raw, err := readAnswer(resp)
	if err != nil {
		return nil, fmt.Errorf("introspecting token id: %w", err)
	}
	c.answered(at.replica)
	id, _, err := parseAnswer(raw, c.grants)
	if err != nil {
		return nil, fmt.Errorf("introspecting token id: %w", err)
	}
	return id, nil
}
