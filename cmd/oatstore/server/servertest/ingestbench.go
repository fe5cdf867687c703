package servertest

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/oatgate/oatgate/caddymodule/storeapi"
	"github.com/oatgate/oatgate/cmd/oatstore/adminkeys"
	"github.com/oatgate/oatgate/cmd/oatstore/server"
	"github.com/oatgate/oatgate/cmd/oatstore/store"
)

// IngestBenchmark is the store's ingest rate over st through the real
// handler: gzip-compressed batches as a gateway sends them, each of 100
// tokens × 10 repositories of counters, 100 last uses and 20 pushes (1,120
// items), each applied in one transaction. It reports batches/s and
// events/s (items applied per second).
func IngestBenchmark(b *testing.B, st store.Store) {
	keys, err := adminkeys.Load(adminkeys.Sources{List: "alice=" + AliceKey})
	if err != nil {
		b.Fatal(err)
	}
	srv, err := server.New(server.Config{Store: st, AdminKeys: keys, GatewayKeys: []string{GatewayKey}, PruneEvery: -1})
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Close()
	hour := time.Now().Truncate(time.Hour)
	bodies := make([][]byte, b.N)
	for i := range bodies {
		rep := storeapi.UsageReport{ID: fmt.Sprintf("gwbench-%d", i)}
		for tok := range 100 {
			id := fmt.Sprintf("tok_%026d", tok)
			for repo := range 10 {
				rep.Counts = append(rep.Counts, storeapi.UsageCount{Org: "acme", TokenID: id, TokenLabel: "ci", Repository: fmt.Sprintf("acme/app%d", repo),
					Hour: hour.Unix(), Requests: 40, Pulls: 10, VersionChecks: 20, BytesOut: 1 << 20})
			}
			rep.LastUsed = append(rep.LastUsed, storeapi.LastUse{Org: "acme", TokenID: id, At: hour, ClientIP: "192.0.2.1", UserAgent: "docker/27.3.1"})
		}
		for p := range 20 {
			rep.Actions = append(rep.Actions, storeapi.RegistryAction{Action: storeapi.ActionPush, At: hour, Org: "acme", TokenID: "tok_1", Repository: "acme/app", Tag: fmt.Sprint(p)})
		}
		if bodies[i], err = storeapi.EncodeUsageReport(&rep); err != nil {
			b.Fatal(err)
		}
	}
	const items = 100*10 + 100 + 20
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		req := httptest.NewRequest("POST", storeapi.UsageReportsPath, bytes.NewReader(bodies[i]))
		req.Header.Set("Authorization", "Bearer "+GatewayKey)
		req.Header.Set("Content-Encoding", "gzip")
		w := httptest.NewRecorder()
		srv.ServeHTTP(w, req)
		if w.Code != http.StatusOK {
			b.Fatalf("batch %d: %d %s", i, w.Code, w.Body)
		}
	}
	secs := b.Elapsed().Seconds()
	b.ReportMetric(float64(b.N)/secs, "batches/s")
	b.ReportMetric(float64(b.N*items)/secs, "events/s")
}
