package usagereport

import (
	"testing"

	"github.com/oatgate/oatgate/caddymodule/usage"
)

// BenchmarkRecord is what reporting adds to a request: counting a cache-hit
// pull of a token and repository seen this interval.
func BenchmarkRecord(b *testing.B) {
	r, err := New(Config{StoreURLs: []string{"http://127.0.0.1:9"}, StoreKey: gatewayKey})
	if err != nil {
		b.Fatal(err)
	}
	q := req("tok_a", "GET", Manifest, 200, usage.Allow, "acme/app", "latest")
	r.Record(q)
	b.Run("one goroutine", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			r.Record(q)
		}
	})
	b.Run("one goroutine, a token alternating two repositories", func(b *testing.B) {
		// Every request misses the shard's last counter: the map path.
		other := req("tok_a", "GET", Manifest, 200, usage.Allow, "acme/web", "latest")
		r.Record(other)
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			if i++; i%2 == 0 {
				r.Record(q)
			} else {
				r.Record(other)
			}
		}
	})
	b.Run("all cores, one token", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				r.Record(q)
			}
		})
	})
}
