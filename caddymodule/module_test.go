package caddymodule

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

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
	ra := RegistryAuth{Store: "http://127.0.0.1:1", StoreKey: "{env.OATGATE_TEST_KEY}"}
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
