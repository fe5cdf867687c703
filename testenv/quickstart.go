package testenv

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// QuickStart creates org if it does not exist (with the store's default
// settings; an existing org keeps its own) and one token that may pull,
// push and delete every repository of it, as `make run` shows.
func QuickStart(ctx context.Context, env *Env, org string) (Token, error) {
	// PUT with no field creates the org or leaves it as it is.
	if err := env.Admin.do(ctx, http.MethodPut, "/v1/orgs/"+url.PathEscape(org), map[string]any{}, nil); err != nil {
		return Token{}, err
	}
	return env.Admin.CreateToken(ctx, org, TokenRequest{
		Label:       fmt.Sprintf("quickstart-%s", randomKey()[:8]),
		Description: "created by make run",
		Scopes:      []string{"repository:" + org + "/**:pull,push,delete"},
		ExpiresIn:   "30d",
	})
}

// DockerLogin is the exact login command make run prints; the Docker tests
// run it as printed, so the quick start cannot rot.
func DockerLogin(env *Env, org string) string {
	return fmt.Sprintf("docker login %s -u %s --password-stdin", env.GatewayHost, org)
}

// Instructions is what make run prints: where everything is, client lines
// that work against it, and the variables another gateway needs.
func Instructions(env *Env, org string, tok Token) string {
	var b strings.Builder
	fmt.Fprintf(&b, "oatgate is running\n\n")
	fmt.Fprintf(&b, "  gateway   %s   (registry_auth + reverse_proxy)\n", env.GatewayURL)
	fmt.Fprintf(&b, "  registry  %s   (distribution v3, data in %s/registry)\n", env.Registry.URL, env.Dir)
	fmt.Fprintf(&b, "  oatstore  %s   (SQLite %s)\n", env.Store.URL, env.Store.DBPath)
	fmt.Fprintf(&b, "  usage     %s\n", env.UsageLog)
	if env.MetricsURL != "" {
		fmt.Fprintf(&b, "  metrics   %s   (Caddy's and registry_auth's Prometheus metrics)\n", env.MetricsURL)
	}
	b.WriteString("\n")
	fmt.Fprintf(&b, "org %q, token %s (%s) may pull, push and delete %s/**\n\n", org, tok.ID, tok.Label, org)
	fmt.Fprintf(&b, "Docker (loopback registries need no TLS):\n")
	fmt.Fprintf(&b, "  echo '%s' | %s\n", tok.Secret, DockerLogin(env, org))
	fmt.Fprintf(&b, "  docker tag <image> %s/%s/app:latest && docker push %s/%s/app:latest\n\n", env.GatewayHost, org, env.GatewayHost, org)
	fmt.Fprintf(&b, "skopeo:\n  skopeo copy --dest-tls-verify=false --dest-creds '%s:%s' docker-archive:image.tar docker://%s/%s/app:latest\n\n", org, tok.Secret, env.GatewayHost, org)
	fmt.Fprintf(&b, "crane:\n  crane auth login %s -u %s -p '%s' && crane ls --insecure %s/%s/app\n\n", env.GatewayHost, org, tok.Secret, env.GatewayHost, org)
	fmt.Fprintf(&b, "oatstore CLI (more tokens, revocation, audit):\n  export OATSTORE_SERVER=%s OATSTORE_ADMIN_KEY=%s\n  go run ./cmd/oatstore token list --org %s\n\n", env.Store.URL, env.AdminKey, org)
	fmt.Fprintf(&b, "Another gateway (any of examples/) against this oatstore and registry:\n  export OATSTORE_URL=%s OATSTORE_GATEWAY_KEY=%s REGISTRY_UPSTREAM=%s GATEWAY_PORT=6080\n  go run ./cmd/oatgate run --config examples/multi-org/Caddyfile\n\n", env.Store.URL, env.GatewayKey, env.Registry.Addr)
	return b.String()
}
