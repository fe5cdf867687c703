package caddymodule

import (
	"errors"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/oatgate/oatgate/caddymodule/decide"
)

// counted is one finished request as metrics.request reads it.
type counted struct {
	event        decide.Event
	outcome      decide.Outcome
	reason       decide.Reason
	org, tokenID string
}

func (m *metrics) count(c counted) { m.request(c.event, c.outcome, c.reason, c.org, c.tokenID) }

func TestMetricsRegisterOncePerRegistry(t *testing.T) {
	c := newCollectors()
	reg := prometheus.NewPedanticRegistry()
	if err := c.register(reg, false); err != nil {
		t.Fatalf("first registration: %v", err)
	}
	t.Run("a second handler in the same config shares the collectors", func(t *testing.T) {
		if err := c.register(reg, true); err != nil {
			t.Errorf("second registration: %v", err)
		}
	})
	t.Run("a reloaded config registers the same collectors, keeping their values", func(t *testing.T) {
		c.cacheHits.Add(3)
		next := prometheus.NewPedanticRegistry()
		if err := c.register(next, false); err != nil {
			t.Fatal(err)
		}
		if got := value(t, c.cacheHits); got != 3 {
			t.Errorf("cache hits after reload: got %v, want 3", got)
		}
	})
	t.Run("another collector under the same name is an error", func(t *testing.T) {
		other := newCollectors()
		err := other.register(reg, false)
		var are prometheus.AlreadyRegisteredError
		if !errors.As(err, &are) {
			t.Errorf("got %v, want AlreadyRegisteredError", err)
		}
	})
	// A pedantic registry checks every metric against its description.
	if _, err := reg.Gather(); err != nil {
		t.Errorf("gathering: %v", err)
	}
}

func TestMetricsCountRequestsAndVerifierHooks(t *testing.T) {
	m := &metrics{c: newCollectors(), tokenIDs: true}
	for _, c := range []counted{
		{decide.EventPull, decide.Allow, decide.ReasonNone, "acme", "t1"},
		{decide.EventPull, decide.Allow, decide.ReasonNone, "acme", "t1"},
		{decide.EventPush, decide.Deny, decide.ReasonScope, "acme", "t1"},
		{decide.EventLogin, decide.Deny, decide.ReasonNoCredentials, "", ""},
		{decide.EventInvalid, decide.Deny, decide.ReasonInvalidRequest, "", ""},
		{decide.EventCatalog, decide.Allow, decide.ReasonNone, "globex", "t2"},
	} {
		m.count(c)
	}
	m.CacheHit()
	m.CacheHit()
	m.CacheMiss()
	m.CacheEvicted()
	m.Introspected(20*time.Millisecond, nil)
	m.Introspected(time.Second, errors.New("connection refused"))
	m.RevocationsApplied(4)
	m.StoreReachable(false)

	tests := []struct {
		name string
		c    prometheus.Metric
		want float64
	}{
		{"allowed pulls of acme", m.c.requests.WithLabelValues("acme", "pull", "allow"), 2},
		{"denied pushes of acme", m.c.requests.WithLabelValues("acme", "push", "deny"), 1},
		{"denied logins without a token have an empty org", m.c.requests.WithLabelValues("", "login", "deny"), 1},
		{"invalid requests", m.c.requests.WithLabelValues("", "invalid", "deny"), 1},
		{"globex catalog", m.c.requests.WithLabelValues("globex", "catalog", "allow"), 1},
		{"scope denials", m.c.denials.WithLabelValues("scope"), 1},
		{"no-credential denials", m.c.denials.WithLabelValues("no_credentials"), 1},
		{"denials not seen yet are exported at zero", m.c.denials.WithLabelValues("store_unavailable"), 0},
		{"token t1 pulls with metrics_token_ids", m.c.tokenRequests.WithLabelValues("acme", "t1", "pull", "allow"), 2},
		{"cache hits", m.c.cacheHits, 2},
		{"cache misses", m.c.cacheMisses, 1},
		{"cache evictions", m.c.cacheEvictions, 1},
		{"introspections", m.c.introspections, 2},
		{"introspection errors", m.c.introspectErrs, 1},
		{"revocations applied", m.c.revocations, 4},
		{"store reachable after a failure", m.c.storeUp, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := value(t, tt.c); got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
	var h dto.Metric
	if err := m.c.introspectTime.Write(&h); err != nil {
		t.Fatal(err)
	}
	if got := h.GetHistogram().GetSampleCount(); got != 2 {
		t.Errorf("introspection latency samples: got %d, want 2", got)
	}
}

func TestCountingARequestDoesNotAllocate(t *testing.T) {
	m := &metrics{c: newCollectors()}
	allow := counted{decide.EventPull, decide.Allow, decide.ReasonNone, "acme", "t1"}
	deny := counted{decide.EventPush, decide.Deny, decide.ReasonScope, "acme", ""}
	m.count(allow) // the first request of an org creates its counters
	for name, c := range map[string]counted{"an allowed request": allow, "a denied request": deny} {
		t.Run(name, func(t *testing.T) {
			if got := testing.AllocsPerRun(1000, func() { m.count(c) }); got != 0 {
				t.Errorf("allocations per request: got %v, want 0", got)
			}
		})
	}
}

func TestUnprovisionedHandlerHasNoMetrics(t *testing.T) {
	var m *metrics
	m.request(decide.EventPull, decide.Allow, decide.ReasonNone, "", "") // must not panic
}

func TestADenialWithoutAReasonIsCountedWithoutPanicking(t *testing.T) {
	m := &metrics{c: newCollectors()}
	m.count(counted{decide.EventPull, decide.Deny, decide.ReasonNone, "", ""})
	if got := value(t, m.c.requests.WithLabelValues("", "pull", "deny")); got != 1 {
		t.Errorf("denied pulls: got %v, want 1", got)
	}
}

func BenchmarkMetricsRequest(b *testing.B) {
	b.ReportAllocs()
	m := &metrics{c: newCollectors()}
	for b.Loop() {
		m.request(decide.EventPull, decide.Allow, decide.ReasonNone, "acme", "t1")
	}
}

// value reads a counter's or gauge's current value.
func value(t *testing.T, m prometheus.Metric) float64 {
	t.Helper()
	var out dto.Metric
	if err := m.Write(&out); err != nil {
		t.Fatal(err)
	}
	if c := out.GetCounter(); c != nil {
		return c.GetValue()
	}
	return out.GetGauge().GetValue()
}

// Docker's credential-less ping of /v2/ is counted as a challenge, never as
// a denial (issue 12 item 17).
func TestAChallengeIsNoDenial(t *testing.T) {
	m := &metrics{c: newCollectors()}
	m.count(counted{decide.EventLogin, decide.Challenge, decide.ReasonNone, "", ""})
	if got := value(t, m.c.requests.WithLabelValues("", "login", "challenge")); got != 1 {
		t.Errorf("challenged logins: got %v, want 1", got)
	}
	if got := value(t, m.c.requests.WithLabelValues("", "login", "deny")); got != 0 {
		t.Errorf("denied logins: got %v, want 0", got)
	}
	if got := value(t, m.c.denials.WithLabelValues("no_credentials")); got != 0 {
		t.Errorf("no_credentials denials: got %v, want 0", got)
	}
}
