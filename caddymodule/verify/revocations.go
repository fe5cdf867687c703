package verify

import (
	"context"
	"time"

	"go.uber.org/zap"
)

// maxPagesPerPoll bounds how many feed pages one poll reads back to back, so
// that a store which keeps answering with ids cannot hold the poller.
const maxPagesPerPoll = 16

// pollRevocations follows the revocation feed until Close. The first
// successful poll only learns the cursor; each later one distrusts what is
// cached about the tokens changed since: verified tokens (revoked,
// deactivated, narrowed) and refusals (reactivated) alike. A feed that no
// replica serves is logged once per outage and polled again at the usual
// interval.
func (v *Verifier) pollRevocations() {
	defer close(v.done)
	ticker := time.NewTicker(v.cfg.RevocationPoll)
	defer ticker.Stop()
	cursor := ""
	feedDown := false
	for {
		next, err := v.pollOnce(v.ctx, cursor)
		switch {
		case v.ctx.Err() != nil:
			return
		case err != nil && !feedDown:
			feedDown = true
			// While the feed is down a revocation goes unseen, and a
			// cached token works until the store is asked again and
			// answers, or its last verification is older than the stale
			// window (cache_ttl with max_stale off).
			window, option := v.cfg.staleWindow()
			v.log.Warn("revocation feed unreachable; a token revoked meanwhile keeps working up to "+option+" after its last verification, unless the store answers an introspection first",
				zap.Strings("store", v.cfg.StoreURLs), zap.Duration(option, window), zap.Error(err))
		case err == nil && feedDown:
			feedDown = false
			v.log.Info("revocation feed reachable again", zap.Strings("store", v.cfg.StoreURLs))
		}
		cursor = next
		select {
		case <-v.ctx.Done():
			return
		case <-ticker.C:
		}
	}
}

// pollOnce reads the feed after cursor and applies it, returning the cursor
// to continue from.
func (v *Verifier) pollOnce(ctx context.Context, cursor string) (string, error) {
	for range maxPagesPerPoll {
		page, err := v.client.revocations(ctx, cursor, v.cfg.Timeout)
		v.obs.StoreReachable(err == nil)
		if err != nil {
			return cursor, err
		}
		if cursor == "" {
			// Revocations before this cursor are unknown to us, so nothing
			// cached so far can be trusted to be unrevoked.
			v.cache.invalidateAll()
			return page.Cursor, nil
		}
		if len(page.TokenIDs) == 0 && page.Cursor != cursor {
			// The feed moved without a change: the store's database was
			// restored or replaced, and changes after its cursor may never
			// be reported. Trust nothing cached before.
			v.log.Warn("token store's revocation feed went back; asking the store again for every token",
				zap.String("cursor", cursor), zap.String("store_cursor", page.Cursor))
			v.cache.invalidateAll()
			return page.Cursor, nil
		}
		v.cache.revoke(page.TokenIDs)
		v.obs.RevocationsApplied(len(page.TokenIDs))
		if len(page.TokenIDs) == 0 || page.Cursor == cursor {
			return page.Cursor, nil
		}
		cursor = page.Cursor
	}
	return cursor, nil
}
