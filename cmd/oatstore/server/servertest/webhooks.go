package servertest

import (
	"fmt"
	"net/http"
	"sort"
	"testing"
	"time"

	"github.com/oatgate/oatgate/cmd/oatstore/store"
	"github.com/oatgate/oatgate/cmd/oatstore/webhook"
	"github.com/oatgate/oatgate/testenv"
)

// HookSecret is the signing secret of the webhooks this package sets.
const HookSecret = "servertest-webhook-secret-0123456789abcdef"

// FastHooks are webhook options for tests: loopback receivers, rounds
// every 20ms of real time, retries a second apart on the server's clock.
var FastHooks = webhook.Options{
	AllowLoopbackHTTP: true,
	PollInterval:      20 * time.Millisecond,
	ScanInterval:      20 * time.Millisecond,
	Timeout:           2 * time.Second,
	Retry:             store.RetryPolicy{Base: time.Second, Max: time.Minute, GiveUpAfter: time.Hour, MaxAttempts: 10},
}

// WebhookReplicas runs two oatstore servers over two Stores that open
// returns on one database (two replicas), both delivering and scanning,
// one shared clock walked through a token's 30-, 7- and 1-day thresholds
// and its expiry, and one receiver that checks every signature: each event
// must arrive exactly once, whichever replica sent it.
func WebhookReplicas(t *testing.T, open func(t *testing.T) store.Store) {
	clk := &clock{t: T0}
	a, b := startWith(t, open(t), clk, FastHooks), startWith(t, open(t), clk, FastHooks)
	rc := NewReceiver(t, HookSecret, clk.now)
	a.must(t, http.StatusCreated, AliceKey, "PUT", "/v1/orgs/acme", `{}`)
	b.must(t, http.StatusCreated, AliceKey, "PUT", "/v1/orgs/acme/webhooks/ops", map[string]any{
		"url": rc.URL, "secret": HookSecret, "events": store.EventTypes,
	})
	tok := a.create(t, AliceKey, "acme", "ci", "40d", "repository:acme/app:pull")
	gone := b.create(t, BootstrapKey, "acme", "gone", "40d", "repository:acme/app:pull")
	a.must(t, http.StatusOK, BootstrapKey, "POST", "/v1/orgs/acme/tokens/"+gone.ID+"/revoke", nil)

	idle := func() bool {
		var page struct{ Deliveries []struct{ State string } }
		a.must(t, http.StatusOK, AliceKey, "GET", "/v1/orgs/acme/webhooks/ops/deliveries?limit=500", nil).decode(t, &page)
		for _, d := range page.Deliveries {
			if d.State != "delivered" {
				return false
			}
		}
		return true
	}
	want := []string{
		"token.created " + tok.ID + " 0",
		"token.created " + gone.ID + " 0",
		"token.revoked " + gone.ID + " 0",
	}
	check := func(when string) {
		t.Helper()
		testenv.Eventually(t, 10*time.Second, "every delivery "+when+" delivered", func() bool { return len(rc.Delivered()) >= len(want) && idle() })
		// Several more rounds of both replicas, to catch a duplicate.
		time.Sleep(10 * FastHooks.PollInterval)
		var got []string
		for _, ev := range rc.Delivered() {
			got = append(got, fmt.Sprintf("%s %s %d", ev.Type, ev.Token.ID, ev.Data.DaysBefore))
		}
		sort.Strings(got)
		sorted := append([]string(nil), want...)
		sort.Strings(sorted)
		if fmt.Sprint(got) != fmt.Sprint(sorted) {
			t.Fatalf("%s the receiver got\n%v\nwant each once:\n%v", when, got, sorted)
		}
	}
	check("after the changes")
	exp := *tok.ExpiresAt
	for _, s := range []struct {
		before time.Duration
		event  string
	}{
		{30 * 24 * time.Hour, "token.expiring " + tok.ID + " 30"},
		{7 * 24 * time.Hour, "token.expiring " + tok.ID + " 7"},
		{24 * time.Hour, "token.expiring " + tok.ID + " 1"},
		{0, "token.expired " + tok.ID + " 0"},
	} {
		clk.set(exp.Add(-s.before))
		want = append(want, s.event)
		check(fmt.Sprintf("at %s before expiry", s.before))
	}
	if p := rc.Problems(); len(p) > 0 {
		t.Errorf("requests failed the receiver's checks: %v", p)
	}
}
