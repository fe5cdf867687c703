package e2e

import (
	"net/http"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/oatgate/oatgate/testenv"
)

// revocationLimit is the promise: a change of a token's access reaches the
// gateway within 2 s whatever cache_ttl is (1h here).
const revocationLimit = 2 * time.Second

func TestAnExpiredTokenIsRefusedEvenWhileCached(t *testing.T) {
	if err := env.Admin.SetOrg(testenv.Context(t, time.Minute), "exporg", testenv.OrgMaxTokens); err != nil {
		t.Fatal(err)
	}
	expires := time.Now().Add(3 * time.Second).Truncate(time.Second).Add(time.Second)
	tok, err := env.Admin.CreateToken(testenv.Context(t, time.Minute), "exporg", testenv.TokenRequest{
		Label: testenv.UniqueLabel("short-lived"), Scopes: []string{"repository:exporg/**:pull"}, ExpiresAt: &expires,
	})
	if err != nil {
		t.Fatal(err)
	}
	if resp := env.Call(t, "GET", "/v2/", "exporg", tok.Secret, nil); resp.StatusCode != http.StatusOK {
		t.Fatalf("before expiry: status %d, want 200", resp.StatusCode)
	}
	time.Sleep(time.Until(expires) + 100*time.Millisecond)
	wantError(t, env.Call(t, "GET", "/v2/", "exporg", tok.Secret, nil), http.StatusUnauthorized, "UNAUTHORIZED")
}

func TestRevocationReachesTheGatewayWithinTwoSeconds(t *testing.T) {
	r := ref(t, "revorg/app:v1")
	pusher := env.MintToken(t, "revorg", "repository:revorg/**:pull,push")
	if err := remote.Write(r, randomImage(t, 1), auth("revorg", pusher.Secret)); err != nil {
		t.Fatal(err)
	}
	manifest := "/v2/revorg/app/manifests/v1"

	t.Run("a revoked token is refused", func(t *testing.T) {
		tok := env.MintToken(t, "revorg", "repository:revorg/app:pull")
		cachedOK(t, manifest, "revorg", tok.Secret)
		if err := env.Admin.Revoke(testenv.Context(t, time.Minute), "revorg", tok.ID); err != nil {
			t.Fatal(err)
		}
		took := testenv.Eventually(t, revocationLimit, "revoked token refused", func() bool {
			return env.Call(t, "HEAD", manifest, "revorg", tok.Secret, nil).StatusCode == http.StatusUnauthorized
		})
		t.Logf("refused %s after revocation", took)
	})

	t.Run("a deactivated token is refused and works again after reactivation", func(t *testing.T) {
		tok := env.MintToken(t, "revorg", "repository:revorg/app:pull")
		cachedOK(t, manifest, "revorg", tok.Secret)
		if err := env.Admin.Deactivate(testenv.Context(t, time.Minute), "revorg", tok.ID); err != nil {
			t.Fatal(err)
		}
		testenv.Eventually(t, revocationLimit, "deactivated token refused", func() bool {
			return env.Call(t, "HEAD", manifest, "revorg", tok.Secret, nil).StatusCode == http.StatusUnauthorized
		})
		if err := env.Admin.Activate(testenv.Context(t, time.Minute), "revorg", tok.ID); err != nil {
			t.Fatal(err)
		}
		// The cached refusal outlives this test (negative_ttl is 30 s by
		// default): only the feed's change for the token can clear it.
		testenv.Eventually(t, revocationLimit, "reactivated token works within the feed's promise", func() bool {
			return env.Call(t, "HEAD", manifest, "revorg", tok.Secret, nil).StatusCode == http.StatusOK
		})
	})

	t.Run("a deleted token is refused", func(t *testing.T) {
		tok := env.MintToken(t, "revorg", "repository:revorg/app:pull")
		cachedOK(t, manifest, "revorg", tok.Secret)
		if err := env.Admin.Delete(testenv.Context(t, time.Minute), "revorg", tok.ID); err != nil {
			t.Fatal(err)
		}
		testenv.Eventually(t, revocationLimit, "deleted token refused", func() bool {
			return env.Call(t, "HEAD", manifest, "revorg", tok.Secret, nil).StatusCode == http.StatusUnauthorized
		})
	})

	t.Run("a token whose scopes were narrowed is held to the new scopes", func(t *testing.T) {
		tok := env.MintToken(t, "revorg", "repository:revorg/**:pull")
		cachedOK(t, manifest, "revorg", tok.Secret)
		if err := env.Admin.SetScopes(testenv.Context(t, time.Minute), "revorg", tok.ID, []string{"repository:revorg/other:pull"}); err != nil {
			t.Fatal(err)
		}
		testenv.Eventually(t, revocationLimit, "narrowed token refused on the old repository", func() bool {
			return env.Call(t, "HEAD", manifest, "revorg", tok.Secret, nil).StatusCode == http.StatusForbidden
		})
	})
}

// cachedOK makes the gateway verify and cache tok with a request that
// succeeds.
func cachedOK(t *testing.T, path, org, secret string) {
	t.Helper()
	for range 2 {
		if resp := env.Call(t, "HEAD", path, org, secret, nil); resp.StatusCode != http.StatusOK {
			t.Fatalf("HEAD %s before the change: status %d, want 200", path, resp.StatusCode)
		}
	}
}
