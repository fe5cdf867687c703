package storetest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/oatgate/oatgate/caddymodule/storeapi"
	"github.com/oatgate/oatgate/cmd/oatstore/store"
)

// The behaviours of webhooks (issue 16 item 5) every backend must have:
// configuration with its audit, events queued in the transaction of their
// change, deliveries leased to one replica at a time, the retry rule, and
// expiry notices claimed once per (token, threshold) across replicas.

var webhookCases = []behaviour{
	{"a webhook is created, updated, listed and deleted, each change audited without its secret", webhookLifecycle},
	{"an org has at most MaxWebhooks webhooks", webhookLimit},
	{"token changes queue one delivery per subscribed webhook in their transaction", tokenEventsQueued},
	{"replicas claiming at once never get the same delivery", claimsAreExclusive},
	{"a failed attempt is retried with backoff, then delivered or given up", retryRule},
	{"a delivery whose lease was lost is not recorded twice", lostLease},
	{"a test delivery goes to that webhook alone", testDelivery},
	{"expiry notices come 30, 7 and 1 days before and at expiry, once each", expiryThresholds},
	{"replicas scanning at once send each expiry notice once", expiryUnderConcurrency},
	{"deleting a webhook drops its pending deliveries", deleteDropsDeliveries},
	{"pruning drops old finished deliveries and notice claims, never a pending one nor a notice again", pruneHistory},
	{"an inactive token presented queues token.inactive_used once an hour, also from a batch applied twice", inactiveUsedQueued},
}

// Secret is the signing secret of the suite's webhooks.
const Secret = "storetest-webhook-secret-0123456789"

// putHook creates or replaces webhook name of org.
func putHook(t *testing.T, st store.Store, org, name string, events ...string) store.Webhook {
	t.Helper()
	w, _, err := st.PutWebhook(context.Background(), org, name, func(cur store.Webhook, _ bool) (store.Webhook, error) {
		cur.URL, cur.Events, cur.Secret = "https://hooks.example.com/"+name, events, Secret
		return cur, nil
	}, ev(""))
	if err != nil {
		t.Fatalf("PutWebhook(%s): %v", name, err)
	}
	return w
}

// claimAll claims every delivery due at now.
func claimAll(t *testing.T, st store.Store, now time.Time) []store.DueDelivery {
	t.Helper()
	ds, err := st.ClaimDeliveries(context.Background(), now, time.Minute, 1000)
	if err != nil {
		t.Fatalf("ClaimDeliveries: %v", err)
	}
	return ds
}

// bodyOf decodes a delivery's body.
func bodyOf(t *testing.T, d store.DueDelivery) store.EventBody {
	t.Helper()
	var b store.EventBody
	if err := json.Unmarshal(d.Body, &b); err != nil {
		t.Fatalf("delivery body %s: %v", d.Body, err)
	}
	return b
}

