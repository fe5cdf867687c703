package caddymodule

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/oatgate/oatgate/caddymodule/usage"
	"github.com/oatgate/oatgate/caddymodule/usagereport"
	"github.com/oatgate/oatgate/cmd/oatstore/adminkeys"
	"github.com/oatgate/oatgate/cmd/oatstore/server"
	"github.com/oatgate/oatgate/cmd/oatstore/store/sqlite"
	"github.com/oatgate/oatgate/testenv/oidcissuer"
)

// benchStore is a real oatstore (SQLite in a temp folder) on a loopback
// httptest server that counts the introspections it answers.
type benchStore struct {
	URL, adminKey, gatewayKey string
	introspections, feedPolls atomic.Int64
}

func startBenchStore(b testing.TB) *benchStore {
	b.Helper()
	db, err := sqlite.Open(context.Background(), filepath.Join(b.TempDir(), "oatstore.db"))
	if err != nil {
		b.Fatalf("opening the store's database: %v", err)
	}
	// The gateway key is long enough for oatstore (32 bytes at least) and to
	// derive the bearer token signing key from (16 bytes at least).
	bs := &benchStore{adminKey: "bench-admin-key-0123456789abcdef0123", gatewayKey: "bench-gateway-key-0123456789abcdef01"}
	keys, err := adminkeys.Load(adminkeys.Sources{Single: bs.adminKey})
	if err != nil {
		b.Fatal(err)
	}
	srv, err := server.New(server.Config{
		Store: db, AdminKeys: keys, GatewayKeys: []string{bs.gatewayKey},
		// The ID token benchmark's issuer is an http://127.0.0.1 one.
		Federation: server.FederationConfig{AllowLoopbackHTTP: true},
	})
	if err != nil {
		b.Fatalf("starting oatstore: %v", err)
	}
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v1/introspect" {
			bs.introspections.Add(1)
		}
		srv.ServeHTTP(w, r)
		if r.URL.Path == "/v1/revocations" {
			bs.feedPolls.Add(1)
		}
	}))
	b.Cleanup(func() {
		ts.Close()
		_ = srv.Close()
		_ = db.Close()
	})
	bs.URL = ts.URL
	return bs
}

// admin calls the store's management API and decodes the answer into out.
func (bs *benchStore) admin(b testing.TB, method, path, body string, out any) {
	b.Helper()
	req, err := http.NewRequest(method, bs.URL+path, strings.NewReader(body))
	if err != nil {
		b.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+bs.adminKey)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		b.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 300 {
		b.Fatalf("%s %s: got %s %s, want success", method, path, resp.Status, data)
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			b.Fatalf("%s %s: decoding %s: %v", method, path, data, err)
		}
	}
}

// discardWriter is a ResponseWriter that keeps nothing, as cheap as a
// response writer can be, so that the benchmark measures the module.
type discardWriter struct{ h http.Header }

func (w *discardWriter) Header() http.Header         { return w.h }
func (w *discardWriter) Write(p []byte) (int, error) { return len(p), nil }
func (w *discardWriter) WriteHeader(int)             {}

// BenchmarkServeHTTPCacheHit is the module's whole hot path for a pull whose
// token is cached: classify, parse the Basic credentials, check the token's
// checksum, cache lookup, authorize, set placeholders, hand to a no-op next
// handler and log the usage event (JSON, to a discarded writer). The store
// must see exactly the one introspection of the warm-up request.
func BenchmarkServeHTTPCacheHit(b *testing.B) {
	benchmarkCacheHit(b, func(b *testing.B, _ *benchStore, ra *RegistryAuth, oat string) string {
		return "Basic " + base64.StdEncoding.EncodeToString([]byte("acme:"+oat))
	})
}

