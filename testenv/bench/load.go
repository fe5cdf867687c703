package bench

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"time"
)

// LoadConfig is a fixed workload: Requests requests per side per round,
// Concurrency at a time, Rounds rounds with the sides' order alternating so
// that drift of a shared machine falls on both.
type LoadConfig struct {
	Concurrency, Requests, Rounds int
}

// LoadResult is one side's share of a side-by-side run.
type LoadResult struct {
	Name     string
	Requests int
	Elapsed  time.Duration
	// Rounds are the side's measured rounds, in order: round i of each
	// side ran back to back, so comparing them pairwise cancels the load
	// other processes put on a shared machine better than the totals do.
	Rounds []Round
	// latencies are sorted once the run ends.
	latencies []time.Duration
}

// Round is one round of one side.
type Round struct {
	RPS      float64
	P50, P99 time.Duration
}

// MedianRatio is the median over rounds of b's requests per second over
// a's in the same round.
func MedianRatio(a, b *LoadResult) float64 {
	return median(len(a.Rounds), func(i int) float64 { return b.Rounds[i].RPS / a.Rounds[i].RPS })
}

// MedianAddedP99 is the median over rounds of b's p99 latency minus a's in
// the same round.
func MedianAddedP99(a, b *LoadResult) time.Duration {
	return time.Duration(median(len(a.Rounds), func(i int) float64 { return float64(b.Rounds[i].P99 - a.Rounds[i].P99) }))
}

func median(n int, f func(i int) float64) float64 {
	if n == 0 {
		return 0
	}
	v := make([]float64, n)
	for i := range v {
		v[i] = f(i)
	}
	slices.Sort(v)
	if n%2 == 1 {
		return v[n/2]
	}
	return (v[n/2-1] + v[n/2]) / 2
}

// RPS is requests per second over the time the side was running.
func (r *LoadResult) RPS() float64 { return float64(r.Requests) / r.Elapsed.Seconds() }

// Quantile is the latency below which a fraction q of the requests finished.
func (r *LoadResult) Quantile(q float64) time.Duration {
	if len(r.latencies) == 0 {
		return 0
	}
	return r.latencies[min(len(r.latencies)-1, int(q*float64(len(r.latencies))))]
}

// Target is one side: a base URL and a client of its own, so that both sides
// have the same connection pool.
type Target struct {
	Name, URL string
	client    *http.Client
}

// NewTarget is a side of the comparison with enough connections for conc
// workers.
func NewTarget(name, url string, conc int) *Target {
	return &Target{Name: name, URL: url, client: newClient(conc)}
}

// Mix is the request mix of a registry under pull load: manifest HEAD and
// GET by tag, a small blob GET and the tags list, in turn.
type Mix struct {
	Repository, Tag, BlobDigest, Auth string
}

// manifestAccept is what pulling clients send for a manifest.
const manifestAccept = "application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.index.v1+json, application/vnd.docker.distribution.manifest.list.v2+json"

// request is the i-th request of the mix.
func (m *Mix) request(ctx context.Context, base string, i int) (*http.Request, error) {
	method, path, accept := http.MethodGet, "", ""
	switch i % 4 {
	case 0:
		method, path, accept = http.MethodHead, "/manifests/"+m.Tag, manifestAccept
	case 1:
		path, accept = "/manifests/"+m.Tag, manifestAccept
	case 2:
		path = "/blobs/" + m.BlobDigest
	default:
		path = "/tags/list"
	}
	req, err := http.NewRequestWithContext(ctx, method, base+"/v2/"+m.Repository+path, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", m.Auth)
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	return req, nil
}

// SideBySide drives the mix against bare and gateway in cfg.Rounds
// interleaved rounds after one unmeasured warm-up round each.
func SideBySide(ctx context.Context, mix *Mix, bare, gateway *Target, cfg LoadConfig) (LoadResult, LoadResult, error) {
	results := map[*Target]*LoadResult{
		bare:    {Name: bare.Name},
		gateway: {Name: gateway.Name},
	}
	for round := -1; round < cfg.Rounds; round++ {
		order := []*Target{bare, gateway}
		if round%2 != 0 {
			order = []*Target{gateway, bare}
		}
		for _, t := range order {
			lat, elapsed, err := runRound(ctx, mix, t, cfg)
			if err != nil {
				return LoadResult{}, LoadResult{}, err
			}
			if round < 0 {
				continue // warm-up: connections, caches, the registry's seen list
			}
			r := results[t]
			r.Requests += len(lat)
			r.Elapsed += elapsed
			r.latencies = append(r.latencies, lat...)
			slices.Sort(lat)
			r.Rounds = append(r.Rounds, Round{
				RPS: float64(len(lat)) / elapsed.Seconds(),
				P50: lat[len(lat)/2],
				P99: lat[min(len(lat)-1, len(lat)*99/100)],
			})
		}
	}
	for _, r := range results {
		slices.Sort(r.latencies)
	}
	return *results[bare], *results[gateway], nil
}

// runRound sends cfg.Requests requests of the mix to t, cfg.Concurrency at a
// time, and returns each one's latency and the round's duration. Any answer
// but 200 is an error: both sides must serve the same thing.
func runRound(ctx context.Context, mix *Mix, t *Target, cfg LoadConfig) ([]time.Duration, time.Duration, error) {
	lat := make([]time.Duration, cfg.Requests)
	start := time.Now()
	err := forEach(cfg.Requests, cfg.Concurrency, func(i int) error {
		req, err := mix.request(ctx, t.URL, i)
		if err != nil {
			return err
		}
		began := time.Now()
		status, _, err := do(t.client, req)
		lat[i] = time.Since(began)
		if err != nil {
			return err
		}
		if status != http.StatusOK {
			return fmt.Errorf("%s: %s %s answered %d, want 200", t.Name, req.Method, req.URL.Path, status)
		}
		return nil
	})
	return lat, time.Since(start), err
}