func webhookLifecycle(t *testing.T, open func(t *testing.T) store.Store) {
	st := open(t)
	ctx := context.Background()
	if _, err := st.ListWebhooks(ctx, "acme"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("ListWebhooks of a missing org = %v, want ErrNotFound", err)
	}
	PutOrg(t, st, "acme", 10)
	w := putHook(t, st, "acme", "ops", store.EventTokenRevoked, store.EventTokenCreated, store.EventTokenRevoked)
	if want := []string{store.EventTokenCreated, store.EventTokenRevoked}; fmt.Sprint(w.Events) != fmt.Sprint(want) {
		t.Errorf("events = %v, want %v (sorted, each once)", w.Events, want)
	}
	got, err := st.GetWebhook(ctx, "acme", "ops")
	if err != nil || got.Secret != Secret || got.URL != w.URL || !got.CreatedAt.Equal(T0) {
		t.Errorf("GetWebhook = %+v, %v; want it as written, secret included", got, err)
	}
	// The same config again writes nothing.
	putHook(t, st, "acme", "ops", store.EventTokenCreated, store.EventTokenRevoked)
	_, created, err := st.PutWebhook(ctx, "acme", "ops", func(cur store.Webhook, exists bool) (store.Webhook, error) {
		if !exists || cur.Secret != Secret {
			t.Errorf("apply got exists=%v and a different secret; want the stored webhook", exists)
		}
		cur.Events = []string{store.EventTokenExpiring}
		return cur, nil
	}, evAt("", T0.Add(time.Hour)))
	if err != nil || created {
		t.Fatalf("PutWebhook update = created %v, %v", created, err)
	}
	if _, _, err := st.PutWebhook(ctx, "acme", "nosecret", func(cur store.Webhook, _ bool) (store.Webhook, error) {
		cur.URL, cur.Events = "https://x.example.com", []string{store.EventTokenCreated}
		return cur, nil
	}, ev("")); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("a webhook without a secret = %v, want ErrInvalid", err)
	}
	putHook(t, st, "acme", "audit", store.EventTokenExpired)
	list, err := st.ListWebhooks(ctx, "acme")
	if err != nil || len(list) != 2 || list[0].Name != "audit" || list[1].Name != "ops" {
		t.Errorf("ListWebhooks = %+v, %v; want audit, ops", list, err)
	}
	if _, err := st.DeleteWebhook(ctx, "acme", "ops", ev("")); err != nil {
		t.Fatalf("DeleteWebhook: %v", err)
	}
	if _, err := st.GetWebhook(ctx, "acme", "ops"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetWebhook after delete = %v, want ErrNotFound", err)
	}
	if _, err := st.DeleteWebhook(ctx, "acme", "ops", ev("")); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("deleting it again = %v, want ErrNotFound", err)
	}
	entries, _, err := st.Audit(ctx, store.AuditQuery{Org: "acme"})
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, e := range entries {
		actions = append(actions, e.Action)
		for _, snap := range [][]byte{e.Before, e.After} {
			if bytes.Contains(snap, []byte(Secret)) {
				t.Errorf("audit entry %s holds the webhook secret: %s", e.Action, snap)
			}
		}
	}
	want := []string{store.ActionWebhookDeleted, store.ActionWebhookCreated, store.ActionWebhookUpdated, store.ActionWebhookCreated, store.ActionOrgCreated}
	if fmt.Sprint(actions) != fmt.Sprint(want) {
		t.Errorf("audit actions = %v, want %v", actions, want)
	}
}

func webhookLimit(t *testing.T, open func(t *testing.T) store.Store) {
	st := open(t)
	PutOrg(t, st, "acme", 10)
	for i := range store.MaxWebhooks {
		putHook(t, st, "acme", fmt.Sprintf("h%02d", i), store.EventTokenCreated)
	}
	_, _, err := st.PutWebhook(context.Background(), "acme", "one-more", func(cur store.Webhook, _ bool) (store.Webhook, error) {
		cur.URL, cur.Events, cur.Secret = "https://x.example.com", []string{store.EventTokenCreated}, Secret
		return cur, nil
	}, ev(""))
	if !errors.Is(err, store.ErrConflict) {
		t.Errorf("webhook %d = %v, want ErrConflict", store.MaxWebhooks+1, err)
	}
	// Replacing an existing one is not a new one.
	putHook(t, st, "acme", "h00", store.EventTokenRevoked)
}

