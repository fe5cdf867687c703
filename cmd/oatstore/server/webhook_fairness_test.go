package server_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/oatgate/oatgate/cmd/oatstore/server"
	"github.com/oatgate/oatgate/cmd/oatstore/server/servertest"
	"github.com/oatgate/oatgate/cmd/oatstore/store"
	"github.com/oatgate/oatgate/testenv"
)

// One org's receiver that never answers, with a backlog of events, must
// not delay another org's deliveries: attempts run on workers of their
// own (no round waits for its slowest), and an org holds a few of them at
// most.
func TestAnOrgWhoseReceiverHangsDoesNotDelayAnotherOrgsDeliveries(t *testing.T) {
	release := make(chan struct{})
	hanging := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer hanging.Close()
	defer close(release)
	hooks := servertest.FastHooks
	hooks.Timeout = 5 * time.Second
	e := newEnv(t, "", func(c *server.Config) { c.Webhooks = hooks })
	e.putOrg("acme", `{"max_tokens": 100}`)
	e.putOrg("globex", `{}`)
	e.mustStatus(e.admin("PUT", "/v1/orgs/acme/webhooks/slow", hookBody(hanging.URL, store.EventTokenCreated)), http.StatusCreated)
	rc := servertest.NewReceiver(t, hookSecret, e.clock.Now)
	e.mustStatus(e.admin("PUT", "/v1/orgs/globex/webhooks/ops", hookBody(rc.URL, store.EventTokenCreated)), http.StatusCreated)
	for i := range 60 {
		e.create("acme", ciToken(fmt.Sprintf("ci-%02d", i)))
	}
	e.create("globex", map[string]any{"label": "ci", "scopes": []string{"repository:globex/app:pull"}})
	start := time.Now()
	// Before: rounds of 16 each waited the 5 s timeout of acme's
	// receiver, and globex's event came after four of them.
	testenv.Eventually(t, 3*time.Second, "globex's delivery", func() bool { return len(rc.Delivered()) == 1 })
	t.Logf("globex's event delivered %v after it was queued, with acme's 60 hanging", time.Since(start).Round(time.Millisecond))
}
