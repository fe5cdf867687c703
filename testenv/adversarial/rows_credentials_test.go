package adversarial

import (
	"context"
	"encoding/base64"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/oatgate/oatgate/testenv"
)

const manifestPath = "/v2/acme/app/manifests/latest"

// ociManifest is the Accept a client sends for the seeded manifests.
const ociManifest = "application/vnd.oci.image.manifest.v1+json"

func pull() wire { return req(http.MethodGet, manifestPath).with("Accept", ociManifest) }

// cachedThen creates a token for acme/app, uses it once through the gateway
// (so it is cached for an hour), then applies change and returns the pull
// request carrying it.
func cachedThen(change func(t *testing.T, tok testenv.Token), req testenv.TokenRequest) func(*testing.T) wire {
	return func(t *testing.T) wire {
		t.Helper()
		ctx := context.Background()
		req.Label = testenv.UniqueLabel("cached")
		req.Scopes = []string{"repository:acme/app:pull"}
		tok, err := fx.env.Admin.CreateToken(ctx, "acme", req)
		if err != nil {
			t.Fatal(err)
		}
		w := pull().with("Authorization", basic("acme", tok.Secret))
		if resp, body := send(t, fx.env.GatewayHost, w); resp.StatusCode != http.StatusOK {
			t.Fatalf("a fresh token: got %d %s, want 200", resp.StatusCode, body)
		}
		change(t, tok)
		return w
	}
}

func credentialRows() []row {
	return []row{
		{reason: "no Authorization header is challenged", build: fixed(pull),
			status: 401, code: "UNAUTHORIZED"},
		{reason: "a Bearer token instead of Basic is refused", build: fixed(func() wire {
			return pull().with("Authorization", "Bearer "+fx.tokens[acmeAll].Secret)
		}), status: 401, code: "UNAUTHORIZED"},
		{reason: "Basic with broken base64 is refused", build: fixed(func() wire {
			return pull().with("Authorization", "Basic !!!not-base64***")
		}), status: 401, code: "UNAUTHORIZED"},
		{reason: "Basic without a colon is refused", build: fixed(func() wire {
			return pull().with("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte("acme"+fx.tokens[acmeAll].Secret)))
		}), status: 401, code: "UNAUTHORIZED"},
		{reason: "an empty username is refused", build: fixed(func() wire {
			return pull().with("Authorization", basic("", fx.tokens[acmeAll].Secret))
		}), status: 401, code: "UNAUTHORIZED"},
		{reason: "an empty password is refused", build: fixed(func() wire {
			return pull().with("Authorization", basic("acme", ""))
		}), status: 401, code: "UNAUTHORIZED"},
		{reason: "two Authorization headers are refused, not chosen between", build: fixed(func() wire {
			return pull().with("Authorization", fx.auth(acmePull)).with("Authorization", fx.auth(acmeAll))
		}), status: 401, code: "UNAUTHORIZED"},
		// Caddy's server caps the header block below 64 KiB and answers
		// 431 itself; a header under that cap but over 12 KiB (room for a
		// CI job's ID token as the password) is refused by the credentials
		// parser before decoding.
		{reason: "a 64 KiB Authorization header never reaches a handler", build: fixed(func() wire {
			return pull().with("Authorization", "Basic "+strings.Repeat("A", 64<<10))
		}), status: 431},
		{reason: "a 16 KiB Authorization header is refused before decoding", build: fixed(func() wire {
			return pull().with("Authorization", "Basic "+strings.Repeat("A", 16<<10))
		}), status: 401, code: "UNAUTHORIZED"},
		{reason: "an 8 KiB Authorization header of garbage is refused as malformed", build: fixed(func() wire {
			return pull().with("Authorization", "Basic "+strings.Repeat("A", 8<<10))
		}), status: 401, code: "UNAUTHORIZED"},
		{reason: "a token with a broken checksum is refused locally", build: fixed(func() wire {
			return pull().with("Authorization", basic("acme", fx.tokens[acmeAll].Mistyped()))
		}), status: 401, code: "UNAUTHORIZED"},
		{reason: "another org's token under this org's username is refused", build: fixed(func() wire {
			return pull().with("Authorization", basic("acme", fx.tokens[globex].Secret))
		}), status: 401, code: "UNAUTHORIZED"},
		{reason: "another org's token under its own username may not pull here", build: fixed(func() wire {
			return pull().with("Authorization", fx.auth(globex))
		}), status: 403, code: "DENIED"},
		{reason: "a revoked token still in the cache is refused", build: cachedThen(func(t *testing.T, tok testenv.Token) {
			if err := fx.env.Admin.Revoke(context.Background(), "acme", tok.ID); err != nil {
				t.Fatal(err)
			}
			waitForFeed()
		}, testenv.TokenRequest{}), status: 401, code: "UNAUTHORIZED"},
		{reason: "a deactivated token still in the cache is refused", build: cachedThen(func(t *testing.T, tok testenv.Token) {
			if err := fx.env.Admin.Deactivate(context.Background(), "acme", tok.ID); err != nil {
				t.Fatal(err)
			}
			waitForFeed()
		}, testenv.TokenRequest{}), status: 401, code: "UNAUTHORIZED"},
		{reason: "an expired token still in the cache is refused", build: func(t *testing.T) wire {
			exp := time.Now().Add(3 * time.Second).Truncate(time.Second).Add(time.Second)
			return cachedThen(func(*testing.T, testenv.Token) {
				time.Sleep(time.Until(exp) + 200*time.Millisecond)
			}, testenv.TokenRequest{ExpiresAt: &exp})(t)
		}, status: 401, code: "UNAUTHORIZED"},
	}
}