func tokenEventsQueued(t *testing.T, open func(t *testing.T) store.Store) {
	st := open(t)
	PutOrg(t, st, "acme", 2)
	PutOrg(t, st, "other", 10)
	putHook(t, st, "acme", "created", store.EventTokenCreated)
	putHook(t, st, "acme", "both", store.EventTokenCreated, store.EventTokenRevoked)
	putHook(t, st, "acme", "expiry", store.EventTokenExpiring)
	mustCreate(t, st, "acme", "tok_a")
	mustCreate(t, st, "other", "tok_o") // no webhook: nothing queued
	if _, err := Create(st, "acme", "tok_a"); err == nil {
		t.Fatal("a duplicate create succeeded")
	}
	if _, err := revoke(st, "acme", "tok_a", T0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	// Revoking again changes nothing and queues nothing.
	if _, err := revoke(st, "acme", "tok_a", T0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	ds := claimAll(t, st, T0.Add(time.Hour))
	var got []string
	for _, d := range ds {
		b := bodyOf(t, d)
		got = append(got, d.Webhook+" "+b.Type)
		if b.ID != d.EventID || b.Org != "acme" || b.Token == nil || b.Token.ID != "tok_a" || b.Data.Actor != "test" {
			t.Errorf("delivery %+v has body %s; want its event id, org acme, token tok_a and the actor", d.Delivery, d.Body)
		}
		if d.Secret != Secret || d.URL != "https://hooks.example.com/"+d.Webhook {
			t.Errorf("delivery to %s carries URL %q and another secret", d.Webhook, d.URL)
		}
	}
	sort.Strings(got)
	want := []string{"both token.created", "both token.revoked", "created token.created"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("deliveries = %v, want %v", got, want)
	}
}

func claimsAreExclusive(t *testing.T, open func(t *testing.T) store.Store) {
	a, b := open(t), open(t)
	PutOrg(t, a, "acme", 100)
	putHook(t, a, "acme", "ops", store.EventTokenCreated)
	const n = 30
	for i := range n {
		mustCreate(t, a, "acme", fmt.Sprintf("tok_%02d", i))
	}
	now := T0.Add(time.Second)
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		seen = map[int64]int{}
		errs []error
	)
	for _, st := range []store.Store{a, b, a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				ds, err := st.ClaimDeliveries(context.Background(), now, time.Minute, 4)
				mu.Lock()
				if err != nil {
					errs = append(errs, err)
				}
				for _, d := range ds {
					seen[d.ID]++
				}
				mu.Unlock()
				if err != nil || len(ds) == 0 {
					return
				}
			}
		}()
	}
	wg.Wait()
	if len(errs) > 0 {
		t.Fatalf("claims failed: %v", errs)
	}
	if len(seen) != n {
		t.Errorf("claimed %d deliveries, want %d", len(seen), n)
	}
	for id, k := range seen {
		if k != 1 {
			t.Errorf("delivery %d was claimed %d times", id, k)
		}
	}
	// Leased: nothing is due again until the lease ends, then all are.
	if ds := claimAll(t, b, now.Add(59*time.Second)); len(ds) != 0 {
		t.Errorf("%d deliveries claimed again inside their lease", len(ds))
	}
	if ds := claimAll(t, b, now.Add(time.Minute)); len(ds) != n {
		t.Errorf("%d deliveries claimed after the lease ended, want %d", len(ds), n)
	}
}

var policy = store.RetryPolicy{Base: time.Minute, Max: 10 * time.Minute, GiveUpAfter: time.Hour, MaxAttempts: 5}

func retryRule(t *testing.T, open func(t *testing.T) store.Store) {
	st := open(t)
	ctx := context.Background()
	PutOrg(t, st, "acme", 100)
	putHook(t, st, "acme", "ops", store.EventTokenCreated)
	mustCreate(t, st, "acme", "tok_a")
	mustCreate(t, st, "acme", "tok_b")
	// tok_a: fails 3 times (waits of 1, 2, 4 minutes), then succeeds.
	// tok_b: fails until the hour is over.
	now := T0
	waits := []time.Duration{time.Minute, 2 * time.Minute, 4 * time.Minute}
	for i, wait := range waits {
		ds := claimAll(t, st, now)
		if len(ds) != 2 {
			t.Fatalf("attempt %d: %d due, want 2", i+1, len(ds))
		}
		for _, d := range ds {
			got, ok, err := st.FinishDelivery(ctx, d, store.Outcome{At: now, Status: 500}, policy)
			if err != nil || !ok {
				t.Fatalf("FinishDelivery: %v, %v", ok, err)
			}
			if got.Attempts != i+1 || got.NextAttemptAt == nil || !got.NextAttemptAt.Equal(now.Add(wait)) || got.LastStatus != 500 || got.LastError == "" {
				t.Errorf("after attempt %d: %+v; want next attempt in %v", i+1, got, wait)
			}
		}
		if ds := claimAll(t, st, now.Add(wait-time.Millisecond)); len(ds) != 0 {
			t.Errorf("%d deliveries due before their backoff ended", len(ds))
		}
		now = now.Add(wait)
	}
	for _, d := range claimAll(t, st, now) {
		status := 500
		if bodyOf(t, d).Token.ID == "tok_a" {
			status = 204
		}
		if _, _, err := st.FinishDelivery(ctx, d, store.Outcome{At: now, Status: status, Err: "upstream said no"}, policy); err != nil {
			t.Fatal(err)
		}
	}
	// tok_b: next waits are 8 and 10 minutes (capped); 5 attempts end it.
	now = now.Add(8 * time.Minute)
	for _, d := range claimAll(t, st, now) {
		if _, _, err := st.FinishDelivery(ctx, d, store.Outcome{At: now, Err: "connection refused"}, policy); err != nil {
			t.Fatal(err)
		}
	}
	if ds := claimAll(t, st, now.Add(24*time.Hour)); len(ds) != 0 {
		t.Errorf("%d deliveries due after being delivered or given up", len(ds))
	}
	ds, err := st.Deliveries(ctx, "acme", "ops", 10)
	if err != nil || len(ds) != 2 {
		t.Fatalf("Deliveries = %+v, %v", ds, err)
	}
	b, a := ds[0], ds[1] // newest first
	if a.State() != "delivered" || a.Attempts != 4 || a.LastStatus != 204 || a.LastError != "" || a.DeliveredAt == nil || a.NextAttemptAt != nil {
		t.Errorf("tok_a's delivery = %+v; want delivered at the 4th attempt", a)
	}
	if b.State() != "failed" || b.Attempts != 5 || b.LastStatus != 0 || b.LastError != "connection refused" || b.FailedAt == nil || b.NextAttemptAt != nil {
		t.Errorf("tok_b's delivery = %+v; want given up after 5 attempts", b)
	}
	if _, err := st.Deliveries(ctx, "acme", "nope", 10); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Deliveries of a missing webhook = %v, want ErrNotFound", err)
	}
}

