package server_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/oatgate/oatgate/caddymodule/storeapi"
	"github.com/oatgate/oatgate/cmd/oatstore/server"
	"github.com/oatgate/oatgate/cmd/oatstore/server/servertest"
	"github.com/oatgate/oatgate/cmd/oatstore/store"
	"github.com/oatgate/oatgate/testenv"
)

const hookSecret = servertest.HookSecret

// fastHooks gives a server loopback receivers and quick delivery rounds.
func fastHooks(c *server.Config) { c.Webhooks = servertest.FastHooks }

// hookBody is a webhook PUT body.
func hookBody(url string, events ...string) map[string]any {
	return map[string]any{"url": url, "secret": hookSecret, "events": events}
}

// deliveryPage is the GET .../deliveries answer.
type deliveryPage struct {
	Deliveries []struct {
		store.Delivery
		State string `json:"state"`
	} `json:"deliveries"`
}

func (e *env) deliveries(org, name string) deliveryPage {
	e.t.Helper()
	var p deliveryPage
	r := e.admin("GET", "/v1/orgs/"+org+"/webhooks/"+name+"/deliveries", nil)
	e.mustStatus(r, http.StatusOK)
	r.json(e.t, &p)
	return p
}

func TestWebhookConfigurationIsCheckedAndAuthorized(t *testing.T) {
	e := newEnv(t, "", fastHooks)
	e.putOrg("acme", `{}`)
	e.putOrg("globex", `{}`)
	url := "https://hooks.example.com/oatstore"
	reader := e.create("acme", map[string]any{"label": "hook-reader", "scopes": []string{"org:webhooks:read"}})
	writer := e.create("acme", map[string]any{"label": "hook-writer", "scopes": []string{"org:webhooks:write", "org:tokens:read"}})
	blind := e.create("acme", map[string]any{"label": "hook-writer-blind", "scopes": []string{"org:webhooks:write"}})
	tokens := e.create("acme", map[string]any{"label": "token-manager", "scopes": []string{"org:tokens:write"}})
	cases := []struct {
		name   string
		key    string
		method string
		path   string
		body   any
		want   int
	}{
		{"an admin creates a webhook", adminKey, "PUT", "/v1/orgs/acme/webhooks/ops", hookBody(url, "token.created"), http.StatusCreated},
		{"the same PUT again is an update", adminKey, "PUT", "/v1/orgs/acme/webhooks/ops", hookBody(url, "token.created"), http.StatusOK},
		{"an update may leave the secret out", adminKey, "PUT", "/v1/orgs/acme/webhooks/ops", `{"events":["token.revoked","token.created"]}`, http.StatusOK},
		{"changing the url without the secret is refused: the org's signatures would go elsewhere", writer.Secret, "PUT", "/v1/orgs/acme/webhooks/ops", `{"url":"https://collector.example.net/x"}`, http.StatusBadRequest},
		{"an admin may not change the url without the secret either", adminKey, "PUT", "/v1/orgs/acme/webhooks/ops", `{"url":"https://collector.example.net/x"}`, http.StatusBadRequest},
		{"the same url without the secret is an update", writer.Secret, "PUT", "/v1/orgs/acme/webhooks/ops", `{"url":"` + url + `"}`, http.StatusOK},
		{"changing the url with the secret is an update", writer.Secret, "PUT", "/v1/orgs/acme/webhooks/ops", `{"url":"https://hooks2.example.com/x","secret":"` + hookSecret + `"}`, http.StatusOK},
		{"and back, with the secret", writer.Secret, "PUT", "/v1/orgs/acme/webhooks/ops", `{"url":"` + url + `","secret":"` + hookSecret + `"}`, http.StatusOK},
		{"a new webhook without a secret is refused", adminKey, "PUT", "/v1/orgs/acme/webhooks/new", map[string]any{"url": url, "events": []string{"token.created"}}, http.StatusBadRequest},
		{"a new webhook without events is refused", adminKey, "PUT", "/v1/orgs/acme/webhooks/new", map[string]any{"url": url, "secret": hookSecret}, http.StatusBadRequest},
		{"an empty event list is refused", adminKey, "PUT", "/v1/orgs/acme/webhooks/new", hookBody(url), http.StatusBadRequest},
		{"an unknown event is refused", adminKey, "PUT", "/v1/orgs/acme/webhooks/new", hookBody(url, "token.updated"), http.StatusBadRequest},
		{"webhook.test cannot be subscribed to", adminKey, "PUT", "/v1/orgs/acme/webhooks/new", hookBody(url, "webhook.test"), http.StatusBadRequest},
		{"plain http to a public host is refused", adminKey, "PUT", "/v1/orgs/acme/webhooks/new", hookBody("http://hooks.example.com/x", "token.created"), http.StatusBadRequest},
		{"a URL with a password is refused", adminKey, "PUT", "/v1/orgs/acme/webhooks/new", hookBody("https://u:p@hooks.example.com/", "token.created"), http.StatusBadRequest},
		{"a short secret is refused", adminKey, "PUT", "/v1/orgs/acme/webhooks/new", map[string]any{"url": url, "secret": "short", "events": []string{"token.created"}}, http.StatusBadRequest},
		{"a secret with spaces is refused", adminKey, "PUT", "/v1/orgs/acme/webhooks/new", map[string]any{"url": url, "secret": "a secret with spaces in it", "events": []string{"token.created"}}, http.StatusBadRequest},
		{"an unknown field is refused", adminKey, "PUT", "/v1/orgs/acme/webhooks/new", `{"url":"` + url + `","secret":"` + hookSecret + `","events":["token.created"],"active":true}`, http.StatusBadRequest},
		{"a name with capitals is refused", adminKey, "PUT", "/v1/orgs/acme/webhooks/Ops", hookBody(url, "token.created"), http.StatusBadRequest},
		{"a name starting with a dot is refused", adminKey, "PUT", "/v1/orgs/acme/webhooks/.ops", hookBody(url, "token.created"), http.StatusBadRequest},
		{"a webhook of a missing org is not found", adminKey, "PUT", "/v1/orgs/initech/webhooks/ops", hookBody(url, "token.created"), http.StatusNotFound},
		{"a missing webhook is not found", adminKey, "GET", "/v1/orgs/acme/webhooks/nope", nil, http.StatusNotFound},
		{"deleting a missing webhook is not found", adminKey, "DELETE", "/v1/orgs/acme/webhooks/nope", nil, http.StatusNotFound},
		{"testing a missing webhook is not found", adminKey, "POST", "/v1/orgs/acme/webhooks/nope/test", nil, http.StatusNotFound},
		{"deliveries of a missing webhook are not found", adminKey, "GET", "/v1/orgs/acme/webhooks/nope/deliveries", nil, http.StatusNotFound},
		{"a deliveries limit of 0 is refused", adminKey, "GET", "/v1/orgs/acme/webhooks/ops/deliveries?limit=0", nil, http.StatusBadRequest},
		{"the list of a missing org is not found", adminKey, "GET", "/v1/orgs/initech/webhooks", nil, http.StatusNotFound},
		{"no credential is unauthorized", "", "GET", "/v1/orgs/acme/webhooks", nil, http.StatusUnauthorized},
		{"a token with org:webhooks:read lists them", reader.Secret, "GET", "/v1/orgs/acme/webhooks", nil, http.StatusOK},
		{"a token with org:webhooks:read reads deliveries", reader.Secret, "GET", "/v1/orgs/acme/webhooks/ops/deliveries", nil, http.StatusOK},
		{"a token with org:webhooks:read may not change one", reader.Secret, "PUT", "/v1/orgs/acme/webhooks/ops", hookBody(url, "token.created"), http.StatusForbidden},
		{"a token with org:webhooks:read may not send a test", reader.Secret, "POST", "/v1/orgs/acme/webhooks/ops/test", nil, http.StatusForbidden},
		{"a token with org:webhooks:write but not org:tokens:read may not set one (events carry token metadata)", blind.Secret, "PUT", "/v1/orgs/acme/webhooks/team", hookBody(url, "token.expiring"), http.StatusForbidden},
		{"a token with org:webhooks:write alone may still send a test", blind.Secret, "POST", "/v1/orgs/acme/webhooks/ops/test", nil, http.StatusAccepted},
		{"a token with org:webhooks:write and org:tokens:read creates one in its org", writer.Secret, "PUT", "/v1/orgs/acme/webhooks/team", hookBody(url, "token.expiring"), http.StatusCreated},
		{"a token with org:webhooks:write sends a test", writer.Secret, "POST", "/v1/orgs/acme/webhooks/team/test", nil, http.StatusAccepted},
		{"a token of acme may not touch globex's webhooks", writer.Secret, "PUT", "/v1/orgs/globex/webhooks/team", hookBody(url, "token.expiring"), http.StatusForbidden},
		{"a token of acme may not list globex's webhooks", writer.Secret, "GET", "/v1/orgs/globex/webhooks", nil, http.StatusForbidden},
		{"a token with org:tokens:write only may not read webhooks", tokens.Secret, "GET", "/v1/orgs/acme/webhooks", nil, http.StatusForbidden},
		{"a token with org:webhooks:write deletes one", writer.Secret, "DELETE", "/v1/orgs/acme/webhooks/team", nil, http.StatusNoContent},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := e.on(t)
			var r response
			switch b := c.body.(type) {
			case nil:
				r = e.do(c.method, c.path, c.key, "", nil)
			case string:
				r = e.do(c.method, c.path, c.key, "application/json", strings.NewReader(b))
			default:
				r = e.do(c.method, c.path, c.key, "application/json", strings.NewReader(mustJSON(t, b)))
			}
			if r.status != c.want {
				t.Fatalf("%s %s = %d %s, want %d", c.method, c.path, r.status, r.body, c.want)
			}
			if r.status >= 400 {
				if code, msg := r.errorCode(t); code == "" || msg == "" {
					t.Errorf("refusal without a code and a message: %s", r.body)
				}
			}
			if strings.HasPrefix(c.name, "changing the url without") {
				if _, msg := r.errorCode(t); !strings.Contains(msg, "secret") {
					t.Errorf("message %q does not say the secret is needed", msg)
				}
			}
		})
	}
	var hook store.Webhook
	r := e.admin("GET", "/v1/orgs/acme/webhooks/ops", nil)
	e.mustStatus(r, http.StatusOK)
	r.json(t, &hook)
	if fmt.Sprint(hook.Events) != "[token.created token.revoked]" || hook.URL != url {
		t.Errorf("webhook = %+v; want the URL and both events, sorted", hook)
	}
	entries := e.admin("GET", "/v1/orgs/acme/audit?action=webhook.created", nil)
	if n := strings.Count(string(entries.body), `"action":"webhook.created"`); n != 2 {
		t.Errorf("audit has %d webhook.created entries, want 2: %s", n, entries.body)
	}
	if !strings.Contains(string(e.admin("GET", "/v1/orgs/acme/audit?action=webhook.deleted", nil).body), `"actor":"token:`+writer.ID) {
		t.Errorf("the delete is not audited with the token as its actor")
	}

	t.Run("http to loopback needs the server's switch", func(t *testing.T) {
		plain := newEnv(t, "")
		plain.putOrg("acme", `{}`)
		r := plain.admin("PUT", "/v1/orgs/acme/webhooks/local", hookBody("http://127.0.0.1:9/hook", "token.created"))
		plain.mustStatus(r, http.StatusBadRequest)
		if _, msg := r.errorCode(t); !strings.Contains(msg, "--webhook-allow-loopback-http") {
			t.Errorf("message %q does not say how to allow it", msg)
		}
	})
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestEveryWebhookEventReachesASubscribedReceiver(t *testing.T) {
	e := newEnv(t, "", fastHooks)
	e.putOrg("acme", `{}`)
	all := servertest.NewReceiver(t, hookSecret, e.clock.Now)
	revokes := servertest.NewReceiver(t, hookSecret, e.clock.Now)
	e.mustStatus(e.admin("PUT", "/v1/orgs/acme/webhooks/all", hookBody(all.URL, store.EventTypes...)), http.StatusCreated)
	e.mustStatus(e.admin("PUT", "/v1/orgs/acme/webhooks/revokes", hookBody(revokes.URL, store.EventTokenRevoked)), http.StatusCreated)

	tok := e.create("acme", map[string]any{"label": "ci", "scopes": []string{"repository:acme/app:pull"}, "expires_in": "40d"})
	gone := e.create("acme", ciToken("gone"))
	e.mustStatus(e.admin("POST", "/v1/orgs/acme/tokens/"+gone.ID+"/revoke", nil), http.StatusOK)
	// A gateway reports the revoked token presented, twice in one batch
	// and the batch twice: one event.
	presented := storeapi.RegistryAction{Action: storeapi.ActionInactiveUsed, At: e.clock.Now(), Org: "acme", TokenID: gone.ID, Reason: storeapi.ReasonRevoked, ClientIP: "192.0.2.7", UserAgent: "docker/27.0"}
	report := mustJSON(t, storeapi.UsageReport{ID: "gw-1", Actions: []storeapi.RegistryAction{presented, presented}})
	for range 2 {
		e.mustStatus(e.do("POST", storeapi.UsageReportsPath, gatewayKey, "application/json", strings.NewReader(report)), http.StatusOK)
	}
	var test struct {
		EventID string `json:"event_id"`
	}
	r := e.admin("POST", "/v1/orgs/acme/webhooks/all/test", nil)
	e.mustStatus(r, http.StatusAccepted)
	r.json(t, &test)

	seen := func(rc *servertest.Receiver) []string {
		var out []string
		for _, ev := range rc.Delivered() {
			id := ""
			if ev.Token != nil {
				id = ev.Token.ID
			}
			out = append(out, fmt.Sprintf("%s %s %d", ev.Type, id, ev.Data.DaysBefore))
		}
		sort.Strings(out)
		return out
	}
	want := []string{"token.created " + gone.ID + " 0", "token.created " + tok.ID + " 0", "token.inactive_used " + gone.ID + " 0", "token.revoked " + gone.ID + " 0", "webhook.test  0"}
	testenv.Eventually(t, 10*time.Second, "the changes' events", func() bool { return len(all.Delivered()) == len(want) })
	exp := *tok.ExpiresAt
	for _, s := range []struct {
		at    time.Time
		event string
	}{
		{exp.Add(-30 * 24 * time.Hour), "token.expiring " + tok.ID + " 30"},
		{exp.Add(-7 * 24 * time.Hour), "token.expiring " + tok.ID + " 7"},
		{exp.Add(-24 * time.Hour), "token.expiring " + tok.ID + " 1"},
		{exp, "token.expired " + tok.ID + " 0"},
	} {
		e.clock.Advance(s.at.Sub(e.clock.Now()))
		want = append(want, s.event)
		testenv.Eventually(t, 10*time.Second, s.event, func() bool { return len(all.Delivered()) == len(want) })
	}
	sort.Strings(want)
	if g := seen(all); fmt.Sprint(g) != fmt.Sprint(want) {
		t.Errorf("the receiver of every event got\n%v\nwant\n%v", g, want)
	}
	if g := seen(revokes); fmt.Sprint(g) != fmt.Sprint([]string{"token.revoked " + gone.ID + " 0"}) {
		t.Errorf("the receiver of revocations got %v, want only the revocation", g)
	}
	for _, ev := range all.Delivered() {
		switch ev.Type {
		case store.EventWebhookTest:
			if ev.ID != test.EventID || ev.Data.Webhook != "all" || ev.Data.Actor != "admin:admin" {
				t.Errorf("test event = %+v; want id %s, webhook all, actor admin:admin", ev, test.EventID)
			}
		case store.EventTokenExpiring, store.EventTokenExpired:
			if ev.Data.ExpiresAt == nil || !ev.Data.ExpiresAt.Equal(exp) || ev.Token.Label != "ci" {
				t.Errorf("%s = %+v; want the expiry %v and the token's label", ev.Type, ev, exp)
			}
		case store.EventTokenInactiveUsed:
			if ev.Data.Reason != "revoked" || ev.Data.ClientIP != "192.0.2.7" || ev.Data.UserAgent != "docker/27.0" || ev.Token.RevokedAt == nil {
				t.Errorf("%s = %+v; want the reason, the client and the revoked token", ev.Type, ev)
			}
		case store.EventTokenCreated, store.EventTokenRevoked:
			if ev.Data.Actor != "admin:admin" || ev.Org != "acme" {
				t.Errorf("%s = %+v; want the actor and org", ev.Type, ev)
			}
		}
	}
	for _, rc := range []*servertest.Receiver{all, revokes} {
		if p := rc.Problems(); len(p) > 0 {
			t.Errorf("requests failed the receiver's checks: %v", p)
		}
	}
}