// BenchmarkServeHTTPBearerCacheHit is the same pull with a Docker bearer
// token minted by the gateway's token endpoint: digest the token, look it
// up in the bearer cache (no signature check), check its time window, look
// the OAT up by id, and authorize against the claims and the OAT's grants.
// It must stay under twice BenchmarkServeHTTPCacheHit.
func BenchmarkServeHTTPBearerCacheHit(b *testing.B) {
	benchmarkCacheHit(b, func(b *testing.B, _ *benchStore, ra *RegistryAuth, oat string) string {
		r := httptest.NewRequest(http.MethodGet, "/token?service=oatgate&scope=repository:acme/app:pull", nil)
		r.Header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte("acme:"+oat)))
		w := httptest.NewRecorder()
		if err := ra.ServeHTTP(w, r, nil); err != nil || w.Code != http.StatusOK {
			b.Fatalf("token endpoint: %d %s %v, want 200", w.Code, w.Body, err)
		}
		var tok struct {
			Token string `json:"token"`
		}
		if err := json.Unmarshal(w.Body.Bytes(), &tok); err != nil {
			b.Fatalf("token answer %s: %v", w.Body, err)
		}
		return "Bearer " + tok.Token
	})
}

// BenchmarkServeHTTPIDTokenCacheHit is the same pull by a CI job logged in
// with its OIDC ID token (a JWT of a real issuer, exchanged once by the
// real oatstore under a trust policy): parse a Basic header of ~1.5 KiB,
// check the JWT's shape (segments, header alg), hash it with the org, look
// the federated token up in the cache, authorize. Its cost beside
// BenchmarkServeHTTPCacheHit is what federation adds to a cached login.
func BenchmarkServeHTTPIDTokenCacheHit(b *testing.B) {
	benchmarkCacheHit(b, func(b *testing.B, bs *benchStore, _ *RegistryAuth, _ string) string {
		iss, err := oidcissuer.New(oidcissuer.Options{})
		if err != nil {
			b.Fatalf("starting the OIDC issuer: %v", err)
		}
		b.Cleanup(iss.Close)
		policy, err := json.Marshal(map[string]any{
			"issuer": iss.URL(), "audience": iss.Audience(),
			"claims": map[string]string{"repository_owner": "acme", "sub": "repo:acme/app:ref:refs/heads/main"},
			"scopes": []string{"repository:acme/**:pull,push"},
		})
		if err != nil {
			b.Fatal(err)
		}
		bs.admin(b, http.MethodPut, "/v1/orgs/acme/federation/bench", string(policy), nil)
		jwt, err := iss.Mint(oidcissuer.GitHub("acme", "app", "refs/heads/main"))
		if err != nil {
			b.Fatalf("minting an ID token: %v", err)
		}
		return "Basic " + base64.StdEncoding.EncodeToString([]byte("acme:"+jwt))
	})
}