func lostLease(t *testing.T, open func(t *testing.T) store.Store) {
	a, b := open(t), open(t)
	ctx := context.Background()
	PutOrg(t, a, "acme", 100)
	putHook(t, a, "acme", "ops", store.EventTokenCreated)
	mustCreate(t, a, "acme", "tok_a")
	slow := claimAll(t, a, T0)
	// a's lease runs out; b claims and delivers.
	fast := claimAll(t, b, T0.Add(2*time.Minute))
	if len(slow) != 1 || len(fast) != 1 {
		t.Fatalf("claims = %d and %d, want 1 each", len(slow), len(fast))
	}
	if _, ok, err := b.FinishDelivery(ctx, fast[0], store.Outcome{At: T0.Add(2 * time.Minute), Status: 200}, policy); err != nil || !ok {
		t.Fatalf("b's FinishDelivery = %v, %v", ok, err)
	}
	if _, ok, err := a.FinishDelivery(ctx, slow[0], store.Outcome{At: T0.Add(3 * time.Minute), Status: 500}, policy); err != nil || ok {
		t.Errorf("a's late FinishDelivery = %v, %v; want not recorded", ok, err)
	}
	ds, _ := a.Deliveries(ctx, "acme", "ops", 10)
	if len(ds) != 1 || ds[0].State() != "delivered" || ds[0].Attempts != 1 {
		t.Errorf("deliveries = %+v; want one, delivered once", ds)
	}
}

func testDelivery(t *testing.T, open func(t *testing.T) store.Store) {
	st := open(t)
	ctx := context.Background()
	PutOrg(t, st, "acme", 100)
	putHook(t, st, "acme", "ops", store.EventTokenRevoked)
	putHook(t, st, "acme", "other", store.EventTokenRevoked)
	id, err := st.TestWebhook(ctx, "acme", "ops", ev(""))
	if err != nil {
		t.Fatal(err)
	}
	ds := claimAll(t, st, T0)
	if len(ds) != 1 || ds[0].Webhook != "ops" || ds[0].EventID != id || bodyOf(t, ds[0]).Type != store.EventWebhookTest || bodyOf(t, ds[0]).Data.Webhook != "ops" {
		t.Errorf("deliveries = %+v; want one webhook.test to ops with id %s", ds, id)
	}
	if _, err := st.TestWebhook(ctx, "acme", "nope", ev("")); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("testing a missing webhook = %v, want ErrNotFound", err)
	}
	entries, _, _ := st.Audit(ctx, store.AuditQuery{Org: "acme", Action: store.ActionWebhookTested})
	if len(entries) != 1 {
		t.Errorf("audit has %d webhook.tested entries, want 1", len(entries))
	}
}

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

func deleteDropsDeliveries(t *testing.T, open func(t *testing.T) store.Store) {
	st := open(t)
	ctx := context.Background()
	PutOrg(t, st, "acme", 100)
	putHook(t, st, "acme", "ops", store.EventTokenCreated)
	mustCreate(t, st, "acme", "tok_a")
	if _, err := st.DeleteWebhook(ctx, "acme", "ops", ev("")); err != nil {
		t.Fatal(err)
	}
	putHook(t, st, "acme", "ops", store.EventTokenCreated)
	if ds := claimAll(t, st, T0.Add(time.Hour)); len(ds) != 0 {
		t.Errorf("%d deliveries of a deleted webhook are still due (a new webhook of that name would get them)", len(ds))
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
