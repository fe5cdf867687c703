package storetest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

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
	{"a claim gives an org at most its share, counting its deliveries in flight", claimsPerOrg},
	{"an event beyond a webhook's pending bound is recorded as failed at once, and the bound frees as deliveries finish", pendingBound},
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
	ds, err := st.ClaimDeliveries(context.Background(), now, time.Minute, 1000, 0)
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
				ds, err := st.ClaimDeliveries(context.Background(), now, time.Minute, 4, 0)
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

func claimsPerOrg(t *testing.T, open func(t *testing.T) store.Store) {
	a, b := open(t), open(t)
	ctx := context.Background()
	for _, org := range []string{"acme", "globex"} {
		PutOrg(t, a, org, 100)
		putHook(t, a, org, "ops", store.EventTokenCreated)
	}
	// acme's backlog is older than globex's one event.
	for i := range 10 {
		mustCreate(t, a, "acme", fmt.Sprintf("tok_a%02d", i))
	}
	mustCreate(t, a, "globex", "tok_g")
	now := T0.Add(time.Second)
	orgs := func(ds []store.DueDelivery) map[string]int {
		n := map[string]int{}
		for _, d := range ds {
			n[d.Org]++
		}
		return n
	}
	first, err := a.ClaimDeliveries(ctx, now, time.Minute, 4, 3)
	if err != nil {
		t.Fatal(err)
	}
	if got := orgs(first); got["acme"] != 3 || got["globex"] != 1 {
		t.Errorf("first claim = %v, want acme 3 (its share) and globex 1 though acme's are older", got)
	}
	// acme's three are in flight: another replica gets none of acme's.
	if more, err := b.ClaimDeliveries(ctx, now, time.Minute, 4, 3); err != nil || len(more) != 0 {
		t.Errorf("claim with acme's share in flight = %v, %v; want none", orgs(more), err)
	}
	// One of acme's finished frees one of its places. (A claim's rows come
	// back in no promised order: PostgreSQL's UPDATE ... RETURNING has
	// none.)
	i := slices.IndexFunc(first, func(d store.DueDelivery) bool { return d.Org == "acme" })
	if i < 0 {
		t.Fatalf("first claim %v holds none of acme's", orgs(first))
	}
	if _, ok, err := a.FinishDelivery(ctx, first[i], store.Outcome{At: now, Status: 200}, policy); err != nil || !ok {
		t.Fatalf("FinishDelivery = %v, %v", ok, err)
	}
	if more, err := b.ClaimDeliveries(ctx, now, time.Minute, 4, 3); err != nil || orgs(more)["acme"] != 1 || len(more) != 1 {
		t.Errorf("claim after one finished = %v, %v; want one of acme's", orgs(more), err)
	}
	// Without a share, everything due is claimed, once its lease is over.
	if all, err := b.ClaimDeliveries(ctx, now.Add(2*time.Minute), time.Minute, 100, 0); err != nil || len(all) != 10 {
		t.Errorf("claim without a share = %d, %v; want acme's 9 left and globex's 1, their leases over (10)", len(all), err)
	}
}

func pendingBound(t *testing.T, open func(t *testing.T) store.Store) {
	st := open(t)
	ctx := context.Background()
	PutOrg(t, st, "acme", 100)
	putHook(t, st, "acme", "slow", store.EventTokenCreated)
	putHook(t, st, "acme", "other", store.EventTokenCreated)
	for range store.MaxPendingDeliveries {
		if _, err := st.TestWebhook(ctx, "acme", "slow", ev("")); err != nil {
			t.Fatal(err)
		}
	}
	// slow's bound is reached; other's is its own.
	mustCreate(t, st, "acme", "tok_over")
	latest := func(name string) store.Delivery {
		t.Helper()
		ds, err := st.Deliveries(ctx, "acme", name, 1)
		if err != nil || len(ds) != 1 {
			t.Fatalf("Deliveries(%s) = %v, %v", name, ds, err)
		}
		return ds[0]
	}
	if d := latest("slow"); d.State() != "failed" || d.Attempts != 0 || !strings.Contains(d.LastError, "pending") {
		t.Errorf("the delivery beyond the bound = %+v; want failed at once, unattempted, saying why", d)
	}
	if d := latest("other"); d.State() != "pending" {
		t.Errorf("another webhook's delivery = %+v; want pending", d)
	}
	// One of slow's delivered: the next event is queued again.
	due, err := st.ClaimDeliveries(ctx, T0.Add(time.Second), time.Minute, 1, 0)
	if err != nil || len(due) != 1 {
		t.Fatalf("ClaimDeliveries = %d, %v", len(due), err)
	}
	if _, ok, err := st.FinishDelivery(ctx, due[0], store.Outcome{At: T0.Add(time.Second), Status: 204}, policy); err != nil || !ok {
		t.Fatalf("FinishDelivery = %v, %v", ok, err)
	}
	mustCreate(t, st, "acme", "tok_next")
	if d := latest("slow"); d.State() != "pending" {
		t.Errorf("the delivery after one finished = %+v; want pending", d)
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
