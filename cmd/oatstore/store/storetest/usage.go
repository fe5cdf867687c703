package storetest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/oatgate/oatgate/caddymodule/storeapi"
	"github.com/oatgate/oatgate/cmd/oatstore/store"
)

// The usage report behaviours (issue 16): ingest, usage, activity,
// retention.
func init() {
	cases = append(cases,
		behaviour{"a usage batch is applied once, however often and wherever it is sent", batchAppliedOnce},
		behaviour{"batches applied at once on two replicas add up exactly", batchesAddUpUnderConcurrency},
		behaviour{"usage sums hours by hour, day and month, filtered by token and repository", usageByPeriod},
		behaviour{"a reported use sets last IP and user agent, and an older report moves neither them nor last use back", lastUseRecorded},
		behaviour{"activity merges management and registry actions newest first, paged without gaps or repeats", activityMergedAndPaged},
		behaviour{"pruning removes usage and registry activity past retention and keeps the audit", pruneKeepsAudit},
	)
}

// hourOf is the Unix second of the hour h hours after T0.
func hourOf(h int) int64 { return T0.Add(time.Duration(h) * time.Hour).Unix() }

func count(tokenID, repo string, hour int64, requests int64) storeapi.UsageCount {
	return storeapi.UsageCount{Org: "acme", TokenID: tokenID, TokenLabel: "label-" + tokenID, Repository: repo, Hour: hour,
		Requests: requests, Pulls: 1, VersionChecks: 2, Pushes: 3, Deletes: 4, Denied: 5, BytesIn: 6, BytesOut: 7}
}

func ingest(t *testing.T, st store.Store, rep storeapi.UsageReport) store.IngestResult {
	t.Helper()
	res, err := st.IngestUsage(context.Background(), rep, T0)
	if err != nil {
		t.Fatalf("IngestUsage(%s): %v", rep.ID, err)
	}
	return res
}

func usage(t *testing.T, st store.Store, q store.UsageQuery) []store.UsageRow {
	t.Helper()
	q.Org = "acme"
	rows, err := st.Usage(context.Background(), q)
	if err != nil {
		t.Fatalf("Usage(%+v): %v", q, err)
	}
	return rows
}

func batchAppliedOnce(t *testing.T, open func(t *testing.T) store.Store) {
	a, b := open(t), open(t)
	PutOrg(t, a, "acme", 10)
	rep := storeapi.UsageReport{ID: "gw1-1", Counts: []storeapi.UsageCount{count("tok_a", "acme/app", hourOf(0), 10)}}
	if res := ingest(t, a, rep); res.Duplicate {
		t.Fatalf("the first delivery was reported a duplicate")
	}
	for i, st := range []store.Store{a, b, a} {
		if res := ingest(t, st, rep); !res.Duplicate {
			t.Fatalf("delivery %d of the same batch was applied again", i+2)
		}
	}
	rows := usage(t, b, store.UsageQuery{Period: store.PeriodHour})
	if len(rows) != 1 || rows[0].Requests != 10 || rows[0].BytesOut != 7 {
		t.Fatalf("got %+v, want one row of 10 requests", rows)
	}
}

func batchesAddUpUnderConcurrency(t *testing.T, open func(t *testing.T) store.Store) {
	a, b := open(t), open(t)
	PutOrg(t, a, "acme", 10)
	const batches = 20
	var wg sync.WaitGroup
	errs := make(chan error, 2*batches)
	for i := range batches {
		for r, st := range []store.Store{a, b} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				// Every batch touches the same keys, in a different order,
				// and each is sent to both replicas.
				counts := []storeapi.UsageCount{count("tok_a", "acme/app", hourOf(0), 1), count("tok_b", "acme/app", hourOf(0), 1)}
				if (i+r)%2 == 1 {
					counts[0], counts[1] = counts[1], counts[0]
				}
				_, err := st.IngestUsage(context.Background(), storeapi.UsageReport{ID: fmt.Sprintf("gw-%d", i), Counts: counts,
					LastUsed: []storeapi.LastUse{{Org: "acme", TokenID: "tok_a", At: T0}}}, T0)
				errs <- err
			}()
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("IngestUsage: %v", err)
		}
	}
	for _, row := range usage(t, a, store.UsageQuery{Period: store.PeriodDay}) {
		if row.Requests != batches || row.Pulls != batches {
			t.Errorf("%s: %d requests and %d pulls, want %d of each (each batch once)", row.TokenID, row.Requests, row.Pulls, batches)
		}
	}
}

