package e2e

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/oatgate/oatgate/testenv"
)

// TestAManagementTokenPullsOnlyWhatItsRepositoryScopesAllow checks issue
// 15's promise to the gateway: org: scopes open oatstore's management API
// and nothing in the registry. The management token pulls the one
// repository its repository scope names, and the token it mints for CI
// (through oatstore, with itself as the credential) does too.
func TestAManagementTokenPullsOnlyWhatItsRepositoryScopesAllow(t *testing.T) {
	const org = "ownersorg"
	pusher := env.MintToken(t, org, "repository:"+org+"/**:push")
	for _, repo := range []string{org + "/app", org + "/other"} {
		if err := remote.Write(ref(t, repo+":v1"), randomImage(t, 1), auth(org, pusher.Secret)); err != nil {
			t.Fatalf("pushing %s: %v", repo, err)
		}
	}
	manager := env.MintToken(t, org, "org:tokens:write", "org:audit:read", "repository:"+org+"/app:pull")

	t.Run("it pulls the repository its scope names", func(t *testing.T) {
		if _, err := remote.Image(ref(t, org+"/app:v1"), auth(org, manager.Secret)); err != nil {
			t.Fatalf("pull: %v", err)
		}
	})
	t.Run("its org scopes pull no other repository", func(t *testing.T) {
		_, err := remote.Image(ref(t, org+"/other:v1"), auth(org, manager.Secret))
		wantStatus(t, err, http.StatusForbidden, "DENIED")
	})
	t.Run("its org scopes push nothing", func(t *testing.T) {
		err := remote.Write(ref(t, org+"/app:v2"), randomImage(t, 1), auth(org, manager.Secret))
		wantStatus(t, err, http.StatusForbidden, "DENIED")
	})
	t.Run("the catalog lists only the repository it may pull", func(t *testing.T) {
		resp := env.Call(t, "GET", "/v2/_catalog", org, manager.Secret, nil)
		var body struct{ Repositories []string }
		if resp.StatusCode != http.StatusOK || json.NewDecoder(resp.Body).Decode(&body) != nil {
			t.Fatalf("GET /v2/_catalog: status %d", resp.StatusCode)
		}
		if !slices.Equal(body.Repositories, []string{org + "/app"}) {
			t.Errorf("catalog = %v, want only %s/app", body.Repositories, org)
		}
	})

	owner := &testenv.Admin{URL: env.Admin.URL, Key: manager.Secret, Client: env.Admin.Client}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	t.Run("the token it mints pulls what it was given", func(t *testing.T) {
		ci, err := owner.CreateToken(ctx, org, testenv.TokenRequest{Label: testenv.UniqueLabel("ci"), Scopes: []string{"repository:" + org + "/app:pull"}, ExpiresIn: "7d"})
		if err != nil {
			t.Fatalf("the management token could not create a pull token: %v", err)
		}
		if _, err := remote.Image(ref(t, org+"/app:v1"), auth(org, ci.Secret)); err != nil {
			t.Fatalf("pull with the minted token: %v", err)
		}
	})
	t.Run("it may not mint a token for a repository it cannot pull", func(t *testing.T) {
		_, err := owner.CreateToken(ctx, org, testenv.TokenRequest{Label: testenv.UniqueLabel("wide"), Scopes: []string{"repository:" + org + "/other:pull"}, ExpiresIn: "7d"})
		if err == nil || !strings.Contains(err.Error(), "403") {
			t.Fatalf("create = %v, want 403", err)
		}
	})
}
