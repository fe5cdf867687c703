// Package e2e proves the gateway end to end: the real registry, the real
// oatstore and Caddy with registry_auth, driven by go-containerregistry as a
// registry client.
package e2e

import (
	"encoding/json"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/oatgate/oatgate/testenv"
)

// env is shared by the package's tests; each test uses its own org so that
// they do not see each other's tokens or repositories.
var env *testenv.Env

func TestMain(m *testing.M) {
	var err error
	env, err = testenv.Start(testenv.Options{
		Gateway: map[string]any{
			// Long enough that only the revocation feed, never expiry of
			// the cache entry, can explain a refusal within 2 s.
			"cache_ttl": "1h",
			"max_stale": "2h",
		},
	})
	if err != nil {
		println("starting testenv:", err.Error())
		os.Exit(1)
	}
	code := m.Run()
	if err := env.Close(); err != nil {
		println("stopping testenv:", err.Error())
	}
	os.Exit(code)
}

func ref(t *testing.T, repo string) name.Reference {
	t.Helper()
	r, err := name.ParseReference(env.GatewayHost+"/"+repo, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func auth(user, password string) remote.Option {
	return remote.WithAuth(&authn.Basic{Username: user, Password: password})
}

func randomImage(t *testing.T, layers int) v1.Image {
	t.Helper()
	img, err := random.Image(2048, int64(layers))
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// wantError checks a registry error answer.
func wantError(t *testing.T, resp *http.Response, status int, code string) {
	t.Helper()
	// The gateway runs with the default challenge, bearer.
	challenge := `Bearer realm="http://` + env.GatewayHost + `/token",service="oatgate"`
	if resp.StatusCode != status {
		t.Fatalf("%s %s: status %d, want %d", resp.Request.Method, resp.Request.URL.Path, resp.StatusCode, status)
	}
	var env struct {
		Errors []struct{ Code string } `json:"errors"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&env); err != nil {
		t.Fatalf("%s %s: body is not a registry error: %v", resp.Request.Method, resp.Request.URL.Path, err)
	}
	if len(env.Errors) == 0 || env.Errors[0].Code != code {
		t.Fatalf("%s %s: errors %+v, want code %s", resp.Request.Method, resp.Request.URL.Path, env.Errors, code)
	}
	if status == http.StatusUnauthorized && !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), challenge) {
		t.Errorf("401 without the gateway's Bearer challenge: %q", resp.Header.Get("WWW-Authenticate"))
	}
}