func usageByPeriod(t *testing.T, open func(t *testing.T) store.Store) {
	st := open(t)
	PutOrg(t, st, "acme", 10)
	// T0 is 2026-06-01 12:00 UTC; hour 36 is 2026-06-03 00:00.
	ingest(t, st, storeapi.UsageReport{ID: "gw1-1", Counts: []storeapi.UsageCount{
		count("tok_a", "acme/app", hourOf(0), 1),
		count("tok_a", "acme/app", hourOf(1), 2),
		count("tok_a", "acme/web", hourOf(1), 4),
		count("tok_b", "acme/app", hourOf(36), 8),
		count("tok_b", "acme/app", hourOf(24*31), 16),
	}})
	sum := func(rows []store.UsageRow) (out []string) {
		for _, r := range rows {
			out = append(out, fmt.Sprintf("%s %s %s %d", r.Period, r.TokenID, r.Repository, r.Requests))
		}
		return out
	}
	tests := []struct {
		name string
		q    store.UsageQuery
		want []string
	}{
		{"hours are their own rows", store.UsageQuery{Period: store.PeriodHour, TokenID: "tok_a"},
			[]string{"2026-06-01T12:00:00Z tok_a acme/app 1", "2026-06-01T13:00:00Z tok_a acme/app 2", "2026-06-01T13:00:00Z tok_a acme/web 4"}},
		{"days sum their hours per token and repository", store.UsageQuery{Period: store.PeriodDay},
			[]string{"2026-06-01 tok_a acme/app 3", "2026-06-01 tok_a acme/web 4", "2026-06-03 tok_b acme/app 8", "2026-07-02 tok_b acme/app 16"}},
		{"months sum their days", store.UsageQuery{Period: store.PeriodMonth, Repository: "acme/app"},
			[]string{"2026-06 tok_a acme/app 3", "2026-06 tok_b acme/app 8", "2026-07 tok_b acme/app 16"}},
		{"since is inclusive and until exclusive", store.UsageQuery{Period: store.PeriodHour, Since: T0.Add(time.Hour), Until: T0.Add(36 * time.Hour)},
			[]string{"2026-06-01T13:00:00Z tok_a acme/app 2", "2026-06-01T13:00:00Z tok_a acme/web 4"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := sum(usage(t, st, tt.q)); !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
		})
	}
	t.Run("every column is summed and the label kept", func(t *testing.T) {
		rows := usage(t, st, store.UsageQuery{Period: store.PeriodDay, TokenID: "tok_a", Repository: "acme/app"})
		want := store.UsageRow{Period: "2026-06-01", TokenID: "tok_a", TokenLabel: "label-tok_a", Repository: "acme/app",
			Requests: 3, Pulls: 2, VersionChecks: 4, Pushes: 6, Deletes: 8, Denied: 10, BytesIn: 12, BytesOut: 14}
		if len(rows) != 1 || rows[0] != want {
			t.Fatalf("got %+v, want %+v", rows, want)
		}
	})
	t.Run("an unknown period is ErrInvalid", func(t *testing.T) {
		if _, err := st.Usage(context.Background(), store.UsageQuery{Org: "acme", Period: "week"}); !isInvalid(err) {
			t.Fatalf("got %v, want ErrInvalid", err)
		}
	})
	t.Run("a missing org is ErrNotFound", func(t *testing.T) {
		if _, err := st.Usage(context.Background(), store.UsageQuery{Org: "nobody", Period: store.PeriodDay}); !isNotFound(err) {
			t.Fatalf("got %v, want ErrNotFound", err)
		}
	})
}

