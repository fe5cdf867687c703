package server

import (
	"strconv"
	"sync"
	"time"
)

// A test queues a delivery, retried for a day when it fails: unbounded,
// a token with org:webhooks:write could queue thousands to a receiver that
// never answers. Tests of one webhook are limited per replica.
const (
	testsPerWindow = 5
	testWindow     = time.Minute
)

// testLimiter counts each webhook's recent tests.
type testLimiter struct {
	mu   sync.Mutex
	seen map[string][]time.Time // by org and webhook name, oldest first
}

func newTestLimiter() *testLimiter { return &testLimiter{seen: map[string][]time.Time{}} }

// allow takes a test of org's webhook name at now, or says how long
// until one may be queued. Only webhooks tested in the last window are
// remembered.
func (l *testLimiter) allow(org, name string, now time.Time) (bool, time.Duration) {
	key := org + "/" + name
	l.mu.Lock()
	defer l.mu.Unlock()
	for k, ts := range l.seen {
		for len(ts) > 0 && !ts[0].After(now.Add(-testWindow)) {
			ts = ts[1:]
		}
		if len(ts) == 0 {
			delete(l.seen, k)
		} else {
			l.seen[k] = ts
		}
	}
	ts := l.seen[key]
	if len(ts) >= testsPerWindow {
		return false, ts[0].Add(testWindow).Sub(now)
	}
	l.seen[key] = append(ts, now)
	return true, 0
}

// retryAfter is a Retry-After value of whole seconds, at least 1.
func retryAfter(d time.Duration) string {
	return strconv.Itoa(max(1, int((d+time.Second-1)/time.Second)))
}