func TestAFailingReceiverIsRetriedWithBackoffThenDeliveredOnce(t *testing.T) {
	e := newEnv(t, "", fastHooks)
	e.putOrg("acme", `{}`)
	rc := servertest.NewReceiver(t, hookSecret, e.clock.Now)
	rc.AnswerNext(500, 503)
	e.mustStatus(e.admin("PUT", "/v1/orgs/acme/webhooks/ops", hookBody(rc.URL, store.EventTokenCreated)), http.StatusCreated)
	tok := e.create("acme", ciToken("ci"))
	start := e.clock.Now()

	attempts := func(n int) func() bool { return func() bool { return len(rc.All()) >= n } }
	pending := func() bool { return e.deliveries("acme", "ops").Deliveries[0].Attempts == len(rc.All()) }
	testenv.Eventually(t, 10*time.Second, "the first attempt", attempts(1))
	testenv.Eventually(t, 10*time.Second, "the first outcome recorded", pending)
	d := e.deliveries("acme", "ops").Deliveries[0]
	if d.State != "pending" || d.Attempts != 1 || d.LastStatus != 500 || d.NextAttemptAt == nil || !d.NextAttemptAt.Equal(start.Add(time.Second)) {
		t.Fatalf("after a 500: %+v; want pending, 1 attempt, next in 1s (the retry base)", d)
	}
	// Nothing is sent again before the backoff ends.
	time.Sleep(5 * servertest.FastHooks.PollInterval)
	if n := len(rc.All()); n != 1 {
		t.Fatalf("%d attempts before the backoff ended, want 1", n)
	}
	e.clock.Advance(time.Second)
	testenv.Eventually(t, 10*time.Second, "the second attempt", attempts(2))
	testenv.Eventually(t, 10*time.Second, "the second outcome recorded", pending)
	d = e.deliveries("acme", "ops").Deliveries[0]
	if d.Attempts != 2 || d.LastStatus != 503 || !d.NextAttemptAt.Equal(start.Add(3*time.Second)) {
		t.Fatalf("after a 503: %+v; want 2 attempts, next 2s later", d)
	}
	e.clock.Advance(2 * time.Second)
	testenv.Eventually(t, 10*time.Second, "the delivery", func() bool { return e.deliveries("acme", "ops").Deliveries[0].State == "delivered" })
	time.Sleep(5 * servertest.FastHooks.PollInterval)
	d = e.deliveries("acme", "ops").Deliveries[0]
	if d.Attempts != 3 || d.LastStatus != 204 || d.LastError != "" || d.DeliveredAt == nil || d.NextAttemptAt != nil {
		t.Errorf("delivered: %+v; want 3 attempts, 204, no error, no next attempt", d)
	}
	reqs := rc.All()
	if len(reqs) != 3 || len(rc.Delivered()) != 1 {
		t.Fatalf("the receiver got %d requests and %d deliveries, want 3 and 1", len(reqs), len(rc.Delivered()))
	}
	for i, r := range reqs {
		if r.Body.ID != d.EventID || r.Body.Token.ID != tok.ID || r.Header.Get("X-Oatstore-Attempt") != fmt.Sprint(i+1) {
			t.Errorf("request %d: event %s attempt %s; want the one event %s, attempt %d", i+1, r.Body.ID, r.Header.Get("X-Oatstore-Attempt"), d.EventID, i+1)
		}
		if !bytes.Equal(r.Raw, reqs[0].Raw) {
			t.Errorf("request %d's body differs from the first: a retry must send the same bytes", i+1)
		}
	}
	if p := rc.Problems(); len(p) > 0 {
		t.Errorf("requests failed the receiver's checks: %v", p)
	}
}

