package server_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/oatgate/oatgate/cmd/oatstore/server"
	"github.com/oatgate/oatgate/cmd/oatstore/store/sqlite"
	"github.com/oatgate/oatgate/testenv/oidcissuer"
)

// exchangeBench is a real oatstore on SQLite, with a trust policy of a
// real ES256 issuer whose keys the server has already fetched, and a pool
// of distinct ID tokens to exchange.
type exchangeBench struct {
	url  string
	jwts []string
}

// exchangePool is how many distinct ID tokens a benchmark exchanges in
// turn: one ID token gets at most store.MaxExchangesPerIDToken tokens, so
// the pool bounds a run at exchangePool × that many exchanges (20,480).
const exchangePool = 4096

func newExchangeBench(b *testing.B, pool int) *exchangeBench {
	b.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(b.TempDir(), "oatstore.db"))
	if err != nil {
		b.Fatal(err)
	}
	iss, err := oidcissuer.New(oidcissuer.Options{Algorithm: oidcissuer.ES256, Lifetime: time.Hour})
	if err != nil {
		b.Fatal(err)
	}
	// Logged at info to nowhere: the cost of writing the log line is real.
	logger := zap.New(zapcore.NewCore(zapcore.NewJSONEncoder(zap.NewProductionEncoderConfig()), zapcore.AddSync(io.Discard), zap.InfoLevel))
	srv, err := server.New(server.Config{
		Store: st, AdminKeys: testKeys(b), GatewayKeys: []string{gatewayKey}, Logger: logger,
		Federation: server.FederationConfig{AllowLoopbackHTTP: true},
	})
	if err != nil {
		b.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	b.Cleanup(func() {
		hs.Close()
		srv.Close()
		st.Close()
		iss.Close()
	})
	call := func(method, path, body string) {
		req, _ := http.NewRequest(method, hs.URL+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+adminKey)
		req.Header.Set("Content-Type", "application/json")
		res, err := http.DefaultClient.Do(req)
		if err != nil || res.StatusCode >= 300 {
			b.Fatalf("%s %s: %v %v", method, path, res.Status, err)
		}
		res.Body.Close()
	}
	call("PUT", "/v1/orgs/acme", `{"max_federated_tokens":100000}`)
	call("PUT", "/v1/orgs/acme/federation/gha", `{"issuer":"`+iss.URL()+`","audience":"oatgate","claims":{"repository_owner":"acme","sub":"repo:acme/app:ref:refs/heads/*"},"scopes":["repository:acme/app:pull,push"]}`)
	e := &exchangeBench{url: hs.URL}
	for range pool {
		jwt, err := iss.Mint(oidcissuer.GitHub("acme", "app", "refs/heads/main"))
		if err != nil {
			b.Fatal(err)
		}
		e.jwts = append(e.jwts, jwt)
	}
	// Warm the JWKS: the first exchange fetches discovery and keys.
	if status := e.exchange(http.DefaultClient, e.jwts[0]); status != http.StatusOK {
		b.Fatalf("warming exchange: %d", status)
	}
	if iss.JWKSFetches() != 1 {
		b.Fatalf("JWKS fetched %d times while warming, want 1", iss.JWKSFetches())
	}
	return e
}

func (e *exchangeBench) exchange(client *http.Client, jwt string) int {
	form := url.Values{
		"grant_type":         {"urn:ietf:params:oauth:grant-type:token-exchange"},
		"subject_token":      {jwt},
		"subject_token_type": {"urn:ietf:params:oauth:token-type:id_token"},
	}
	req, _ := http.NewRequest("POST", e.url+"/v1/token", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	res, err := client.Do(req)
	if err != nil {
		return 0
	}
	_, _ = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res.StatusCode
}

// BenchmarkExchange measures POST /v1/token through the real server on
// SQLite with the issuer's keys cached: one client, one exchange at a
// time (verify an ES256 ID token, match the policy, insert the token and
// its audit entry in one transaction).
func BenchmarkExchange(b *testing.B) {
	b.ReportAllocs()
	e := newExchangeBench(b, exchangePool)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1}}
	i := 0
	cpu := processCPU(b)
	for b.Loop() {
		if status := e.exchange(client, e.jwts[i%len(e.jwts)]); status != http.StatusOK {
			b.Fatalf("exchange: %d", status)
		}
		i++
	}
	b.ReportMetric(float64(processCPU(b)-cpu)/float64(b.N), "cpu-ns/op")
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
}

// BenchmarkExchangeLoad is the bounded loopback load run: 16 clients
// exchanging at once for -benchtime, reporting the throughput. cpu-ns/op is
// the process's CPU time per exchange, the HTTP client's included: on a
// shared machine wall time includes other processes' turns, CPU time does
// not.
func BenchmarkExchangeLoad(b *testing.B) {
	b.ReportAllocs()
	e := newExchangeBench(b, exchangePool)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	var next, failed atomic.Int64
	b.SetParallelism(8)
	b.ResetTimer()
	cpu := processCPU(b)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if e.exchange(client, e.jwts[int(next.Add(1))%len(e.jwts)]) != http.StatusOK {
				failed.Add(1)
			}
		}
	})
	b.ReportMetric(float64(processCPU(b)-cpu)/float64(b.N), "cpu-ns/op")
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
	if n := failed.Load(); n > 0 {
		b.Fatalf("%d exchanges failed", n)
	}
}

// processCPU is the CPU time, user and system, the process has used (as
// caddymodule's benchmarks read it).
func processCPU(b *testing.B) time.Duration {
	b.Helper()
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatalf("getrusage: %v", err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
