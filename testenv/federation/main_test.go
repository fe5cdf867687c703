// Package federation proves CI federation end to end: a real OIDC issuer
// (testenv/oidcissuer) signs a job's ID token, the real oatstore verifies
// it under an org's trust policy, and two replicas of the real gateway
// (registry_auth in Caddy) accept it as the password in front of the real
// registry, driven by registry clients (go-containerregistry, skopeo).
package federation

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/caddyserver/caddy/v2"

	"github.com/oatgate/oatgate/testenv"
	"github.com/oatgate/oatgate/testenv/oidcissuer"
)

// The package shares one issuer and one stack; each test uses its own org
// and policy, so that tests do not see each other's tokens.
var (
	env    *testenv.Env
	issuer *oidcissuer.Issuer
	// replicas are the gateways' host:port: A, the environment's own
	// (challenge bearer, the default), and B, a second server in the same
	// Caddy (challenge basic) with a verifier and cache of its own.
	replicas [2]replica
)

// replica is one gateway in front of the shared registry and store.
type replica struct {
	name, host, challenge string
}

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	var err error
	if issuer, err = oidcissuer.New(oidcissuer.Options{}); err != nil {
		fmt.Fprintln(os.Stderr, "starting the OIDC issuer:", err)
		return 1
	}
	defer issuer.Close()
	env, err = testenv.Start(testenv.Options{Gateway: gatewayOptions})
	if err != nil {
		fmt.Fprintln(os.Stderr, "starting testenv:", err)
		return 1
	}
	defer func() {
		if err := env.Close(); err != nil {
			fmt.Fprintln(os.Stderr, "stopping testenv:", err)
		}
	}()
	if err := startReplicaB(); err != nil {
		fmt.Fprintln(os.Stderr, "starting the second gateway replica:", err)
		return 1
	}
	if err := waitForReplicas(context.Background()); err != nil {
		fmt.Fprintln(os.Stderr, "waiting for the replicas:", err)
		return 1
	}
	code := m.Run()
	// Never the token: no log of the gateway or the store may hold an ID
	// token the tests presented, whatever the test that presented it.
	if leaks := leakedInto(); len(leaks) > 0 {
		fmt.Fprintln(os.Stderr, "FAIL: an ID token was written to", leaks)
		code = 1
	}
	return code
}

// gatewayOptions are replica A's registry_auth options: a cache that
// outlives every test, so that only the revocation feed can explain a
// refusal within 2 s.
var gatewayOptions = map[string]any{"cache_ttl": "1h", "max_stale": "2h"}

// startReplicaB loads the environment's gateway again with a second server,
// replica B, beside it: another port, `challenge basic`, and a timeout of
// its own. Gateways with the same store options in one Caddy process share
// one verifier (and cache), as a config reload must; the different timeout
// gives B its own, as a second gateway process would have.
func startReplicaB() error {
	hostB, err := testenv.FreeAddr("")
	if err != nil {
		return err
	}
	gw := testenv.GatewayConfig{
		GatewayAddr:  env.GatewayHost,
		RegistryAddr: env.Registry.Addr, StoreURL: env.Store.URL, GatewayKey: env.GatewayKey,
		RegistryAuth: gatewayOptions,
		UsageLog:     env.UsageLog, CaddyLog: env.CaddyLog, StorageDir: filepath.Join(env.Dir, "caddy"),
	}
	raw, err := gw.JSON()
	if err != nil {
		return err
	}
	var cfg map[string]any
	if err := json.Unmarshal(raw, &cfg); err != nil {
		return err
	}
	servers := cfg["apps"].(map[string]any)["http"].(map[string]any)["servers"].(map[string]any)
	var b map[string]any
	if err := json.Unmarshal(mustJSON(servers["gateway"]), &b); err != nil {
		return err
	}
	b["listen"] = []string{hostB}
	handlers := b["routes"].([]any)[0].(map[string]any)["handle"].([]any)
	auth := handlers[0].(map[string]any)
	auth["challenge"], auth["timeout"] = "basic", "4s"
	servers["replica_b"] = b
	if err := caddy.Load(mustJSON(cfg), true); err != nil {
		return fmt.Errorf("loading two replicas: %w", err)
	}
	replicas = [2]replica{
		{name: "replica A (challenge bearer)", host: env.GatewayHost, challenge: "bearer"},
		{name: "replica B (challenge basic)", host: hostB, challenge: "basic"},
	}
	return nil
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}
