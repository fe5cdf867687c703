package storetest

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/oatgate/oatgate/caddymodule/storeapi"
	"github.com/oatgate/oatgate/cmd/oatstore/store"
)

// The notices of webhooks every backend must have: expiry thresholds
// claimed once per (token, threshold) across replicas, token.inactive_used
// once an hour from the usage ingest, and the pruning that must never make
// a notice come back.

// createExpiring makes a token created at created that expires at exp.
func createExpiring(t *testing.T, st store.Store, org, id string, created, exp time.Time) {
	t.Helper()
	_, err := st.CreateToken(context.Background(), org, []byte("hash-"+id), func(store.Org) (store.Token, error) {
		return store.Token{ID: id, Label: id, Scopes: []string{"repository:" + org + "/app:pull"}, CreatedAt: created, CreatedBy: "test", Active: true, ExpiresAt: &exp}, nil
	}, evAt(store.ActionTokenCreated, created))
	if err != nil {
		t.Fatalf("CreateToken(%s): %v", id, err)
	}
}

// notices returns "token type days" for every expiry event queued until
// now, and marks them delivered.
func notices(t *testing.T, st store.Store, now time.Time) []string {
	t.Helper()
	var out []string
	for _, d := range claimAll(t, st, now) {
		b := bodyOf(t, d)
		out = append(out, fmt.Sprintf("%s %s %d", b.Token.ID, b.Type, b.Data.DaysBefore))
		if _, _, err := st.FinishDelivery(context.Background(), d, store.Outcome{At: now, Status: 200}, policy); err != nil {
			t.Fatal(err)
		}
	}
	sort.Strings(out)
	return out
}

func expiryThresholds(t *testing.T, open func(t *testing.T) store.Store) {
	st := open(t)
	ctx := context.Background()
	PutOrg(t, st, "acme", 100)
	putHook(t, st, "acme", "ops", store.EventTokenExpiring, store.EventTokenExpired)
	day := 24 * time.Hour
	exp := T0.Add(40 * day)
	createExpiring(t, st, "acme", "tok_long", T0, exp)                          // gets all four
	createExpiring(t, st, "acme", "tok_short", T0, T0.Add(5*day))               // created inside 7 days: 1d and expired only
	createExpiring(t, st, "acme", "tok_revoked", T0, T0.Add(2*day))             // revoked: nothing
	createExpiring(t, st, "acme", "tok_missed", T0, T0.Add(3*day))              // no scan from day 0 to 4: expired only
	createExpiring(t, st, "acme", "tok_quiet", T0.Add(-60*day), T0.Add(-8*day)) // expired before the lookback
	if _, err := revoke(st, "acme", "tok_revoked", T0); err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		at   time.Time
		want []string
	}{
		{T0, nil},
		{exp.Add(-30 * day).Add(-time.Millisecond), nil},
		{exp.Add(-30 * day), []string{"tok_long token.expiring 30"}},
		{exp.Add(-30 * day).Add(time.Hour), nil},
		{exp.Add(-7 * day).Add(-time.Millisecond), nil},
		{exp.Add(-7 * day), []string{"tok_long token.expiring 7"}},
		{exp.Add(-day), []string{"tok_long token.expiring 1"}},
		{exp, []string{"tok_long token.expired 0"}},
		{exp.Add(day), nil},
	}
	// tok_short's notices fall between: checked at their own times.
	short := []struct {
		at   time.Time
		want []string
	}{
		{T0.Add(4 * day), []string{"tok_missed token.expired 0", "tok_short token.expiring 1"}},
		{T0.Add(5 * day), []string{"tok_short token.expired 0"}},
	}
	for _, s := range short {
		if _, err := st.NotifyExpiry(ctx, s.at); err != nil {
			t.Fatal(err)
		}
		if got := notices(t, st, s.at); fmt.Sprint(got) != fmt.Sprint(s.want) {
			t.Errorf("at %v: notices %v, want %v", s.at, got, s.want)
		}
	}
	for _, s := range steps {
		if _, err := st.NotifyExpiry(ctx, s.at); err != nil {
			t.Fatal(err)
		}
		if got := notices(t, st, s.at); fmt.Sprint(got) != fmt.Sprint(s.want) {
			t.Errorf("at %v: notices %v, want %v", s.at, got, s.want)
		}
	}
}

func expiryUnderConcurrency(t *testing.T, open func(t *testing.T) store.Store) {
	replicas := []store.Store{open(t), open(t), open(t)}
	ctx := context.Background()
	PutOrg(t, replicas[0], "acme", 100)
	putHook(t, replicas[0], "acme", "ops", store.EventTokenExpiring, store.EventTokenExpired)
	day := 24 * time.Hour
	const n = 10
	for i := range n {
		createExpiring(t, replicas[0], "acme", fmt.Sprintf("tok_%02d", i), T0, T0.Add(35*day))
	}
	for _, at := range []time.Time{T0.Add(5 * day), T0.Add(28 * day), T0.Add(34 * day), T0.Add(35 * day)} {
		var (
			wg   sync.WaitGroup
			sent = make([]int, len(replicas)*2)
			errs = make([]error, len(replicas)*2)
		)
		for i := range sent {
			wg.Add(1)
			go func() {
				defer wg.Done()
				sent[i], errs[i] = replicas[i%len(replicas)].NotifyExpiry(ctx, at)
			}()
		}
		wg.Wait()
		total := 0
		for i := range sent {
			if errs[i] != nil {
				t.Fatalf("NotifyExpiry on replica %d: %v", i%len(replicas), errs[i])
			}
			total += sent[i]
		}
		if total != n {
			t.Errorf("at %v the scans sent %d notices, want %d", at, total, n)
		}
		if got := notices(t, replicas[1], at); len(got) != n {
			t.Errorf("at %v: %d deliveries queued, want %d: %v", at, len(got), n, got)
		}
	}
}

