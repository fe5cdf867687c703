package docker_test

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/oatgate/oatgate/caddymodule/oat"
	"github.com/oatgate/oatgate/testenv"
)

// refusedLogin is what docker login prints when the gateway refuses the
// credentials. Basic: dockerd 20.10 says "login attempt to http://host/v2/
// failed with status: 401 Unauthorized" and shows nothing of the
// registry's message. Bearer: the token endpoint's 401, with its details.
func refusedLogin() string {
	if mode == "basic" {
		return "failed with status: 401 Unauthorized"
	}
	return "unauthorized: "
}

func TestDockerLogin(t *testing.T) {
	need(t)
	const org = "loginorg"
	scopes := []string{"repository:" + org + "/**:pull,push"}
	valid := env.MintToken(t, org, scopes...)

	// Created first so that its expiry has passed when its case runs.
	expiresAt := time.Now().Add(2 * time.Second)
	expiring, err := env.Admin.CreateToken(testenv.Context(t, clientLimit), org, testenv.TokenRequest{Label: testenv.UniqueLabel("expiring"), Scopes: scopes, ExpiresAt: &expiresAt})
	if err != nil {
		t.Fatalf("creating a token expiring at %s: %v", expiresAt, err)
	}

	tests := []struct {
		name     string
		username string
		secret   func(t *testing.T) string
		wantOK   bool
	}{
		{
			name: "a valid token logs in", username: org, wantOK: true,
			secret: func(*testing.T) string { return valid.Secret },
		},
		{
			name: "a mistyped token is refused", username: org,
			secret: func(*testing.T) string { return valid.Mistyped() },
		},
		{
			name: "a well-formed token the store never issued is refused", username: org,
			secret: func(t *testing.T) string {
				tok, err := oat.Generate()
				if err != nil {
					t.Fatal(err)
				}
				return tok.Reveal()
			},
		},
		{
			name: "a valid token under another org's name is refused", username: "someoneelse",
			secret: func(*testing.T) string { return valid.Secret },
		},
		{
			name: "a token revoked after a successful login is refused", username: org,
			secret: func(t *testing.T) string { return revokedAfterUse(t, org, scopes) },
		},
		{
			name: "an expired token is refused", username: org,
			secret: func(*testing.T) string {
				time.Sleep(time.Until(expiresAt) + 500*time.Millisecond)
				return expiring.Secret
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			secret := tt.secret(t)
			cli := newCLI(t)
			out, err := login(t, cli, tt.username, secret)
			stored := storedAuth(t, cli.ConfigDir)
			if tt.wantOK {
				if err != nil {
					t.Fatalf("docker login failed: %v", err)
				}
				if !strings.Contains(out, "Login Succeeded") {
					t.Errorf("output = %q, want it to contain %q", out, "Login Succeeded")
				}
				if !stored {
					t.Errorf("config.json has no credentials for %s after a successful login", env.GatewayHost)
				}
				return
			}
			if err == nil {
				t.Fatalf("docker login succeeded, want it refused; output:\n%s", out)
			}
			if !strings.Contains(out, refusedLogin()) {
				t.Errorf("output = %q, want it to say the credentials were refused (%q)", out, refusedLogin())
			}
			if stored {
				t.Errorf("config.json stored credentials for %s after a refused login", env.GatewayHost)
			}
		})
	}
}

// revokedAfterUse returns a token that logged in once (so the gateway has it
// cached) and was then revoked, once the gateway has heard of the revocation.
func revokedAfterUse(t *testing.T, org string, scopes []string) string {
	t.Helper()
	tok := env.MintToken(t, org, scopes...)
	if _, err := login(t, newCLI(t), org, tok.Secret); err != nil {
		t.Fatalf("the token to revoke could not log in first: %v", err)
	}
	if err := env.Admin.Revoke(testenv.Context(t, clientLimit), org, tok.ID); err != nil {
		t.Fatalf("revoking: %v", err)
	}
	// The revocation feed is polled every second by default.
	testenv.Eventually(t, 10*time.Second, "the gateway refusing the revoked token", func() bool {
		return env.Call(t, "GET", "/v2/", org, tok.Secret, nil).StatusCode == http.StatusUnauthorized
	})
	return tok.Secret
}

// storedAuth reports whether docker saved credentials for the gateway.
func storedAuth(t *testing.T, configDir string) bool {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(configDir, "config.json"))
	if os.IsNotExist(err) {
		return false
	}
	if err != nil {
		t.Fatal(err)
	}
	return strings.Contains(string(data), `"`+env.GatewayHost+`"`) && strings.Contains(string(data), `"auth"`)
}
