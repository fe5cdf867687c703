package verify

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/oatgate/oatgate/caddymodule/oat"
	"github.com/oatgate/oatgate/caddymodule/storeapi"
)

const testKey = "gateway-key-for-tests"

// How the fake store answers introspections.
const (
	answerNormally int32 = iota
	answerDropConnection
	answer503
	answer401
	answer400
	answer429
)

// fakeStore implements the gateway -> store protocol of DESIGN.md over a
// real HTTP server, counting the calls it gets.
type fakeStore struct {
	srv *httptest.Server

	mu      sync.Mutex
	tokens  map[string]storeapi.Introspection // token -> its answer while active
	raw     map[string]string                 // token -> verbatim answer body
	revoked []string                          // the feed; the cursor is an index

	mode       atomic.Int32
	feedStatus atomic.Int32 // 0: 200
	delay      atomic.Int64 // nanoseconds slept per introspection
	// onIntrospect, if set, runs after the answer is decided and before it
	// is written.
	onIntrospect func()

	introspections atomic.Int64
	feedPolls      atomic.Int64
	// inFlight and maxInFlight track concurrent introspections.
	inFlight, maxInFlight atomic.Int64
}

func newFakeStore(t *testing.T) *fakeStore {
	t.Helper()
	s := &fakeStore{tokens: map[string]storeapi.Introspection{}, raw: map[string]string{}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+storeapi.IntrospectPath, s.introspect)
	mux.HandleFunc("GET "+storeapi.RevocationsPath, s.revocations)
	s.srv = httptest.NewServer(mux)
	t.Cleanup(s.srv.Close)
	return s
}

// add registers an active token and returns it.
func (s *fakeStore) add(t *testing.T, id, org, scope string, exp time.Time) string {
	t.Helper()
	tok, err := oat.Generate()
	if err != nil {
		t.Fatalf("generating token: %v", err)
	}
	a := storeapi.Introspection{Active: true, TokenID: id, Label: "label-" + id, Org: org, Scope: scope}
	if !exp.IsZero() {
		secs := exp.Unix()
		a.Exp = &secs
	}
	s.mu.Lock()
	s.tokens[tok.Reveal()] = a
	s.mu.Unlock()
	return tok.Reveal()
}

// setRaw makes the store answer token with body, verbatim.
func (s *fakeStore) setRaw(t *testing.T, body string) string {
	t.Helper()
	tok, err := oat.Generate()
	if err != nil {
		t.Fatalf("generating token: %v", err)
	}
	s.mu.Lock()
	s.raw[tok.Reveal()] = body
	s.mu.Unlock()
	return tok.Reveal()
}

// revoke makes every token of id inactive and lists id in the feed.
func (s *fakeStore) revoke(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for tok, a := range s.tokens {
		if a.TokenID == id {
			delete(s.tokens, tok)
		}
	}
	s.revoked = append(s.revoked, id)
}

// setInactive makes every token of id inactive for reason (the store still
// knows it), or active again with ReasonUnknown, and lists id in the feed,
// as oatstore does for a deactivation, an expiry change or an activation.
func (s *fakeStore) setInactive(id string, reason storeapi.Reason) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for tok, a := range s.tokens {
		if a.TokenID == id {
			a.Active, a.Reason = reason == storeapi.ReasonUnknown, reason
			s.tokens[tok] = a
		}
	}
	s.revoked = append(s.revoked, id)
}

