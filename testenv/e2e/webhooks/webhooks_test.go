// Package webhooks proves oatstore's webhooks end to end: a token revoked
// in the store and then presented to the real gateway by a real registry
// client reaches an org's receiver as token.inactive_used, through the
// gateway's usage report, the store's ingest and the dispatcher.
package webhooks

import (
	"net/http"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/oatgate/oatgate/cmd/oatstore/server/servertest"
	"github.com/oatgate/oatgate/cmd/oatstore/store"
	"github.com/oatgate/oatgate/testenv"
)

func TestARevokedTokenPresentedToTheGatewayReachesTheOrgsReceiver(t *testing.T) {
	env, err := testenv.Start(testenv.Options{
		StoreWebhooks: servertest.FastHooks,
		Gateway:       map[string]any{"usage_report_interval": "200ms"},
	})
	if err != nil {
		t.Fatalf("starting testenv: %v", err)
	}
	defer env.Close()
	ctx := testenv.Context(t, time.Minute)
	const org = "hooked"
	rc := servertest.NewReceiver(t, servertest.HookSecret, time.Now)
	if err := env.Admin.SetOrg(ctx, org, testenv.OrgMaxTokens); err != nil {
		t.Fatal(err)
	}
	if err := env.Admin.SetWebhook(ctx, org, "ops", testenv.WebhookRequest{URL: rc.URL, Secret: servertest.HookSecret, Events: store.EventTypes}); err != nil {
		t.Fatal(err)
	}
	tok := env.MintToken(t, org, "repository:hooked/app:pull")
	if err := env.Admin.Revoke(ctx, org, tok.ID); err != nil {
		t.Fatal(err)
	}
	// A real client presents it: go-containerregistry listing tags.
	repo, err := name.NewRepository(env.GatewayHost+"/hooked/app", name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := remote.List(repo, remote.WithAuth(&authn.Basic{Username: org, Password: tok.Secret}), remote.WithContext(ctx)); err == nil {
		t.Fatal("the gateway let a revoked token list tags")
	}
	if resp := env.Call(t, http.MethodGet, "/v2/hooked/app/tags/list", org, tok.Secret, nil); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("a revoked token got %d, want 401", resp.StatusCode)
	}
	got := func(typ string) *store.EventBody {
		for _, ev := range rc.Delivered() {
			if ev.Type == typ && ev.Token != nil && ev.Token.ID == tok.ID {
				return &ev
			}
		}
		return nil
	}
	testenv.Eventually(t, 30*time.Second, "token.inactive_used at the receiver", func() bool { return got(store.EventTokenInactiveUsed) != nil })
	ev := got(store.EventTokenInactiveUsed)
	if ev.Data.Reason != "revoked" || ev.Data.ClientIP != "127.0.0.1" || ev.Org != org {
		t.Errorf("token.inactive_used = %+v; want reason revoked from 127.0.0.1", ev)
	}
	for _, typ := range []string{store.EventTokenCreated, store.EventTokenRevoked} {
		if got(typ) == nil {
			t.Errorf("the receiver got no %s of %s", typ, tok.ID)
		}
	}
	// Two presentations within the hour: one event.
	n := 0
	for _, ev := range rc.Delivered() {
		if ev.Type == store.EventTokenInactiveUsed {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d token.inactive_used events, want 1 for one token within an hour", n)
	}
	if p := rc.Problems(); len(p) > 0 {
		t.Errorf("requests failed the receiver's checks: %v", p)
	}
}
