package verify

import (
	"context"
	"net/http"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
)

// learnCursor runs the feed's first poll and returns the cursor.
func learnCursor(t *testing.T, v *Verifier) string {
	t.Helper()
	cursor, err := v.pollOnce(context.Background(), "")
	if err != nil || cursor == "" {
		t.Fatalf("first feed poll: got (%q, %v), want a cursor", cursor, err)
	}
	return cursor
}

func TestRevocationFeedEvictsWithinOnePoll(t *testing.T) {
	s := newFakeStore(t)
	obs := &countingObserver{}
	v, _ := newTestVerifier(t, s, func(c *Config) {
		c.RevocationPoll = 50 * time.Millisecond
		c.Observer = obs
	})
	v.Start()
	keep := s.add(t, "tok-keep", "acme", testScope, time.Time{})
	gone := s.add(t, "tok-gone", "acme", testScope, time.Time{})
	// Let the first poll learn the cursor before anything is cached.
	waitFor(t, "first feed poll", func() bool { return v.cache.floor.Load() > 0 })
	verifyOK(t, v, keep)
	verifyOK(t, v, gone)
	wantCalls(t, s, 2)

	s.revoke("tok-gone")
	revokedAt := time.Now()
	waitFor(t, "revocation applied", func() bool { return obs.revocations.Load() >= 1 })
	// The promise is 2 s whatever the cache TTL; polls here are 50 ms apart.
	if took := time.Since(revokedAt); took > 2*time.Second {
		t.Errorf("revocation applied after %s, want within 2 s (polls every 50ms)", took)
	}
	if id := verifyOK(t, v, gone); id != nil {
		t.Fatalf("revoked token still cached: got %+v, want nil", id)
	}
	if id := verifyOK(t, v, keep); id == nil {
		t.Fatal("unrevoked token: got nil, want an identity")
	}
	wantCalls(t, s, 3)
}

func TestAnIntrospectionRacingARevocationIsNotCached(t *testing.T) {
	s := newFakeStore(t)
	v, _ := newTestVerifier(t, s, nil)
	cursor := learnCursor(t, v)
	tok := s.add(t, "tok-race", "acme", testScope, time.Time{})

	entered := make(chan struct{})
	release := make(chan struct{})
	s.mu.Lock()
	s.onIntrospect = func() {
		s.mu.Lock()
		s.onIntrospect = nil // only the first call waits
		s.mu.Unlock()
		close(entered)
		<-release
	}
	s.mu.Unlock()

	result := make(chan *Identity, 1)
	go func() {
		id, _ := v.Verify(context.Background(), tok)
		result <- id
	}()
	<-entered // the store has decided "active" and not answered yet
	s.revoke("tok-race")
	if _, err := v.pollOnce(context.Background(), cursor); err != nil {
		t.Fatalf("feed poll: %v", err)
	}
	close(release)

	if id := <-result; id != nil {
		t.Fatalf("answer that predates the revocation: got %+v, want nil from asking again", id)
	}
	wantCalls(t, s, 2)
	if id := verifyOK(t, v, tok); id != nil {
		t.Fatalf("revoked token afterwards: got %+v, want nil", id)
	}
	wantCalls(t, s, 2)
}

func TestARevocationFeedOutageIsLoggedOnce(t *testing.T) {
	s := newFakeStore(t)
	core, logs := observer.New(zapcore.InfoLevel)
	v, _ := newTestVerifier(t, s, func(c *Config) {
		c.RevocationPoll = 10 * time.Millisecond
		c.Logger = zap.New(core)
	})
	s.feedStatus.Store(http.StatusBadGateway)
	v.Start()
	waitFor(t, "several failed polls", func() bool { return s.feedPolls.Load() >= 5 })
	s.feedStatus.Store(0)
	from := s.feedPolls.Load()
	waitFor(t, "a good poll", func() bool { return s.feedPolls.Load() >= from+2 })

	warns := logs.FilterMessageSnippet("revocation feed unreachable").Len()
	backs := logs.FilterMessageSnippet("revocation feed reachable again").Len()
	if warns != 1 || backs != 1 {
		t.Fatalf("feed outage logs: got %d warnings and %d recoveries, want 1 and 1", warns, backs)
	}
}

func TestTheFirstCursorDistrustsWhatWasCachedBefore(t *testing.T) {
	s := newFakeStore(t)
	v, _ := newTestVerifier(t, s, nil)
	tok := s.add(t, "tok-early", "acme", testScope, time.Time{})
	verifyOK(t, v, tok)
	learnCursor(t, v)
	verifyOK(t, v, tok)
	wantCalls(t, s, 2)
}

func TestAFeedThatWentBackDistrustsTheCache(t *testing.T) {
	s := newFakeStore(t)
	v, _ := newTestVerifier(t, s, nil)
	s.revoke("tok-old-1")
	s.revoke("tok-old-2")
	cursor := learnCursor(t, v)
	tok := s.add(t, "tok-kept", "acme", testScope, time.Time{})
	verifyOK(t, v, tok)
	verifyOK(t, v, tok)
	wantCalls(t, s, 1)

	// The store's database is restored from a backup older than the
	// gateway's cursor: revocations since may be lost to the feed.
	s.mu.Lock()
	s.revoked = nil
	s.mu.Unlock()
	next, err := v.pollOnce(context.Background(), cursor)
	if err != nil || next != "0" {
		t.Fatalf("poll after the restore: got (%q, %v), want the store's cursor 0", next, err)
	}
	verifyOK(t, v, tok)
	wantCalls(t, s, 2)
}

// waitFor polls cond for up to 5 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
