package caddymodule

import (
	"errors"
	"fmt"
	"maps"
	"sync"
	"sync/atomic"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/oatgate/oatgate/caddymodule/decide"
	"github.com/oatgate/oatgate/caddymodule/storeapi"
	"github.com/oatgate/oatgate/caddymodule/usagereport"
	"github.com/oatgate/oatgate/caddymodule/verify"
)

// metricsNamespace prefixes every metric the module exports.
const metricsNamespace = "oatgate"

// collectors are the module's Prometheus metrics. They are created once per
// process and registered in every config's registry, so that their values
// survive config reloads as Caddy's own HTTP metrics do. Labels are bounded:
// org (bounded by the token store: only a verified token sets it), event,
// decision and reason (closed sets); token ids only with metrics_token_ids.
type collectors struct {
	requests       *prometheus.CounterVec
	tokenRequests  *prometheus.CounterVec
	denials        *prometheus.CounterVec
	introspections prometheus.Counter
	introspectErrs prometheus.Counter
	introspectTime prometheus.Histogram
	cacheHits      prometheus.Counter
	cacheMisses    prometheus.Counter
	cacheEvictions prometheus.Counter
	revocations    prometheus.Counter
	storeUp        prometheus.Gauge
	inactive       *prometheus.CounterVec
	usageDropped   prometheus.Counter
	usageReported  prometheus.Counter

	// denialsBy is denials curried by each reason; read only.
	denialsBy [decide.NumReasons]prometheus.Counter
	// inactiveBy is inactive curried by each state; read only.
	inactiveBy [numTokenStates]prometheus.Counter

	// byOrg holds the request counters of each org seen, curried by event
	// and decision, so that counting a request neither allocates nor
	// hashes labels. The map is replaced, never changed, when an org is
	// added.
	byOrg atomic.Pointer[map[string]*orgCounters]
	mu    sync.Mutex
}

var (
	sharedCollectors     *collectors
	sharedCollectorsOnce sync.Once
)

func moduleCollectors() *collectors {
	sharedCollectorsOnce.Do(func() { sharedCollectors = newCollectors() })
	return sharedCollectors
}

func newCollectors() *collectors {
	counter := func(name, help string) prometheus.Counter {
		return prometheus.NewCounter(prometheus.CounterOpts{Namespace: metricsNamespace, Name: name, Help: help})
	}
	c := &collectors{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: metricsNamespace, Name: "requests_total",
			Help: "Registry requests through registry_auth by org (empty when no token was verified), event and decision.",
		}, []string{"org", "event", "decision"}),
		tokenRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: metricsNamespace, Name: "token_requests_total",
			Help: "Registry requests by org, token id, event and decision (only with metrics_token_ids).",
		}, []string{"org", "token_id", "event", "decision"}),
		denials: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: metricsNamespace, Name: "denials_total",
			Help: "Refused registry requests by reason.",
		}, []string{"reason"}),
		introspections: counter("introspections_total", "Introspection calls to the token store, retries included in one call."),
		introspectErrs: counter("introspection_errors_total", "Introspection calls that got no usable answer."),
		introspectTime: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: metricsNamespace, Name: "introspection_duration_seconds",
			Help:    "Time of introspection calls to the token store, retries included.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
		}),
		usageDropped:   counter("usage_report_dropped_total", "Usage report items (counters, last uses, registry actions) dropped unsent: the buffer was full while the store was unreachable, or the store refused a batch."),
		usageReported:  counter("usage_report_items_total", "Usage report items the token store accepted."),
		cacheHits:      counter("cache_hits_total", "Token verifications answered from the cache."),
		cacheMisses:    counter("cache_misses_total", "Token verifications that had to ask the token store."),
		cacheEvictions: counter("cache_evictions_total", "Cache entries dropped to make room (entries carry no TTL; staleness is checked on use)."),
		revocations:    counter("revocations_applied_total", "Token ids read from the store's revocation feed and applied."),
		storeUp: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: metricsNamespace, Name: "store_reachable",
			Help: "1 when the last call to the token store got a usable answer, 0 when it did not.",
		}),
		inactive: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: metricsNamespace, Name: "inactive_tokens_total",
			Help: "Requests refused for an inactive token, by why (unknown, revoked, deactivated, expired); usage events name the known ones.",
		}, []string{"state"}),
	}
	for state := range storeapi.Reason(numTokenStates) {
		c.inactiveBy[state] = c.inactive.WithLabelValues(state.String())
	}
	// Every reason is exported from the start, so that rate() sees the
	// first denial of each.
	for reason := decide.ReasonNone + 1; reason < decide.NumReasons; reason++ {
		c.denialsBy[reason] = c.denials.WithLabelValues(reason.String())
	}
	empty := map[string]*orgCounters{}
	c.byOrg.Store(&empty)
	return c
}