func (s *fakeStore) introspect(w http.ResponseWriter, r *http.Request) {
	s.introspections.Add(1)
	n := s.inFlight.Add(1)
	defer s.inFlight.Add(-1)
	for m := s.maxInFlight.Load(); n > m && !s.maxInFlight.CompareAndSwap(m, n); m = s.maxInFlight.Load() {
	}
	if d := s.delay.Load(); d > 0 {
		time.Sleep(time.Duration(d))
	}
	switch s.mode.Load() {
	case answerDropConnection:
		conn, _, err := http.NewResponseController(w).Hijack()
		if err == nil {
			conn.Close()
		}
		return
	case answer503:
		http.Error(w, "down", http.StatusServiceUnavailable)
		return
	case answer401:
		http.Error(w, "who are you", http.StatusUnauthorized)
		return
	case answer400:
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	case answer429:
		http.Error(w, "too many", http.StatusTooManyRequests)
		return
	}
	if r.Header.Get("Authorization") != "Bearer "+testKey {
		http.Error(w, "bad key", http.StatusUnauthorized)
		return
	}
	if r.PostFormValue(storeapi.TokenIDParam) != "" {
		s.introspectByID(w, r)
		return
	}
	token := r.PostFormValue(storeapi.TokenParam)
	if org := r.PostFormValue(storeapi.OrgParam); org != "" {
		// An ID token under org's trust policies: its answers are kept
		// under the pair (idtoken_test.go).
		token = federatedKey(org, token)
	}
	s.mu.Lock()
	raw, isRaw := s.raw[token]
	a, ok := s.tokens[token]
	hook := s.onIntrospect
	s.mu.Unlock()
	body, _ := json.Marshal(storeapi.Introspection{Active: false})
	switch {
	case isRaw:
		body = []byte(raw)
	case ok && a.Active:
		body, _ = json.Marshal(a)
	case ok:
		// What oatstore tells a gateway about a known inactive token.
		body, _ = json.Marshal(storeapi.Introspection{TokenID: a.TokenID, Label: a.Label, Org: a.Org, Reason: a.Reason})
	}
	if hook != nil {
		hook()
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(body)
}

func (s *fakeStore) revocations(w http.ResponseWriter, r *http.Request) {
	s.feedPolls.Add(1)
	if st := s.feedStatus.Load(); st != 0 {
		http.Error(w, "feed trouble", int(st))
		return
	}
	if r.Header.Get("Authorization") != "Bearer "+testKey {
		http.Error(w, "bad key", http.StatusUnauthorized)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	after := 0
	if a := r.URL.Query().Get(storeapi.AfterParam); a != "" {
		n, err := strconv.Atoi(a)
		if err != nil || n < 0 {
			http.Error(w, "bad cursor", http.StatusBadRequest)
			return
		}
		// As oatstore does, a cursor ahead of the feed (a database restored
		// from a backup) gets the current cursor back.
		after = min(n, len(s.revoked))
	}
	ids := append([]string{}, s.revoked[after:]...)
	_ = json.NewEncoder(w).Encode(storeapi.RevocationPage{Cursor: strconv.Itoa(len(s.revoked)), TokenIDs: ids})
}

// clock is a settable Config.Now.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Now()} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// countingObserver counts the hooks it receives.
type countingObserver struct {
	hits, misses, evicted, introspected, revocations, reachable, unreachable atomic.Int64
}

func (o *countingObserver) CacheHit()                         { o.hits.Add(1) }
func (o *countingObserver) CacheMiss()                        { o.misses.Add(1) }
func (o *countingObserver) CacheEvicted()                     { o.evicted.Add(1) }
func (o *countingObserver) Introspected(time.Duration, error) { o.introspected.Add(1) }
func (o *countingObserver) RevocationsApplied(n int)          { o.revocations.Add(int64(n)) }
func (o *countingObserver) StoreReachable(ok bool) {
	if ok {
		o.reachable.Add(1)
	} else {
		o.unreachable.Add(1)
	}
}

// newTestVerifier builds a Verifier against s with a settable clock; mutate
// adjusts the config first.
func newTestVerifier(t *testing.T, s *fakeStore, mutate func(*Config)) (*Verifier, *clock) {
	t.Helper()
	clk := newClock()
	cfg := Config{
		StoreURL: s.srv.URL,
		StoreKey: testKey,
		Timeout:  2 * time.Second,
		Now:      clk.Now,
	}
	if mutate != nil {
		mutate(&cfg)
	}
	v, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { _ = v.Close() })
	return v, clk
}