// benchmarkCacheHit runs the cache-hit benchmarks with the Authorization
// header authorization returns, once the store and the gateway are up.
func benchmarkCacheHit(b *testing.B, authorization func(b *testing.B, bs *benchStore, ra *RegistryAuth, oat string) string) {
	bs := startBenchStore(b)
	bs.admin(b, http.MethodPut, "/v1/orgs/acme", `{"max_tokens":10}`, nil)
	var tok struct {
		Token string `json:"token"`
	}
	bs.admin(b, http.MethodPost, "/v1/orgs/acme/tokens",
		`{"label":"ci","scopes":["repository:acme/**:pull,push"],"expires_in":"30d"}`, &tok)

	ctx, cancel := caddy.NewContext(caddy.Context{Context: context.Background()})
	defer cancel()
	ra := &RegistryAuth{Store: StoreURLs{bs.URL}, StoreKey: bs.gatewayKey, CacheTTL: caddy.Duration(3600e9)}
	if err := ra.Provision(ctx); err != nil {
		b.Fatalf("Provision: %v", err)
	}
	defer ra.Cleanup()
	if ra.reports == nil {
		b.Fatal("usage reports are off by default; the benchmark measures them on")
	}
	// Caddy's production JSON encoder, writing nowhere: the event is encoded
	// in full, as in production, without timing a disk.
	core := zapcore.NewCore(zapcore.NewJSONEncoder(zap.NewProductionEncoderConfig()), zapcore.AddSync(io.Discard), zapcore.InfoLevel)
	ra.logger = zap.New(core)
	ra.usage = newUsageLog(ra.logger.Named(usage.LoggerName))

	next := caddyhttp.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		w.WriteHeader(http.StatusOK)
		return nil
	})
	newRequest := func() *http.Request {
		r := httptest.NewRequest(http.MethodGet, "/v2/acme/app/manifests/latest", nil)
		repl := caddy.NewReplacer()
		rctx := context.WithValue(r.Context(), caddy.ReplacerCtxKey, repl)
		rctx = context.WithValue(rctx, caddyhttp.VarsCtxKey, map[string]any{caddyhttp.ClientIPVarKey: "127.0.0.1"})
		r = r.WithContext(rctx)
		r.Header.Set("User-Agent", "docker/27.0 go/go1.22 os/linux arch/amd64")
		return r
	}
	// The verifier distrusts everything it cached before its first read of
	// the revocation feed; the second read proves the first was applied.
	for i := 0; bs.feedPolls.Load() < 2; i++ {
		if i == 100 {
			b.Fatalf("the revocation feed was read %d times in 5 s, want 2", bs.feedPolls.Load())
		}
		time.Sleep(50 * time.Millisecond)
	}
	// The token (for a bearer token, from the token endpoint: its one
	// introspection is the warm-up's) after the feed was read, so that it
	// stays cached.
	auth := []string{authorization(b, bs, ra, tok.Token)}
	serve := func(r *http.Request, w *discardWriter) error {
		r.Header["Authorization"] = auth // the module strips it on the way
		return ra.ServeHTTP(w, r, next)
	}
	warm := httptest.NewRecorder()
	r := newRequest()
	r.Header["Authorization"] = auth
	if err := ra.ServeHTTP(warm, r, next); err != nil || warm.Code != http.StatusOK {
		b.Fatalf("warm-up request: got %d %v %s, want 200", warm.Code, err, bytes.TrimSpace(warm.Body.Bytes()))
	}

	b.Run("one goroutine", func(b *testing.B) {
		r, w := newRequest(), &discardWriter{h: make(http.Header)}
		b.ReportAllocs()
		cpu := processCPU(b)
		for b.Loop() {
			if err := serve(r, w); err != nil {
				b.Fatalf("ServeHTTP: %v", err)
			}
		}
		// On a shared machine the wall time per op includes the time other
		// processes had the core; the process's CPU time does not (it does
		// include the garbage collector's share, which is a real cost).
		b.ReportMetric(float64(processCPU(b)-cpu)/float64(b.N), "cpu-ns/op")
	})
	b.Run("one goroutine, usage reports off", func(b *testing.B) {
		// The same path without counting for the usage reports: "one
		// goroutine" minus this is what reporting costs a request.
		defer func(r *usagereport.Reporter) { ra.reports = r }(ra.reports)
		ra.reports = nil
		r, w := newRequest(), &discardWriter{h: make(http.Header)}
		b.ReportAllocs()
		cpu := processCPU(b)
		for b.Loop() {
			if err := serve(r, w); err != nil {
				b.Fatalf("ServeHTTP: %v", err)
			}
		}
		b.ReportMetric(float64(processCPU(b)-cpu)/float64(b.N), "cpu-ns/op")
	})
	b.Run("one goroutine, usage events not logged", func(b *testing.B) {
		// The same path with the usage logger's level above info: what the
		// module costs apart from encoding the event.
		defer func(l *usageLog) { ra.usage = l }(ra.usage)
		ra.usage = newUsageLog(zap.NewNop())
		r, w := newRequest(), &discardWriter{h: make(http.Header)}
		b.ReportAllocs()
		cpu := processCPU(b)
		for b.Loop() {
			if err := serve(r, w); err != nil {
				b.Fatalf("ServeHTTP: %v", err)
			}
		}
		b.ReportMetric(float64(processCPU(b)-cpu)/float64(b.N), "cpu-ns/op")
	})
	b.Run("all cores", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			r, w := newRequest(), &discardWriter{h: make(http.Header)}
			for pb.Next() {
				if err := serve(r, w); err != nil {
					b.Errorf("ServeHTTP: %v", err)
					return
				}
			}
		})
	})
	if n := bs.introspections.Load(); n != 1 {
		b.Errorf("the store answered %d introspections, want 1 (the warm-up): a cache hit must not reach the store", n)
	}
}

// processCPU is the CPU time, user and system, the process has used.
func processCPU(b *testing.B) time.Duration {
	b.Helper()
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatalf("getrusage: %v", err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