// register adds the collectors to reg. A collector already there — a second
// registry_auth in the same config — is fine.
func (c *collectors) register(reg prometheus.Registerer, tokenIDs bool) error {
	list := []prometheus.Collector{
		c.requests, c.denials, c.introspections, c.introspectErrs, c.introspectTime,
		c.cacheHits, c.cacheMisses, c.cacheEvictions, c.revocations, c.storeUp, c.inactive,
		c.usageDropped, c.usageReported,
	}
	if tokenIDs {
		list = append(list, c.tokenRequests)
	}
	for _, col := range list {
		if err := reg.Register(col); err != nil {
			if are, ok := errors.AsType[prometheus.AlreadyRegisteredError](err); ok && are.ExistingCollector == col {
				continue
			}
			return fmt.Errorf("registering metrics: %w", err)
		}
	}
	return nil
}

// orgCounters are one org's request counters by event and outcome.
type orgCounters [decide.NumEvents][decide.NumOutcomes]prometheus.Counter

func (c *collectors) forOrg(org string) *orgCounters {
	if oc := (*c.byOrg.Load())[org]; oc != nil {
		return oc
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	old := *c.byOrg.Load()
	if oc := old[org]; oc != nil {
		return oc
	}
	oc := new(orgCounters)
	for e := range decide.NumEvents {
		for o := range decide.NumOutcomes {
			oc[e][o] = c.requests.WithLabelValues(org, e.String(), o.String())
		}
	}
	next := make(map[string]*orgCounters, len(old)+1)
	maps.Copy(next, old)
	next[org] = oc
	c.byOrg.Store(&next)
	return oc
}

// metrics is one registry_auth handler's view of the collectors.
type metrics struct {
	c        *collectors
	tokenIDs bool
}

// newMetrics registers the module's metrics in the config's registry, which
// Caddy's `metrics` handler and admin endpoint serve.
func newMetrics(ctx caddy.Context, tokenIDs bool) (*metrics, error) {
	m := &metrics{c: moduleCollectors(), tokenIDs: tokenIDs}
	if reg := ctx.GetMetricsRegistry(); reg != nil {
		if err := m.c.register(reg, tokenIDs); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// request counts one finished request. A handler that was never
// provisioned has no metrics.
func (m *metrics) request(event decide.Event, outcome decide.Outcome, reason decide.Reason, org, tokenID string) {
	if m == nil || event >= decide.NumEvents || outcome >= decide.NumOutcomes {
		return
	}
	if outcome == decide.Deny && reason < decide.NumReasons && m.c.denialsBy[reason] != nil {
		m.c.denialsBy[reason].Inc()
	}
	m.c.forOrg(org)[event][outcome].Inc()
	if m.tokenIDs && tokenID != "" {
		m.c.tokenRequests.WithLabelValues(org, tokenID, event.String(), outcome.String()).Inc()
	}
}

// numTokenStates is how many storeapi.Reason values there are.
const numTokenStates = int(storeapi.ReasonExpired) + 1

// inactiveToken counts a refusal of an inactive token by why it is.
func (m *metrics) inactiveToken(state storeapi.Reason) {
	if m == nil || int(state) >= numTokenStates {
		return
	}
	m.c.inactiveBy[state].Inc()
}

// CacheHit implements verify.Observer.
func (m *metrics) CacheHit() { m.c.cacheHits.Inc() }

// CacheMiss implements verify.Observer.
func (m *metrics) CacheMiss() { m.c.cacheMisses.Inc() }

// CacheEvicted implements verify.Observer.
func (m *metrics) CacheEvicted() { m.c.cacheEvictions.Inc() }

// Introspected implements verify.Observer.
func (m *metrics) Introspected(d time.Duration, err error) {
	m.c.introspections.Inc()
	m.c.introspectTime.Observe(d.Seconds())
	if err != nil {
		m.c.introspectErrs.Inc()
	}
}

// RevocationsApplied implements verify.Observer.
func (m *metrics) RevocationsApplied(n int) { m.c.revocations.Add(float64(n)) }

// StoreReachable implements verify.Observer.
func (m *metrics) StoreReachable(ok bool) {
	if ok {
		m.c.storeUp.Set(1)
	} else {
		m.c.storeUp.Set(0)
	}
}

// UsageDropped implements usagereport.Observer.
func (m *metrics) UsageDropped(items int) { m.c.usageDropped.Add(float64(items)) }

// UsageReported implements usagereport.Observer.
func (m *metrics) UsageReported(items int) { m.c.usageReported.Add(float64(items)) }

// Interface guards
var (
	_ verify.Observer      = (*metrics)(nil)
	_ usagereport.Observer = (*metrics)(nil)
)
