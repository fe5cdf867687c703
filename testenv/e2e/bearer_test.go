package e2e

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/oatgate/oatgate/testenv"
)

// bearerToken asks the gateway's token endpoint for scope with Basic
// credentials and returns the token.
func bearerToken(t *testing.T, org, secret, scope string) string {
	t.Helper()
	resp := env.Call(t, "GET", "/token?service=oatgate&scope="+scope, org, secret, nil)
	var body struct {
		Token string `json:"token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || resp.StatusCode != http.StatusOK || body.Token == "" {
		t.Fatalf("token endpoint: status %d, %v; want 200 with a token", resp.StatusCode, err)
	}
	return body.Token
}

func withBearer(tok string) http.Header {
	return http.Header{"Authorization": {"Bearer " + tok}}
}

// A bearer token is a short-lived copy of a decision about its OAT: through
// the real gateway, it stops working within 2 s of its OAT's revocation or
// deactivation, whatever its own lifetime and the cache TTL.
func TestABearerTokenStopsWithinTwoSecondsOfItsOAT(t *testing.T) {
	r := ref(t, "bearorg/app:v1")
	pusher := env.MintToken(t, "bearorg", "repository:bearorg/**:pull,push")
	if err := remote.Write(r, randomImage(t, 1), auth("bearorg", pusher.Secret)); err != nil {
		t.Fatal(err)
	}
	manifest := "/v2/bearorg/app/manifests/v1"
	for _, tc := range []struct {
		name   string
		change func(org, id string) error
	}{
		{"revoked", func(org, id string) error { return env.Admin.Revoke(testenv.Context(t, time.Minute), org, id) }},
		{"deactivated", func(org, id string) error { return env.Admin.Deactivate(testenv.Context(t, time.Minute), org, id) }},
	} {
		t.Run("after its OAT is "+tc.name, func(t *testing.T) {
			tok := env.MintToken(t, "bearorg", "repository:bearorg/app:pull")
			bearer := bearerToken(t, "bearorg", tok.Secret, "repository:bearorg/app:pull")
			if got := env.Call(t, "HEAD", manifest, "", "", withBearer(bearer)).StatusCode; got != http.StatusOK {
				t.Fatalf("before: status %d, want 200", got)
			}
			if err := tc.change("bearorg", tok.ID); err != nil {
				t.Fatal(err)
			}
			took := testenv.Eventually(t, revocationLimit, "the bearer token refused", func() bool {
				resp := env.Call(t, "HEAD", manifest, "", "", withBearer(bearer))
				return resp.StatusCode == http.StatusUnauthorized && strings.Contains(resp.Header.Get("WWW-Authenticate"), `error="invalid_token"`)
			})
			t.Logf("refused %s after the OAT was %s", took, tc.name)
			if got := env.Call(t, "GET", "/token?service=oatgate&scope=repository:bearorg/app:pull", "bearorg", tok.Secret, nil).StatusCode; got != http.StatusUnauthorized {
				t.Errorf("a new token for the %s OAT: status %d, want 401", tc.name, got)
			}
		})
	}
}

// The usage log records a bearer request with its OAT's id and label, and
// the token request itself as event token with the grant and the scopes
// granted.
func TestBearerRequestsAreLoggedWithTheirOAT(t *testing.T) {
	tok := env.MintToken(t, "bearlog", "repository:bearlog/**:pull,push")
	tokenID, pullID := testenv.UniqueLabel("bearer-token-req"), testenv.UniqueLabel("bearer-pull-req")
	resp := env.Call(t, "GET", "/token?service=oatgate&scope=repository:bearlog/app:pull", "bearlog", tok.Secret, http.Header{"X-Request-Id": {tokenID}})
	var body struct {
		Token string `json:"token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || body.Token == "" {
		t.Fatalf("token endpoint: status %d, %v", resp.StatusCode, err)
	}
	env.Call(t, "GET", "/v2/bearlog/app/tags/list", "", "", http.Header{"Authorization": {"Bearer " + body.Token}, "X-Request-Id": {pullID}})

	var events map[string][]map[string]any
	testenv.Eventually(t, 5*time.Second, "both events in the usage log", func() bool {
		events = env.UsageEvents(t)
		return len(events[tokenID]) == 1 && len(events[pullID]) == 1
	})
	want := map[string]map[string]any{
		tokenID: {"event": "token", "decision": "allow", "grant": "basic", "token_id": tok.ID, "token_label": tok.Label, "org": "bearlog", "scope": "repository:bearlog/app:pull"},
		pullID:  {"event": "pull", "token_id": tok.ID, "token_label": tok.Label, "org": "bearlog", "repository": "bearlog/app"},
	}
	for id, fields := range want {
		ev := events[id][0]
		for k, v := range fields {
			if ev[k] != v {
				t.Errorf("%s event: %s = %v, want %v", fields["event"], k, ev[k], v)
			}
		}
		for k, v := range ev {
			if s, ok := v.(string); ok && (strings.Contains(s, tok.Secret) || strings.Contains(s, body.Token)) {
				t.Errorf("%s event field %s holds a secret", fields["event"], k)
			}
		}
	}
}
