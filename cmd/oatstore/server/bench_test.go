package server_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/oatgate/oatgate/caddymodule/oat"
	"github.com/oatgate/oatgate/cmd/oatstore/store"
	"github.com/oatgate/oatgate/cmd/oatstore/store/sqlite"
)

// seed creates n tokens in org acme straight through the store and returns
// their secrets.
func seed(tb testing.TB, st store.Store, n int) []string {
	tb.Helper()
	ctx := context.Background()
	ev := store.Event{Action: store.ActionOrgCreated, Actor: "bench", SourceIP: "127.0.0.1", At: time.Now()}
	if _, _, err := st.PutOrg(ctx, "acme", func(o store.Org, _ bool) (store.Org, error) {
		o.MaxTokens = n
		return o, nil
	}, ev); err != nil {
		tb.Fatalf("PutOrg: %v", err)
	}
	secrets := make([]string, n)
	ev.Action = store.ActionTokenCreated
	for i := range secrets {
		tok, err := oat.Generate()
		if err != nil {
			tb.Fatalf("oat.Generate: %v", err)
		}
		secrets[i] = tok.Reveal()
		h := tok.Hash()
		_, err = st.CreateToken(ctx, "acme", h[:], func(store.Org) (store.Token, error) {
			return store.Token{ID: fmt.Sprintf("tok_%026d", i), Label: fmt.Sprintf("t%d", i), Scopes: []string{"repository:acme/app:pull"}, CreatedAt: ev.At, Active: true}, nil
		}, ev)
		if err != nil {
			tb.Fatalf("CreateToken: %v", err)
		}
	}
	return secrets
}

var warm struct {
	once    sync.Once
	path    string
	secrets []string
	dir     string
}

// warmDB seeds one database of 10,000 tokens per test binary; the
// benchmark framework calls a benchmark several times while it sizes b.N
// and seeding takes tens of seconds at synchronous=FULL.
func warmDB(b *testing.B) (string, []string) {
	b.Helper()
	warm.once.Do(func() {
		dir, err := os.MkdirTemp("", "oatstore-bench")
		if err != nil {
			b.Fatalf("temp dir: %v", err)
		}
		warm.dir, warm.path = dir, filepath.Join(dir, "warm.db")
		st, err := sqlite.Open(context.Background(), warm.path)
		if err != nil {
			b.Fatalf("opening: %v", err)
		}
		began := time.Now()
		warm.secrets = seed(b, st, 10000)
		b.Logf("seeded 10,000 tokens in %v", time.Since(began))
		st.Close()
	})
	if warm.secrets == nil {
		b.Fatalf("seeding failed earlier")
	}
	return warm.path, warm.secrets
}

func TestMain(m *testing.M) {
	code := m.Run()
	if warm.dir != "" {
		os.RemoveAll(warm.dir)
	}
	os.Exit(code)
}

// BenchmarkIntrospect measures introspection over loopback HTTP on a warm
// database of 10,000 tokens, several clients at once as gateways would be.
func BenchmarkIntrospect(b *testing.B) {
	b.ReportAllocs()
	path, secrets := warmDB(b)
	e := newEnv(b, path)
	// Warm: every token read once before timing (and its last use written).
	if failed := introspectAll(e, secrets, 8); failed != 0 {
		b.Fatalf("%d introspections failed", failed)
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	var next atomic.Int64
	b.SetParallelism(4)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			s := secrets[int(next.Add(1))%len(secrets)]
			req, _ := http.NewRequest("POST", e.url+"/v1/introspect", strings.NewReader(url.Values{"token": {s}}.Encode()))
			req.Header.Set("Authorization", "Bearer "+gatewayKey)
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			res, err := client.Do(req)
			if err != nil {
				b.Fatalf("introspect: %v", err)
			}
			res.Body.Close()
			if res.StatusCode != http.StatusOK {
				b.Fatalf("status %d", res.StatusCode)
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
}

// BenchmarkColdStart measures a gateway's cold start: 10,000 distinct
// tokens introspected once each by 8 clients, every answer also marking
// last use (written in batches off the request path).
func BenchmarkColdStart(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		e := newEnv(b, "")
		secrets := seed(b, e.st, 10000)
		b.StartTimer()
		if failed := introspectAll(e, secrets, 8); failed != 0 {
			b.Fatalf("%d introspections failed", failed)
		}
		b.StopTimer()
		e.stop()
		b.StartTimer()
	}
	b.ReportMetric(float64(10000*b.N)/b.Elapsed().Seconds(), "req/s")
}

// TestColdStart checks that introspecting many distinct tokens for the
// first time stays fast. The race detector slows the SQLite driver about
// tenfold, so it runs fewer tokens there; BenchmarkColdStart runs 10,000.
func TestColdStart(t *testing.T) {
	n := 1000
	if raceEnabled {
		n = 300
	}
	e := newEnv(t, "")
	secrets := seed(t, e.st, n)
	began := time.Now()
	if failed := introspectAll(e, secrets, 8); failed != 0 {
		t.Errorf("%d introspections failed", failed)
	}
	took := time.Since(began)
	t.Logf("introspected %d tokens once each in %v (%.0f req/s)", n, took, float64(n)/took.Seconds())
	if perReq := took / time.Duration(n); perReq > 50*time.Millisecond {
		t.Errorf("cold start took %v per token, want under 50ms", perReq)
	}
	// Every use was recorded, in a few batched transactions.
	e.stop()
	st := reopen(t, e.dbPath)
	ts, err := st.ListTokens(context.Background(), "acme")
	if err != nil {
		t.Fatalf("ListTokens: %v", err)
	}
	for _, tok := range ts {
		if tok.LastUsedAt == nil {
			t.Fatalf("token %s has no last_used_at after its introspection", tok.ID)
		}
	}
}

// introspectAll introspects every secret once with the given number of
// concurrent clients and returns how many calls failed.
func introspectAll(e *env, secrets []string, clients int) int64 {
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: clients}}
	var (
		wg     sync.WaitGroup
		failed atomic.Int64
	)
	for w := range clients {
		wg.Go(func() {
			for i := w; i < len(secrets); i += clients {
				req, _ := http.NewRequest("POST", e.url+"/v1/introspect", strings.NewReader("token="+secrets[i]))
				req.Header.Set("Authorization", "Bearer "+gatewayKey)
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				res, err := client.Do(req)
				if err != nil {
					failed.Add(1)
					continue
				}
				res.Body.Close()
				if res.StatusCode != http.StatusOK {
					failed.Add(1)
				}
			}
		})
	}
	wg.Wait()
	return failed.Load()
}
