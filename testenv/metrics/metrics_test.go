// Package metrics scrapes Caddy's /metrics in front of the real stack and
// checks that registry_auth's metrics move as requests are made.
package metrics

import (
	"bufio"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/oatgate/oatgate/testenv"
)

func TestMetricsMoveWithRequests(t *testing.T) {
	env, err := testenv.Start(testenv.Options{Metrics: true, Gateway: map[string]any{"metrics_token_ids": true}})
	if err != nil {
		t.Fatal(err)
	}
	defer env.Close()
	tok := env.MintToken(t, "metorg", "repository:metorg/**:pull")

	loginAllow := `oatgate_requests_total{decision="allow",event="login",org="metorg"}`
	pullAllow := `oatgate_requests_total{decision="allow",event="pull",org="metorg"}`
	pushDeny := `oatgate_requests_total{decision="deny",event="push",org="metorg"}`
	anonDeny := `oatgate_requests_total{decision="deny",event="login",org=""}`
	anonChallenge := `oatgate_requests_total{decision="challenge",event="login",org=""}`
	tokenPulls := `oatgate_token_requests_total{decision="allow",event="pull",org="metorg",token_id="` + tok.ID + `"}`
	noCreds := `oatgate_denials_total{reason="no_credentials"}`
	scopeDenials := `oatgate_denials_total{reason="scope"}`
	before := scrape(t, env.MetricsURL)

	env.Call(t, "GET", "/v2/", "", "", nil)
	env.Call(t, "GET", "/v2/", "metorg", tok.Secret, nil)
	env.Call(t, "GET", "/v2/metorg/app/tags/list", "metorg", tok.Secret, nil)
	env.Call(t, "GET", "/v2/metorg/app/tags/list", "metorg", tok.Secret, nil)
	env.Call(t, "POST", "/v2/metorg/app/blobs/uploads/", "metorg", tok.Secret, nil)
	after := scrape(t, env.MetricsURL)

	for _, tt := range []struct {
		name, series string
		delta        float64
	}{
		{"an anonymous /v2/ counts as a challenged login without org", anonChallenge, 1},
		{"an anonymous /v2/ is no denied login", anonDeny, 0},
		{"a login with the token counts for its org", loginAllow, 1},
		{"two allowed tag lists count as pulls", pullAllow, 2},
		{"a push the token may not make counts as denied", pushDeny, 1},
		{"metrics_token_ids counts the token's pulls", tokenPulls, 2},
		{"the anonymous /v2/ ping is no no_credentials denial", noCreds, 0},
		{"the push is a scope denial", scopeDenials, 1},
		{"the token was introspected once", "oatgate_introspections_total", 1},
		{"one cache miss", "oatgate_cache_misses_total", 1},
		{"three cache hits after it", "oatgate_cache_hits_total", 3},
		{"one introspection latency observed", "oatgate_introspection_duration_seconds_count", 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := after[tt.series] - before[tt.series]; got != tt.delta {
				t.Errorf("%s moved by %v, want %v (before %v, after %v)", tt.series, got, tt.delta, before[tt.series], after[tt.series])
			}
		})
	}
	if after["oatgate_store_reachable"] != 1 {
		t.Errorf("oatgate_store_reachable = %v, want 1", after["oatgate_store_reachable"])
	}

	t.Run("a revocation shows in revocations_applied_total", func(t *testing.T) {
		if err := env.Admin.Revoke(testenv.Context(t, time.Minute), "metorg", tok.ID); err != nil {
			t.Fatal(err)
		}
		testenv.Eventually(t, 3*time.Second, "oatgate_revocations_applied_total to grow", func() bool {
			return scrape(t, env.MetricsURL)["oatgate_revocations_applied_total"] > after["oatgate_revocations_applied_total"]
		})
	})

	t.Run("a store outage shows as store_reachable 0 and an introspection error", func(t *testing.T) {
		other := env.MintToken(t, "metorg", "repository:metorg/**:pull")
		errsBefore := scrape(t, env.MetricsURL)["oatgate_introspection_errors_total"]
		if err := env.StopStore(); err != nil {
			t.Fatal(err)
		}
		defer func() {
			if err := env.RestartStore(); err != nil {
				t.Errorf("restarting the store: %v", err)
			}
		}()
		if status := env.Call(t, "GET", "/v2/", "metorg", other.Secret, nil).StatusCode; status != http.StatusServiceUnavailable {
			t.Errorf("unknown token with the store down: status %d, want 503", status)
		}
		down := scrape(t, env.MetricsURL)
		if down["oatgate_store_reachable"] != 0 || down["oatgate_introspection_errors_total"] <= errsBefore {
			t.Errorf("store_reachable %v (want 0), introspection errors %v (want more than %v)",
				down["oatgate_store_reachable"], down["oatgate_introspection_errors_total"], errsBefore)
		}
		if down[`oatgate_denials_total{reason="store_unavailable"}`] < 1 {
			t.Errorf("store_unavailable denials: %v, want at least 1", down[`oatgate_denials_total{reason="store_unavailable"}`])
		}
	})
}

// scrape reads the Prometheus text format into series -> value.
func scrape(t *testing.T, url string) map[string]float64 {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s", url, resp.Status)
	}
	series := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		if i < 0 {
			continue
		}
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			continue
		}
		series[line[:i]] = v
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return series
}
