package verify

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/oatgate/oatgate/caddymodule/oat"
	"github.com/oatgate/oatgate/caddymodule/scope"
)

// benchVerifier is a Verifier whose store is never reached: benchmarks fill
// its cache directly.
func benchVerifier(b *testing.B, size int64) *Verifier {
	b.Helper()
	v, err := New(Config{StoreURL: "http://127.0.0.1:1", StoreKey: "k", CacheSize: size})
	if err != nil {
		b.Fatalf("New: %v", err)
	}
	return v
}

// cacheToken puts an active identity for token into v's cache, as an
// introspection would.
func cacheToken(v *Verifier, token string, i int, raw string, scopes []scope.Scope) {
	id := &Identity{
		TokenID: fmt.Sprintf("tok-%07d", i),
		Label:   "ci",
		Org:     "acme",
		expires: time.Now().Add(24 * time.Hour).Unix(),
		Grants:  v.client.grants.compile("acme", raw, scopes),
	}
	h := oat.HashOf(token)
	v.cache.put(h, newEntry(h, id, v.cache.stamp(time.Now())), v.cache.currentEpoch())
}

func BenchmarkVerifyCacheHit(b *testing.B) {
	v := benchVerifier(b, 1000)
	defer v.Close()
	scopes, err := scope.ParseList(testScope)
	if err != nil {
		b.Fatal(err)
	}
	tok, err := oat.Generate()
	if err != nil {
		b.Fatal(err)
	}
	cacheToken(v, tok.Reveal(), 0, testScope, scopes)
	ctx := context.Background()
	if id, err := v.Verify(ctx, tok.Reveal()); id == nil || err != nil {
		b.Fatalf("Verify of the cached token: got (%+v, %v), want an identity", id, err)
	}

	b.Run("one goroutine", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if id, _ := v.Verify(ctx, tok.Reveal()); id == nil {
				b.Fatal("cache miss")
			}
		}
	})
	b.Run("all cores", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if id, _ := v.Verify(ctx, tok.Reveal()); id == nil {
					b.Error("cache miss")
					return
				}
			}
		})
	})
}

// millionFixture is a cache of a million tokens, built once per variant:
// building it takes seconds, and the benchmark framework calls a benchmark
// function several times.
type millionFixture struct {
	once    sync.Once
	v       *Verifier
	tokens  []string
	heapMiB float64
}

const million = 1_000_000

func (f *millionFixture) build(b *testing.B, scopeOf func(i int) string) {
	f.tokens = make([]string, million)
	for i := range f.tokens {
		tok, err := oat.Generate()
		if err != nil {
			b.Fatal(err)
		}
		f.tokens[i] = tok.Reveal()
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	start := time.Now()
	f.v = benchVerifier(b, million)
	for i, tok := range f.tokens {
		raw := scopeOf(i)
		scopes, err := scope.ParseList(raw)
		if err != nil {
			b.Fatal(err)
		}
		cacheToken(f.v, tok, i, raw, scopes)
	}
	took := time.Since(start)
	runtime.GC()
	runtime.ReadMemStats(&after)
	f.heapMiB = float64(after.HeapAlloc-before.HeapAlloc) / (1 << 20)
	held := 0
	for _, tok := range f.tokens {
		if f.v.cache.get(oat.HashOf(tok)) != nil {
			held++
		}
	}
	b.Logf("cache of %d tokens: %.1f MiB heap, %d held, filled in %s", million, f.heapMiB, held, took.Round(time.Millisecond))
}

func (f *millionFixture) release() {
	if f.v != nil {
		f.v.Close()
		f.v, f.tokens = nil, nil
	}
}

// BenchmarkCacheWithAMillionTokens reports the heap a cache of 1,000,000
// active tokens takes (goal: at most 300 MiB) and the hit latency at that
// size, for tokens that all share one scope string and for tokens that each
// have their own.
func BenchmarkCacheWithAMillionTokens(b *testing.B) {
	variants := []struct {
		name    string
		scopeOf func(i int) string
	}{
		{"one shared scope", func(int) string { return testScope }},
		{"a scope per token", func(i int) string { return fmt.Sprintf("repository:acme/app-%d:pull,push", i) }},
	}
	var prev *millionFixture
	for _, vt := range variants {
		f := &millionFixture{}
		b.Run(vt.name, func(b *testing.B) {
			f.once.Do(func() {
				if prev != nil {
					prev.release()
				}
				f.build(b, vt.scopeOf)
			})
			ctx := context.Background()
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				_, _ = f.v.Verify(ctx, f.tokens[i%million])
				i += 7919 // a prime stride, so consecutive lookups hit cold lines
			}
			// After the loop: b.Loop's first call resets the timer, which
			// clears metrics reported before it.
			b.ReportMetric(f.heapMiB, "heap-MiB")
		})
		prev = f
	}
	if prev != nil {
		prev.release()
	}
}
