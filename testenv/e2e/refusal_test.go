package e2e

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/oatgate/oatgate/caddymodule/oat"
	"github.com/oatgate/oatgate/testenv"
)

// refusalMessage is the message of a registry error answer.
func refusalMessage(t *testing.T, resp *http.Response) string {
	t.Helper()
	var body struct {
		Errors []struct{ Code, Message string } `json:"errors"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || len(body.Errors) == 0 {
		t.Fatalf("status %d: not a registry error (%v)", resp.StatusCode, err)
	}
	return body.Errors[0].Message
}

// Issue 12 items 4, 14 and 16 through the real store: a known inactive
// token is refused saying why, its usage event names it, and reactivating
// it takes effect within the feed's promise although negative_ttl is an
// hour.
func TestAnInactiveTokenIsNamedAndAReactivationIsSeenWithinTwoSeconds(t *testing.T) {
	reload(t, map[string]any{"negative_ttl": "1h"})
	t.Cleanup(func() { reload(t, nil) })
	tok := env.MintToken(t, "inactorg", "repository:inactorg/**:pull")
	if resp := env.Call(t, "GET", "/v2/", "inactorg", tok.Secret, nil); resp.StatusCode != http.StatusOK {
		t.Fatalf("before the change: status %d, want 200", resp.StatusCode)
	}
	if err := env.Admin.Deactivate(testenv.Context(t, time.Minute), "inactorg", tok.ID); err != nil {
		t.Fatal(err)
	}
	requestID := testenv.UniqueLabel("inactive-refusal")
	testenv.Eventually(t, revocationLimit, "deactivated token refused", func() bool {
		return env.Call(t, "GET", "/v2/", "inactorg", tok.Secret, nil).StatusCode == http.StatusUnauthorized
	})

	t.Run("the 401 says the token is deactivated", func(t *testing.T) {
		resp := env.Call(t, "GET", "/v2/", "inactorg", tok.Secret, http.Header{"X-Request-Id": {requestID}})
		if msg := refusalMessage(t, resp); resp.StatusCode != http.StatusUnauthorized || !strings.HasPrefix(msg, "deactivated token") {
			t.Fatalf("status %d message %q, want 401 saying the token is deactivated", resp.StatusCode, msg)
		}
	})
	t.Run("the usage event names the refused token", func(t *testing.T) {
		var events []map[string]any
		testenv.Eventually(t, 5*time.Second, "the refusal's usage event", func() bool {
			events = env.UsageEvents(t)[requestID]
			return len(events) == 1
		})
		ev := events[0]
		if ev["reason"] != "inactive_token" || ev["token_id"] != tok.ID || ev["org"] != "inactorg" {
			t.Fatalf("usage event %v, want reason inactive_token, token_id %s and org inactorg", ev, tok.ID)
		}
	})
	t.Run("a reactivated token works again within the feed's promise", func(t *testing.T) {
		if err := env.Admin.Activate(testenv.Context(t, time.Minute), "inactorg", tok.ID); err != nil {
			t.Fatal(err)
		}
		took := testenv.Eventually(t, revocationLimit, "reactivated token accepted", func() bool {
			return env.Call(t, "GET", "/v2/", "inactorg", tok.Secret, nil).StatusCode == http.StatusOK
		})
		t.Logf("accepted %s after reactivation (negative_ttl 1h)", took)
	})
	t.Run("a revoked token's 401 says it is revoked", func(t *testing.T) {
		if err := env.Admin.Revoke(testenv.Context(t, time.Minute), "inactorg", tok.ID); err != nil {
			t.Fatal(err)
		}
		testenv.Eventually(t, revocationLimit, "revoked token refused as revoked", func() bool {
			resp := env.Call(t, "GET", "/v2/", "inactorg", tok.Secret, nil)
			return resp.StatusCode == http.StatusUnauthorized && strings.HasPrefix(refusalMessage(t, resp), "revoked token")
		})
	})
	t.Run("an unknown token's 401 says it is unknown", func(t *testing.T) {
		unknown, err := oat.Generate()
		if err != nil {
			t.Fatal(err)
		}
		resp := env.Call(t, "GET", "/v2/", "inactorg", unknown.Reveal(), nil)
		if msg := refusalMessage(t, resp); resp.StatusCode != http.StatusUnauthorized || !strings.HasPrefix(msg, "unknown token") {
			t.Fatalf("status %d message %q, want 401 saying the token is unknown", resp.StatusCode, msg)
		}
	})
}