// A test queues a delivery retried for a day: a token with
// org:webhooks:write must not queue thousands of them.
func TestWebhookTestsAreLimitedPerWebhook(t *testing.T) {
	e := newEnv(t, "", fastHooks)
	e.putOrg("acme", `{}`)
	for _, name := range []string{"ops", "pager"} {
		e.mustStatus(e.admin("PUT", "/v1/orgs/acme/webhooks/"+name, hookBody("https://hooks.example.com/"+name, "token.created")), http.StatusCreated)
	}
	cases := []struct {
		name    string
		webhook string
		advance time.Duration
		want    int
	}{
		{"the first test is queued", "ops", 0, http.StatusAccepted},
		{"the second is queued", "ops", 0, http.StatusAccepted},
		{"the third is queued", "ops", 0, http.StatusAccepted},
		{"the fourth is queued", "ops", 0, http.StatusAccepted},
		{"the fifth in a minute is queued", "ops", 0, http.StatusAccepted},
		{"the sixth in a minute is too many", "ops", 0, http.StatusTooManyRequests},
		{"another webhook of the org has its own count", "pager", 0, http.StatusAccepted},
		{"a minute later the webhook may be tested again", "ops", time.Minute, http.StatusAccepted},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := e.on(t)
			e.clock.Advance(c.advance)
			r := e.admin("POST", "/v1/orgs/acme/webhooks/"+c.webhook+"/test", nil)
			if r.status != c.want {
				t.Fatalf("test = %d %s, want %d", r.status, r.body, c.want)
			}
			if r.status == http.StatusTooManyRequests {
				if code, _ := r.errorCode(t); code != "too_many_requests" || r.header.Get("Retry-After") == "" {
					t.Errorf("429 with code %q and Retry-After %q; want too_many_requests and a wait", code, r.header.Get("Retry-After"))
				}
			}
		})
	}
	if n := len(e.deliveries("acme", "ops").Deliveries); n != 6 {
		t.Errorf("ops has %d deliveries, want the 6 tests allowed", n)
	}
}
