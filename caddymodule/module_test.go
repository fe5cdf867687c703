package caddymodule

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2"
)

func TestProvisionErrorsNameTheOption(t *testing.T) {
	t.Setenv("OATGATE_TEST_EMPTY", "")
	tests := []struct {
		name    string
		config  string
		wantErr string
	}{
		{"store is required", `{"store_key":"k"}`, "store is required"},
		{"store must be an http URL", `{"store":"127.0.0.1:8081","store_key":"k"}`, `store "127.0.0.1:8081": want an http:// or https:// URL`},
		{"the key does not go in the URL", `{"store":"http://gw:secret@127.0.0.1:8081","store_key":"k"}`, "put the gateway key in store_key"},
		{"store_key is required", `{"store":"http://127.0.0.1:8081"}`, "store_key is required"},
		{"an unset environment variable is named", `{"store":"http://127.0.0.1:8081","store_key":"{env.OATGATE_TEST_EMPTY}"}`, `store_key "{env.OATGATE_TEST_EMPTY}" is empty after replacing placeholders`},
		{"max_stale below cache_ttl", `{"store":"http://127.0.0.1:8081","store_key":"k","cache_ttl":"10m","max_stale":"1m"}`, "max_stale 1m0s is shorter than cache_ttl 10m0s"},
		{"a negative duration", `{"store":"http://127.0.0.1:8081","store_key":"k","timeout":"-1s"}`, "timeout -1s: must not be negative"},
		{"a realm that would break the challenge", `{"store":"http://127.0.0.1:8081","store_key":"k","realm":"a\"b"}`, "realm"},
		{"a replica listed twice", `{"store":["http://a:8081","http://a:8081"],"store_key":"k"}`, `store "http://a:8081" is listed twice`},
		{"a bad replica URL", `{"store":["http://a:8081","b:8081"],"store_key":"k"}`, `store "b:8081": want an http:// or https:// URL`},
		{"an empty list of stores", `{"store":[],"store_key":"k"}`, "store is required"},
		{"a negative max_stale", `{"store":"http://127.0.0.1:8081","store_key":"k","max_stale":"-1s"}`, "max_stale -1s: must not be negative"},
		{"an invalid anonymous_pull pattern", `{"store":"http://127.0.0.1:8081","store_key":"a-gateway-key-for-tests","anonymous_pull":["Acme/**"]}`, `anonymous_pull "Acme/**"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var ra RegistryAuth
			if err := json.Unmarshal([]byte(tt.config), &ra); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := caddy.NewContext(caddy.Context{Context: context.Background()})
			defer cancel()
			err := ra.Provision(ctx)
			if err == nil {
				_ = ra.Cleanup()
				t.Fatalf("Provision succeeded, want an error containing %q", tt.wantErr)
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Provision error = %q, want it to contain %q", err, tt.wantErr)
			}
		})
	}
}

func TestProvisionAppliesDefaultsAndCleansUp(t *testing.T) {
	t.Setenv("OATGATE_TEST_KEY", "gateway-key-for-tests")
	ra := RegistryAuth{Store: StoreURLs{"http://127.0.0.1:1"}, StoreKey: "{env.OATGATE_TEST_KEY}"}
	ctx, cancel := caddy.NewContext(caddy.Context{Context: context.Background()})
	defer cancel()
	if err := ra.Provision(ctx); err != nil {
		t.Fatal(err)
	}
	if err := ra.Validate(); err != nil {
		t.Errorf("Validate after Provision: %v", err)
	}
	if ra.Realm != DefaultRealm || ra.MaxPageSize != DefaultMaxPageSize {
		t.Errorf("defaults: realm %q, max_page_size %d", ra.Realm, ra.MaxPageSize)
	}
	if ra.StoreKey != "{env.OATGATE_TEST_KEY}" {
		t.Errorf("Provision rewrote store_key in the config to %q; the placeholder must stay so the secret is never in config dumps", ra.StoreKey)
	}
	if err := ra.Cleanup(); err != nil {
		t.Errorf("Cleanup: %v", err)
	}
	if err := ra.Cleanup(); err != nil {
		t.Errorf("a second Cleanup: %v", err)
	}
}

// TestJSONRoundTrips: the JSON `caddy adapt` writes decodes into the module
// and encodes back to the same JSON.
func TestJSONRoundTrips(t *testing.T) {
	const in = `{"store":"https://s:8443","store_key":"{env.K}","realm":"r","cache_size":5,"cache_ttl":60000000000,"negative_ttl":1000000000,"max_stale":120000000000,"timeout":3000000000,"retries":0,"revocation_poll":500000000,"anonymous_pull":["acme/public/**"],"max_page_size":10}`
	var ra RegistryAuth
	if err := json.Unmarshal([]byte(in), &ra); err != nil {
		t.Fatal(err)
	}
	out, err := json.Marshal(ra)
	if err != nil {
		t.Fatal(err)
	}
	if string(out) != in {
		t.Errorf("round trip:\n got %s\nwant %s", out, in)
	}
}

func TestStoreAndMaxStaleJSONRoundTrip(t *testing.T) {
	tests := []struct {
		name, in string
	}{
		{"one store is a string, as before", `{"store":"http://a:8081","store_key":"k"}`},
		{"several stores are an array", `{"store":["http://a:8081","http://b:8081"],"store_key":"k"}`},
		{"max_stale 0 is kept, meaning off", `{"store":"http://a:8081","store_key":"k","max_stale":0}`},
		{"an omitted max_stale stays omitted, meaning the default", `{"store":"http://a:8081","store_key":"k"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var ra RegistryAuth
			if err := json.Unmarshal([]byte(tt.in), &ra); err != nil {
				t.Fatal(err)
			}
			out, err := json.Marshal(ra)
			if err != nil {
				t.Fatal(err)
			}
			if string(out) != tt.in {
				t.Errorf("round trip:\n got %s\nwant %s", out, tt.in)
			}
		})
	}
	t.Run("a store that is neither a string nor an array is refused", func(t *testing.T) {
		var ra RegistryAuth
		if err := json.Unmarshal([]byte(`{"store":8081}`), &ra); err == nil {
			t.Fatalf("got %v, want an error", ra.Store)
		}
	})
}

