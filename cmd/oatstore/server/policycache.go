package server

import (
	"context"
	"sync"
	"time"

	"github.com/oatgate/oatgate/cmd/oatstore/store"
)

// policyCacheTTL is how long the policies of an issuer are reused between
// exchanges. A policy deleted or changed meanwhile cannot issue a token it
// no longer allows: the issue matches again, in its transaction, against
// the policy as stored. What the cache can delay is a policy created or
// widened on another replica: it applies there within this time (on this
// replica at once, since its own changes clear the cache).
const policyCacheTTL = time.Second

// policyCache keeps each issuer's policies for policyCacheTTL: every
// exchange of a CI fleet reads the same few rows.
type policyCache struct {
	now func() time.Time

	mu      sync.Mutex
	entries map[string]policyEntry
}

type policyEntry struct {
	policies []store.Policy
	at       time.Time
}

func newPolicyCache(now func() time.Time) *policyCache {
	return &policyCache{now: now, entries: map[string]policyEntry{}}
}

// byIssuer returns the policies that trust issuer, from the cache when
// fresh, else from st.
func (c *policyCache) byIssuer(ctx context.Context, st store.Store, issuer string) ([]store.Policy, error) {
	now := c.now()
	c.mu.Lock()
	e, ok := c.entries[issuer]
	c.mu.Unlock()
	if ok && now.Sub(e.at) >= 0 && now.Sub(e.at) < policyCacheTTL {
		return e.policies, nil
	}
	ps, err := st.PoliciesByIssuer(ctx, issuer)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	// Bounded by the issuers the stored policies name: an unknown issuer
	// is cached as an empty list, so cap the map for tokens naming junk.
	if len(c.entries) > maxCachedIssuers {
		clear(c.entries)
	}
	c.entries[issuer] = policyEntry{policies: ps, at: now}
	c.mu.Unlock()
	return ps, nil
}

// maxCachedIssuers bounds the cache: iss values come from unverified
// tokens.
const maxCachedIssuers = 1024

// clear drops every entry: this replica changed a policy.
func (c *policyCache) clear() {
	c.mu.Lock()
	clear(c.entries)
	c.mu.Unlock()
}
