package verify

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
)

// newReplicaVerifier builds a Verifier over several fake replicas, in order.
func newReplicaVerifier(t *testing.T, mutate func(*Config), replicas ...*fakeStore) *Verifier {
	t.Helper()
	var urls []string
	for _, r := range replicas {
		urls = append(urls, r.srv.URL)
	}
	cfg := Config{StoreURLs: urls, StoreKey: testKey, Timeout: 2 * time.Second}
	if mutate != nil {
		mutate(&cfg)
	}
	v, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { _ = v.Close() })
	return v
}

func TestIntrospectionFailsOverToTheNextReplica(t *testing.T) {
	tests := []struct {
		name    string
		mode    int32
		retries int
	}{
		{"a replica that drops the connection is skipped", answerDropConnection, 2},
		{"a replica that answers 503 is skipped", answer503, 2},
		{"a replica is skipped even with retries off", answer503, -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			down, up := newFakeStore(t), newFakeStore(t)
			down.mode.Store(tt.mode)
			v := newReplicaVerifier(t, func(c *Config) { c.Retries = tt.retries }, down, up)
			first := up.add(t, "tok-1", "acme", testScope, time.Time{})
			second := up.add(t, "tok-2", "acme", testScope, time.Time{})
			if id := verifyOK(t, v, first); id == nil || id.TokenID != "tok-1" {
				t.Fatalf("first token: got %+v, want tok-1 from the second replica", id)
			}
			if id := verifyOK(t, v, second); id == nil || id.TokenID != "tok-2" {
				t.Fatalf("second token: got %+v, want tok-2", id)
			}
			if d, u := down.introspections.Load(), up.introspections.Load(); d != 1 || u != 2 {
				t.Fatalf("introspections: %d on the failed replica, %d on the other; want 1 and 2 (the gateway stays with the replica that answered)", d, u)
			}
		})
	}
}

func TestAReplicaRefusingTheKeyIsNotFailedOver(t *testing.T) {
	refusing, up := newFakeStore(t), newFakeStore(t)
	refusing.mode.Store(answer401)
	v := newReplicaVerifier(t, nil, refusing, up)
	tok := up.add(t, "tok-1", "acme", testScope, time.Time{})
	if _, err := v.Verify(context.Background(), tok); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("got %v, want ErrUnavailable: a rejected key is a configuration error to fix, not an outage", err)
	}
	if n := up.introspections.Load(); n != 0 {
		t.Fatalf("the other replica got %d introspections, want 0", n)
	}
}

func TestTheFeedFailsOverToTheNextReplica(t *testing.T) {
	down, up := newFakeStore(t), newFakeStore(t)
	down.feedStatus.Store(http.StatusBadGateway)
	core, logs := observer.New(zapcore.InfoLevel)
	v := newReplicaVerifier(t, func(c *Config) { c.Logger = zap.New(core) }, down, up)
	cursor := learnCursor(t, v)
	tok := up.add(t, "tok-1", "acme", testScope, time.Time{})
	verifyOK(t, v, tok)
	up.revoke("tok-1")
	if _, err := v.pollOnce(context.Background(), cursor); err != nil {
		t.Fatalf("feed poll with one replica down: %v", err)
	}
	if id := verifyOK(t, v, tok); id != nil {
		t.Fatalf("token revoked on the replica that answers: got %+v, want refused", id)
	}
	if down.feedPolls.Load() != 1 {
		t.Fatalf("the failed replica's feed was read %d times, want once (then the gateway stays with the other)", down.feedPolls.Load())
	}
	if n := logs.FilterMessageSnippet("now using another").Len(); n != 1 {
		t.Fatalf("failover logged %d times, want once", n)
	}
}

func TestNoStaleRefusesCachedTokensPastCacheTTLDuringAnOutage(t *testing.T) {
	s := newFakeStore(t)
	v, clk := newTestVerifier(t, s, func(c *Config) {
		c.NoStale = true
		c.CacheTTL = time.Minute
		c.Retries = -1
	})
	tok := s.add(t, "tok-1", "acme", testScope, time.Time{})
	verifyOK(t, v, tok)
	s.mode.Store(answerDropConnection)
	clk.Advance(59 * time.Second)
	if id := verifyOK(t, v, tok); id == nil {
		t.Fatal("within cache_ttl: got no identity, want the cached one")
	}
	clk.Advance(time.Second)
	if id, err := v.Verify(context.Background(), tok); id != nil || !errors.Is(err, ErrUnavailable) {
		t.Fatalf("past cache_ttl with the stale window off: got (%+v, %v), want (nil, ErrUnavailable)", id, err)
	}
}

func TestOutageLogsNameTheWindowThatApplies(t *testing.T) {
	tests := []struct {
		name    string
		noStale bool
		field   string
		want    time.Duration
	}{
		{"with the stale window on, cached tokens last max_stale", false, "max_stale", DefaultMaxStale},
		{"with the stale window off, cached tokens last cache_ttl", true, "cache_ttl", DefaultCacheTTL},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newFakeStore(t)
			s.mode.Store(answerDropConnection)
			s.feedStatus.Store(http.StatusBadGateway)
			core, logs := observer.New(zapcore.InfoLevel)
			v, _ := newTestVerifier(t, s, func(c *Config) {
				c.Logger = zap.New(core)
				c.NoStale = tt.noStale
				c.Retries = -1
				c.RevocationPoll = 10 * time.Millisecond
			})
			_, _ = v.Verify(context.Background(), s.add(t, "tok-1", "acme", testScope, time.Time{}))
			v.Start()
			waitFor(t, "a failed feed poll", func() bool { return s.feedPolls.Load() >= 1 })
			for _, msg := range []string{"token store unreachable", "revocation feed unreachable"} {
				waitFor(t, msg+" logged", func() bool { return logs.FilterMessageSnippet(msg).Len() == 1 })
				e := logs.FilterMessageSnippet(msg).All()[0]
				if got, ok := e.ContextMap()[tt.field]; !ok || got != tt.want {
					t.Errorf("%q: field %s = %v, want %s (fields %v)", e.Message, tt.field, got, tt.want, e.ContextMap())
				}
			}
		})
	}
}