func pruneHistory(t *testing.T, open func(t *testing.T) store.Store) {
	st := open(t)
	ctx := context.Background()
	PutOrg(t, st, "acme", 100)
	putHook(t, st, "acme", "ops", store.EventTokenCreated, store.EventTokenExpired, store.EventTokenExpiring)
	day := 24 * time.Hour
	createExpiring(t, st, "acme", "tok_a", T0, T0.Add(2*day)) // delivered, then old
	createExpiring(t, st, "acme", "tok_b", T0, T0.Add(300*day))
	for _, d := range claimAll(t, st, T0) {
		status := 200
		if bodyOf(t, d).Token.ID == "tok_b" {
			status = 500 // pending, retried in 400 days
		}
		if _, _, err := st.FinishDelivery(ctx, d, store.Outcome{At: T0, Status: status}, store.RetryPolicy{Base: 400 * day, Max: 400 * day, GiveUpAfter: 1000 * day, MaxAttempts: 10}); err != nil {
			t.Fatal(err)
		}
	}
	// tok_a's 1-day notice and expiry, delivered.
	for _, at := range []time.Time{T0.Add(day), T0.Add(2 * day)} {
		if _, err := st.NotifyExpiry(ctx, at); err != nil {
			t.Fatal(err)
		}
		if got := notices(t, st, at); len(got) != 1 {
			t.Fatalf("at %v: notices %v, want one", at, got)
		}
	}
	later := T0.Add(2*day + store.DeliveryHistory + 30*day)
	n, err := st.PruneWebhookHistory(ctx, later)
	if err != nil || n == 0 {
		t.Fatalf("PruneWebhookHistory = %d, %v; want rows deleted", n, err)
	}
	ds, err := st.Deliveries(ctx, "acme", "ops", 100)
	if err != nil || len(ds) != 1 || ds[0].State() != "pending" || ds[0].EventType != store.EventTokenCreated {
		t.Errorf("after pruning: %+v, %v; want only tok_b's pending token.created", ds, err)
	}
	if _, err := st.NotifyExpiry(ctx, later); err != nil {
		t.Fatal(err)
	}
	if got := notices(t, st, later); len(got) != 0 {
		t.Errorf("after pruning the claims, the scan queued %v again", got)
	}
}

func inactiveUsedQueued(t *testing.T, open func(t *testing.T) store.Store) {
	a, b := open(t), open(t)
	ctx := context.Background()
	PutOrg(t, a, "acme", 100)
	putHook(t, a, "acme", "ops", store.EventTokenInactiveUsed)
	putHook(t, a, "acme", "other", store.EventTokenRevoked)
	mustCreate(t, a, "acme", "tok_a")
	if _, err := revoke(a, "acme", "tok_a", T0); err != nil {
		t.Fatal(err)
	}
	for _, d := range claimAll(t, a, T0) { // other's token.revoked
		if _, _, err := a.FinishDelivery(ctx, d, store.Outcome{At: T0, Status: 200}, policy); err != nil {
			t.Fatal(err)
		}
	}
	presented := func(id string, after time.Duration, ip string) storeapi.RegistryAction {
		return storeapi.RegistryAction{Action: storeapi.ActionInactiveUsed, At: T0.Add(after), Org: "acme", TokenID: id, Reason: storeapi.ReasonRevoked, ClientIP: ip, UserAgent: "docker/27.0"}
	}
	first := storeapi.UsageReport{ID: "gw1-1", Actions: []storeapi.RegistryAction{
		presented("tok_a", time.Minute, "192.0.2.1"),
		presented("tok_a", 2*time.Minute, "192.0.2.2"),
		presented("tok_zz", 3*time.Minute, "192.0.2.3"), // unknown: in the trail, no event
		presented("tok_a", 70*time.Minute, "192.0.2.4"),
	}}
	for _, st := range []store.Store{a, b} { // the second is a retry
		if _, err := st.IngestUsage(ctx, first, T0.Add(2*time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	// Another gateway's batch, same hour: no second event.
	if _, err := b.IngestUsage(ctx, storeapi.UsageReport{ID: "gw2-1", Actions: []storeapi.RegistryAction{presented("tok_a", 30*time.Minute, "192.0.2.9")}}, T0.Add(2*time.Hour)); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, d := range claimAll(t, b, T0.Add(3*time.Hour)) {
		bd := bodyOf(t, d)
		got = append(got, fmt.Sprintf("%s %s %s %s %s %s", d.Webhook, bd.Type, bd.Token.ID, bd.Data.Reason, bd.Data.ClientIP, bd.At.Sub(T0)))
	}
	sort.Strings(got)
	want := []string{
		"ops token.inactive_used tok_a revoked 192.0.2.1 1m0s",
		"ops token.inactive_used tok_a revoked 192.0.2.4 1h10m0s",
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("deliveries = %v, want %v", got, want)
	}
}
