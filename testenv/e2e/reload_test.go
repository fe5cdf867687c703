package e2e

import (
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/oatgate/oatgate/testenv"
)

// Issue 12 item 1: a config reload used to build a new verifier, throwing
// its cache away. These reload through Caddy, as `caddy reload --force` does.

func TestAReloadDuringAStoreOutageKeepsCachedTokensWorking(t *testing.T) {
	tok := env.MintToken(t, "reloadout", "repository:reloadout/**:pull")
	if resp := env.Call(t, "GET", "/v2/", "reloadout", tok.Secret, nil); resp.StatusCode != http.StatusOK {
		t.Fatalf("before the outage: status %d, want 200", resp.StatusCode)
	}
	if err := env.StopStore(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := env.RestartStore(); err != nil {
			t.Errorf("restarting the store: %v", err)
		}
	})
	reload(t, nil)
	if resp := env.Call(t, "GET", "/v2/", "reloadout", tok.Secret, nil); resp.StatusCode != http.StatusOK {
		t.Fatalf("after a reload with the store down: status %d, want 200 from the cache kept across the reload", resp.StatusCode)
	}
}

func TestAReloadDoesNotAskTheStoreAgainAboutCachedTokens(t *testing.T) {
	var tokens []string
	for range 5 {
		tok := env.MintToken(t, "reloadherd", "repository:reloadherd/**:pull")
		if resp := env.Call(t, "GET", "/v2/", "reloadherd", tok.Secret, nil); resp.StatusCode != http.StatusOK {
			t.Fatalf("before the reload: status %d, want 200", resp.StatusCode)
		}
		tokens = append(tokens, tok.Secret)
	}
	before := env.Store.Introspections()
	reload(t, nil)
	for _, secret := range tokens {
		if resp := env.Call(t, "GET", "/v2/", "reloadherd", secret, nil); resp.StatusCode != http.StatusOK {
			t.Fatalf("after the reload: status %d, want 200", resp.StatusCode)
		}
	}
	if after := env.Store.Introspections(); after != before {
		t.Fatalf("the reload cost %d introspections of tokens already cached, want 0", after-before)
	}
}

// reload reloads the gateway's config, with gateway overriding options of
// the environment's (nil: unchanged), and waits until the gateway accepts
// connections again: the old config's server closes its idle connections,
// and a connection that reached the old listener's queue just before it
// closed is reset.
func reload(t *testing.T, gateway map[string]any) {
	t.Helper()
	if err := env.ReloadGateway(gateway); err != nil {
		t.Fatal(err)
	}
	http.DefaultTransport.(*http.Transport).CloseIdleConnections()
	testenv.Eventually(t, 5*time.Second, "the gateway accepting connections after the reload", func() bool {
		for range 3 {
			conn, err := net.DialTimeout("tcp", env.GatewayHost, time.Second)
			if err != nil {
				return false
			}
			conn.Close()
		}
		return true
	})
}