func TestStoreOptionsReachTheVerifier(t *testing.T) {
	t.Setenv("OATGATE_TEST_STORES", "http://a:8081  http://b:8081")
	tests := []struct {
		name        string
		config      string
		wantStores  []string
		wantNoStale bool
		wantStale   time.Duration
	}{
		{"one store", `{"store":"http://a:8081","store_key":"a-gateway-key-for-tests"}`, []string{"http://a:8081"}, false, 0},
		{"replicas in an array", `{"store":["http://a:8081","http://b:8081"],"store_key":"a-gateway-key-for-tests"}`, []string{"http://a:8081", "http://b:8081"}, false, 0},
		{"replicas in one environment variable", `{"store":"{env.OATGATE_TEST_STORES}","store_key":"a-gateway-key-for-tests"}`, []string{"http://a:8081", "http://b:8081"}, false, 0},
		{"max_stale 0 turns the stale window off", `{"store":"http://a:8081","store_key":"a-gateway-key-for-tests","max_stale":0}`, []string{"http://a:8081"}, true, 0},
		{"max_stale set is passed on", `{"store":"http://a:8081","store_key":"a-gateway-key-for-tests","max_stale":"1h"}`, []string{"http://a:8081"}, false, time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ra := provisioned(t, tt.config)
			cfg := ra.verifierConfig("k")
			if !slices.Equal(cfg.StoreURLs, tt.wantStores) || cfg.NoStale != tt.wantNoStale || cfg.MaxStale != tt.wantStale {
				t.Errorf("verifier config: got stores %q, no stale %v, max stale %s; want %q, %v, %s",
					cfg.StoreURLs, cfg.NoStale, cfg.MaxStale, tt.wantStores, tt.wantNoStale, tt.wantStale)
			}
		})
	}
}

// provisioned provisions a handler from its JSON config and cleans it up
// when the test ends.
func provisioned(t *testing.T, config string) *RegistryAuth {
	t.Helper()
	var ra RegistryAuth
	if err := json.Unmarshal([]byte(config), &ra); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := caddy.NewContext(caddy.Context{Context: context.Background()})
	t.Cleanup(cancel)
	if err := ra.Provision(ctx); err != nil {
		t.Fatalf("Provision: %v", err)
	}
	t.Cleanup(func() { _ = ra.Cleanup() })
	return &ra
}

func TestConfigsWithTheSameStoreOptionsShareOneVerifier(t *testing.T) {
	const cfg = `{"store":"http://127.0.0.1:1","store_key":"a-shared-key-for-tests","cache_ttl":"7m"}`
	old := provisioned(t, cfg)
	reloaded := provisioned(t, cfg) // a reload provisions the new config first
	if old.verifier != reloaded.verifier {
		t.Fatal("a reload with the same store options built a new verifier, want the cached one kept")
	}
	other := provisioned(t, `{"store":"http://127.0.0.1:1","store_key":"another-key-for-tests","cache_ttl":"7m"}`)
	if other.verifier == old.verifier {
		t.Fatal("a different store key shares the verifier, want its own")
	}
	kept := reloaded.verifier
	if err := old.Cleanup(); err != nil { // then cleans up the old one
		t.Fatal(err)
	}
	if n, ok := verifiers.References(reloaded.poolKey); !ok || n != 1 {
		t.Fatalf("after the old config's cleanup: %d references (found %v), want the new config's 1", n, ok)
	}
	if kept != reloaded.verifier {
		t.Fatal("the new config lost its verifier when the old one was cleaned up")
	}
	key := reloaded.poolKey
	if err := reloaded.Cleanup(); err != nil {
		t.Fatal(err)
	}
	if _, ok := verifiers.References(key); ok {
		t.Fatal("the verifier is still pooled after its last config was cleaned up")
	}
}
