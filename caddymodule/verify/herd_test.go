package verify

import (
	"context"
	"testing"
	"time"
)

// A herd of requests with one new token: the first caller's introspection
// fills the cache; a caller that missed the cache a moment before that and
// reaches the single flight only after it ended must not ask the store again.
func TestACallerThatMissedJustBeforeTheCacheFilledDoesNotAskAgain(t *testing.T) {
	s := newFakeStore(t)
	v, _ := newTestVerifier(t, s, nil)
	learnCursor(t, v)
	tok := s.add(t, "tok-herd", "acme", testScope, time.Time{})
	if id := verifyOK(t, v, tok); id == nil {
		t.Fatal("Verify of an active token: got nil identity")
	}
	wantCalls(t, s, 1)

	// What Verify does after its cache lookup missed.
	id, _, err := v.miss(context.Background(), hashToken(tok), question{token: tok}, "", nil)
	if err != nil || id == nil || id.TokenID != "tok-herd" {
		t.Fatalf("late caller: got (%+v, %v), want the identity of tok-herd", id, err)
	}
	wantCalls(t, s, 1)
}