func lastUseRecorded(t *testing.T, open func(t *testing.T) store.Store) {
	st := open(t)
	PutOrg(t, st, "acme", 10)
	mustCreate(t, st, "acme", "tok_a")
	use := func(id string, at time.Time, ip string) {
		ingest(t, st, storeapi.UsageReport{ID: id, LastUsed: []storeapi.LastUse{
			{Org: "acme", TokenID: "tok_a", At: at, ClientIP: ip, UserAgent: "docker/" + ip},
			// Another org's claim on the token changes nothing.
			{Org: "evil", TokenID: "tok_a", At: at.Add(time.Hour), ClientIP: "203.0.113.66", UserAgent: "evil"},
		}})
	}
	use("gw-1", T0.Add(time.Minute), "192.0.2.1")
	use("gw-2", T0.Add(30*time.Second), "192.0.2.2")
	got, err := st.GetToken(context.Background(), "acme", "tok_a")
	if err != nil {
		t.Fatal(err)
	}
	if got.LastUsedAt == nil || !got.LastUsedAt.Equal(T0.Add(time.Minute)) {
		t.Errorf("last_used_at %v, want %v: an older report must not move it back", got.LastUsedAt, T0.Add(time.Minute))
	}
	if got.LastUsedIP != "192.0.2.1" || got.LastUserAgent != "docker/192.0.2.1" {
		t.Errorf("last use from %q with %q, want the latest use's 192.0.2.1 and docker/192.0.2.1, not the report that came last", got.LastUsedIP, got.LastUserAgent)
	}
	use("gw-3", T0.Add(2*time.Minute), "192.0.2.3")
	if got, _ := st.GetToken(context.Background(), "acme", "tok_a"); got.LastUsedIP != "192.0.2.3" || !got.LastUsedAt.Equal(T0.Add(2*time.Minute)) {
		t.Errorf("after a later use: %q at %v, want 192.0.2.3 at %v", got.LastUsedIP, got.LastUsedAt, T0.Add(2*time.Minute))
	}
	list, err := st.ListTokens(context.Background(), "acme")
	if err != nil || len(list) != 1 || list[0].LastUsedIP != "192.0.2.3" {
		t.Errorf("listed %+v, %v; want the same last use as read", list, err)
	}
}

func activityMergedAndPaged(t *testing.T, open func(t *testing.T) store.Store) {
	st := open(t)
	ctx := context.Background()
	PutOrg(t, st, "acme", 10)
	mustCreate(t, st, "acme", "tok_a")                                            // audit at T0
	if _, err := revoke(st, "acme", "tok_a", T0.Add(3*time.Second)); err != nil { // audit at T0+3s
		t.Fatal(err)
	}
	act := func(action string, at time.Duration, tag string) storeapi.RegistryAction {
		return storeapi.RegistryAction{Action: action, At: T0.Add(at), Org: "acme", TokenID: "tok_a", TokenLabel: "tok_a", Repository: "acme/app", Tag: tag, Digest: "sha256:" + tag, ClientIP: "192.0.2.1", UserAgent: "docker"}
	}
	inactive := act(storeapi.ActionInactiveUsed, 4*time.Second, "")
	inactive.Reason, inactive.Repository, inactive.Tag, inactive.Digest = storeapi.ReasonRevoked, "", "", ""
	ingest(t, st, storeapi.UsageReport{ID: "gw-1", Actions: []storeapi.RegistryAction{
		act(storeapi.ActionPush, 0, "v1"), // the same millisecond as the create
		act(storeapi.ActionPush, time.Second, "v2"),
		act(storeapi.ActionPush, time.Second, "v3"),
		act(storeapi.ActionDelete, 2*time.Second, "v1"),
		inactive,
		{Action: storeapi.ActionPush, At: T0, Org: "other", TokenID: "tok_x", Repository: "other/app"},
	}})
	all := []string{"token.inactive_used", "token.revoked", "registry.delete v1", "registry.push v3", "registry.push v2", "token.created", "org.created", "registry.push v1"}
	walk := func(q store.ActivityQuery) []string {
		var got []string
		for page := 0; ; page++ {
			entries, next, err := st.Activity(ctx, q)
			if err != nil {
				t.Fatalf("Activity(%+v): %v", q, err)
			}
			for _, e := range entries {
				s := e.Action
				if e.Tag != "" {
					s += " " + e.Tag
				}
				got = append(got, s)
			}
			if next == "" || page > 20 {
				return got
			}
			q.Cursor = next
		}
	}
	tests := []struct {
		name string
		q    store.ActivityQuery
		want []string
	}{
		{"one page holds everything, management first at a tie", store.ActivityQuery{Limit: 50}, all},
		{"pages of one", store.ActivityQuery{Limit: 1}, all},
		{"pages of two", store.ActivityQuery{Limit: 2}, all},
		{"registry only", store.ActivityQuery{Kind: store.KindRegistry, Limit: 2},
			[]string{"token.inactive_used", "registry.delete v1", "registry.push v3", "registry.push v2", "registry.push v1"}},
		{"management only", store.ActivityQuery{Kind: store.KindManagement, Limit: 1}, []string{"token.revoked", "token.created", "org.created"}},
		{"a time window", store.ActivityQuery{Since: T0.Add(time.Second), Until: T0.Add(3 * time.Second), Limit: 1},
			[]string{"registry.delete v1", "registry.push v3", "registry.push v2"}},
		{"another token has none", store.ActivityQuery{TokenID: "tok_x", Limit: 5}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.q.Org = "acme"
			if got := walk(tt.q); !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
		})
	}
	t.Run("an inactive presentation keeps who presented it and why", func(t *testing.T) {
		entries, _, err := st.Activity(ctx, store.ActivityQuery{Org: "acme", Limit: 1})
		if err != nil || len(entries) != 1 {
			t.Fatalf("got %+v, %v", entries, err)
		}
		e := entries[0]
		if e.Kind != store.KindRegistry || e.Reason != "revoked" || e.ClientIP != "192.0.2.1" || e.UserAgent != "docker" || !e.At.Equal(T0.Add(4*time.Second)) {
			t.Fatalf("got %+v", e)
		}
	})
	t.Run("a management entry names its token's label and its actor", func(t *testing.T) {
		entries, _, err := st.Activity(ctx, store.ActivityQuery{Org: "acme", Kind: store.KindManagement, Limit: 1})
		if err != nil || len(entries) != 1 {
			t.Fatalf("got %+v, %v", entries, err)
		}
		if e := entries[0]; e.Action != store.ActionTokenRevoked || e.TokenLabel != "tok_a" || e.Actor != "test" || e.SourceIP != "127.0.0.1" {
			t.Fatalf("got %+v", e)
		}
	})
	t.Run("a cursor that is not one is ErrInvalid", func(t *testing.T) {
		if _, _, err := st.Activity(ctx, store.ActivityQuery{Org: "acme", Cursor: "bm9wZQ"}); !isInvalid(err) {
			t.Fatalf("got %v, want ErrInvalid", err)
		}
	})
}

