package e2e

import (
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
// the environment's (nil: unchanged), and waits until only the new config's
// server answers. caddy.Load returns once the old server has begun to shut
// down: until its listener is closed, a connection the kernel queued on it
// is reset. So the wait is for several answers in a row on fresh
// connections, polled some 50 ms apart, and the client's idle connections
// to the old server are dropped.
func reload(t *testing.T, gateway map[string]any) {
	t.Helper()
	if err := env.ReloadGateway(gateway); err != nil {
		t.Fatal(err)
	}
	http.DefaultTransport.(*http.Transport).CloseIdleConnections()
	probe := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: time.Second}
	inARow := 0
	testenv.Eventually(t, 10*time.Second, "only the reloaded gateway answering", func() bool {
		resp, err := probe.Get(env.GatewayURL + "/v2/")
		if err != nil {
			inARow = 0
			return false
		}
		resp.Body.Close()
		inARow++
		return inARow >= 5
	})
}
