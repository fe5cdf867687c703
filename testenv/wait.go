package testenv

import (
	"context"
	"fmt"
	"time"
)

// TB is the part of testing.TB the helpers below need. testenv takes it as
// an interface rather than importing testing, so that make run's binary and
// oatgate-bench, which use this package too, do not carry the test runner.
type TB interface {
	Helper()
	Fatalf(format string, args ...any)
	Cleanup(func())
}

// pollInterval is how often Poll checks: short next to the limits the suites
// use (seconds), long enough not to busy a shared core, nor to pile up the
// answers Env.Call keeps open until the test ends.
const pollInterval = 50 * time.Millisecond

// Poll calls check every 50 ms until it returns true or limit has passed,
// and returns how long that took. It is the one polling loop of the suites:
// a condition that becomes true (a revocation reaching the gateway, a log
// line written) is waited for, never slept for.
func Poll(limit time.Duration, check func() bool) (time.Duration, error) {
	start := time.Now()
	for !check() {
		if time.Since(start) > limit {
			return time.Since(start), fmt.Errorf("not within %s", limit)
		}
		time.Sleep(pollInterval)
	}
	return time.Since(start), nil
}

// Eventually is Poll for tests: it fails t, naming what it waited for, when
// check does not pass within limit, and returns how long it took.
func Eventually(t TB, limit time.Duration, what string, check func() bool) time.Duration {
	t.Helper()
	took, err := Poll(limit, check)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	return took
}

// Context is a context for one test's calls: it ends after limit, or when
// the test ends, whichever comes first.
func Context(t TB, limit time.Duration) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	t.Cleanup(cancel)
	return ctx
}

// WaitForFeed waits until the gateway has applied its first read of the
// revocation feed. Until then it distrusts everything it caches (revocations
// before the feed's cursor are unknown to it), so requests that arrive
// earlier can rightly cost two introspections.
func (e *Env) WaitForFeed(limit time.Duration) error {
	// The second read proves the first was applied.
	if _, err := Poll(limit, func() bool { return e.Store.FeedReads() >= 2 }); err != nil {
		return fmt.Errorf("the gateway read the revocation feed %d times, want 2: %w", e.Store.FeedReads(), err)
	}
	return nil
}
