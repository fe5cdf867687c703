package server_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/oatgate/oatgate/caddymodule/storeapi"
	"github.com/oatgate/oatgate/cmd/oatstore/server"
	"github.com/oatgate/oatgate/cmd/oatstore/store"
	"github.com/oatgate/oatgate/cmd/oatstore/store/sqlite"
)

// The background prune keeps usage and registry activity for their
// retention at the server's clock, and the audit for good.
func TestTheServerPrunesUsageAndActivityPastRetention(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "oatstore.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	t0 := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	clk := &clock{t: t0}
	srv, err := server.New(server.Config{
		Store: st, AdminKeys: testKeys(t), Now: clk.Now, PruneEvery: 10 * time.Millisecond,
		Retention: store.Retention{Usage: 30 * 24 * time.Hour, Activity: 7 * 24 * time.Hour},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	if _, _, err := st.PutOrg(ctx, "acme", func(o store.Org, _ bool) (store.Org, error) { return o, nil }, store.Event{Actor: "test", At: t0}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.IngestUsage(ctx, storeapi.UsageReport{ID: "gw-1",
		Counts:  []storeapi.UsageCount{{Org: "acme", TokenID: "tok_a", Hour: t0.Truncate(time.Hour).Unix(), Requests: 1}},
		Actions: []storeapi.RegistryAction{{Action: storeapi.ActionPush, At: t0, Org: "acme", TokenID: "tok_a"}},
	}, t0); err != nil {
		t.Fatal(err)
	}
	remaining := func() (usage, registry, management int) {
		rows, err := st.Usage(ctx, store.UsageQuery{Org: "acme", Period: store.PeriodHour})
		if err != nil {
			t.Fatal(err)
		}
		entries, _, err := st.Activity(ctx, store.ActivityQuery{Org: "acme"})
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			if e.Kind == store.KindRegistry {
				registry++
			} else {
				management++
			}
		}
		return len(rows), registry, management
	}
	steps := []struct {
		name                        string
		advance                     time.Duration
		usage, registry, management int
	}{
		{"within every retention everything stays", 6 * 24 * time.Hour, 1, 1, 1},
		{"past the activity retention the push goes", 2 * 24 * time.Hour, 1, 0, 1},
		{"past the usage retention the hour goes, the audit stays", 30 * 24 * time.Hour, 0, 0, 1},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			clk.Advance(s.advance)
			deadline := time.Now().Add(5 * time.Second)
			for {
				u, r, m := remaining()
				if u == s.usage && r == s.registry && m == s.management {
					return
				}
				if time.Now().After(deadline) {
					t.Fatalf("usage %d, registry %d, management %d; want %d, %d, %d", u, r, m, s.usage, s.registry, s.management)
				}
				time.Sleep(20 * time.Millisecond)
			}
		})
	}
}