func pruneKeepsAudit(t *testing.T, open func(t *testing.T) store.Store) {
	st := open(t)
	ctx := context.Background()
	PutOrg(t, st, "acme", 10)
	mustCreate(t, st, "acme", "tok_a")
	push := storeapi.RegistryAction{Action: storeapi.ActionPush, Org: "acme", TokenID: "tok_a", Repository: "acme/app"}
	old, recent := push, push
	old.At, recent.At = T0, T0.Add(80*24*time.Hour)
	ingest(t, st, storeapi.UsageReport{ID: "gw-1",
		Counts:  []storeapi.UsageCount{count("tok_a", "acme/app", hourOf(0), 1), count("tok_a", "acme/app", hourOf(24*60), 1)},
		Actions: []storeapi.RegistryAction{old, recent},
	})
	// 100 days later, with usage kept 90 days and activity 30.
	now := T0.Add(100 * 24 * time.Hour)
	n, err := st.Prune(ctx, store.Retention{Usage: 90 * 24 * time.Hour, Activity: 30 * 24 * time.Hour}, now)
	if err != nil {
		t.Fatal(err)
	}
	if n.Usage != 1 || n.Activity != 1 {
		t.Errorf("pruned %+v, want one usage hour and one action", n)
	}
	if rows := usage(t, st, store.UsageQuery{Period: store.PeriodHour}); len(rows) != 1 || rows[0].Period != "2026-07-31T12:00:00Z" {
		t.Errorf("usage left %+v, want the hour 60 days after T0", rows)
	}
	entries, _, err := st.Activity(ctx, store.ActivityQuery{Org: "acme"})
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, e := range entries {
		kinds = append(kinds, e.Action)
	}
	if want := []string{"registry.push", "token.created", "org.created"}; !reflect.DeepEqual(kinds, want) {
		t.Errorf("activity left %q, want %q: the recent push and the whole audit", kinds, want)
	}
	t.Run("a batch id is forgotten only after BatchIDRetention", func(t *testing.T) {
		ingest(t, st, storeapi.UsageReport{ID: "gw-2"})
		if _, err := st.Prune(ctx, store.Retention{}, T0.Add(store.BatchIDRetention-time.Minute)); err != nil {
			t.Fatal(err)
		}
		if res := ingest(t, st, storeapi.UsageReport{ID: "gw-2"}); !res.Duplicate {
			t.Fatal("the batch id was forgotten before BatchIDRetention")
		}
		if _, err := st.Prune(ctx, store.Retention{}, T0.Add(store.BatchIDRetention+time.Minute)); err != nil {
			t.Fatal(err)
		}
		if res := ingest(t, st, storeapi.UsageReport{ID: "gw-2"}); res.Duplicate {
			t.Fatal("the batch id was kept past BatchIDRetention")
		}
	})
}

func isInvalid(err error) bool  { return errors.Is(err, store.ErrInvalid) }
func isNotFound(err error) bool { return errors.Is(err, store.ErrNotFound) }
