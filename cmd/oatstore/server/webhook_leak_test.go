package server_test

import (
	"bytes"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/oatgate/oatgate/cmd/oatstore/server/servertest"
	"github.com/oatgate/oatgate/cmd/oatstore/store"
	"github.com/oatgate/oatgate/testenv"
)

// TestAWebhookSecretNeverLeavesTheStore drives every webhook call, a
// refused one carrying a secret included, a rotation and deliveries, then
// looks for the secrets in every answer, every log line (at debug level)
// and every request a receiver got. The database holds them: deliveries
// must sign with them.
func TestAWebhookSecretNeverLeavesTheStore(t *testing.T) {
	e := newEnv(t, "", fastHooks)
	e.putOrg("acme", `{}`)
	rc := servertest.NewReceiver(t, hookSecret, e.clock.Now)
	const oldSecret = "old-webhook-secret-being-rotated-out-0123"
	secrets := []string{hookSecret, oldSecret}
	var answers bytes.Buffer
	keep := func(r response, want int) {
		t.Helper()
		e.mustStatus(r, want)
		answers.Write(r.body)
	}
	keep(e.admin("PUT", "/v1/orgs/acme/webhooks/ops", hookBody(rc.URL, store.EventTokenCreated)), http.StatusCreated)
	keep(e.admin("PUT", "/v1/orgs/acme/webhooks/ops", `{"events":["token.created","token.revoked"]}`), http.StatusOK)
	keep(e.admin("PUT", "/v1/orgs/acme/webhooks/rotated", map[string]any{"url": "https://hooks.example.com/x", "secret": oldSecret, "events": []string{"token.expired"}}), http.StatusCreated)
	keep(e.admin("PUT", "/v1/orgs/acme/webhooks/rotated", map[string]any{"url": rc.URL, "secret": hookSecret, "events": []string{"token.revoked"}}), http.StatusOK)
	// Refused requests that carry a secret do not echo it.
	keep(e.admin("PUT", "/v1/orgs/acme/webhooks/bad", map[string]any{"url": rc.URL, "secret": hookSecret, "events": []string{"nope"}}), http.StatusBadRequest)
	keep(e.admin("PUT", "/v1/orgs/acme/webhooks/bad", `{"url":"`+rc.URL+`","secret":"`+hookSecret+`","events":["token.created"],"x":1}`), http.StatusBadRequest)
	keep(e.admin("PUT", "/v1/orgs/acme/webhooks/bad", `{"url":"`+rc.URL+`","secret":`+strconv.Quote(hookSecret+" "+oldSecret)+`,"events":["token.created"]}`), http.StatusBadRequest)
	keep(e.admin("PUT", "/v1/orgs/acme/webhooks/bad", `{"url":"`+rc.URL+`","secret":"`+hookSecret+`","events":"token.created"}`), http.StatusBadRequest)

	tok := e.create("acme", ciToken("ci"))
	keep(e.admin("POST", "/v1/orgs/acme/tokens/"+tok.ID+"/revoke", nil), http.StatusOK)
	keep(e.admin("POST", "/v1/orgs/acme/webhooks/ops/test", nil), http.StatusAccepted)
	// ops gets created, revoked and the test; rotated gets revoked.
	testenv.Eventually(t, 10*time.Second, "four deliveries", func() bool { return len(rc.Delivered()) == 4 })
	for _, path := range []string{
		"/v1/orgs/acme/webhooks", "/v1/orgs/acme/webhooks/ops", "/v1/orgs/acme/webhooks/rotated",
		"/v1/orgs/acme/webhooks/ops/deliveries", "/v1/orgs/acme/webhooks/rotated/deliveries", "/v1/orgs/acme/audit?limit=500",
	} {
		keep(e.admin("GET", path, nil), http.StatusOK)
	}
	keep(e.admin("DELETE", "/v1/orgs/acme/webhooks/rotated", nil), http.StatusNoContent)
	e.stop()

	var sent bytes.Buffer
	for _, r := range rc.All() {
		sent.Write(r.Raw)
		for name, vs := range r.Header {
			sent.WriteString(name + ": " + strings.Join(vs, ",") + "\n")
		}
	}
	if !strings.Contains(e.logs.String(), `"msg":"webhook delivered"`) || !strings.Contains(answers.String(), `"webhook":"ops"`) {
		t.Fatalf("no delivery was logged or answered; the check would prove nothing:\n%s", e.logs.String())
	}
	blobs := map[string]string{"the log": e.logs.String(), "the answers": answers.String(), "the requests receivers got": sent.String()}
	for i, s := range secrets {
		for name, b := range blobs {
			t.Run("secret "+strconv.Itoa(i)+" is not in "+name, func(t *testing.T) {
				if strings.Contains(b, s) {
					t.Errorf("%s contains a webhook secret", name)
				}
			})
		}
	}
	if p := rc.Problems(); len(p) > 0 {
		t.Errorf("requests failed the receiver's checks (the rotated secret must sign): %v", p)
	}
}
