package caddymodule

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2"
)

const testStore = `"store":"http://127.0.0.1:1"`

func TestBearerOptionErrorsNameTheOption(t *testing.T) {
	t.Setenv("OATGATE_TEST_EMPTY", "")
	tests := []struct {
		name    string
		config  string
		wantErr string
	}{
		{"an unknown challenge", `{` + testStore + `,"store_key":"a-gateway-key-for-tests","challenge":"digest"}`, `challenge "digest": want bearer or basic`},
		{"a token path under /v2/", `{` + testStore + `,"store_key":"a-gateway-key-for-tests","token_path":"/v2/token"}`, `token_path "/v2/token"`},
		{"a token path that is not a path", `{` + testStore + `,"store_key":"a-gateway-key-for-tests","token_path":"token"}`, `token_path "token"`},
		{"a token path with a query", `{` + testStore + `,"store_key":"a-gateway-key-for-tests","token_path":"/token?x=1"}`, `token_path "/token?x=1"`},
		{"a token ttl below a second", `{` + testStore + `,"store_key":"a-gateway-key-for-tests","token_ttl":"500ms"}`, "token_ttl 500ms: want 1s to 1h0m0s"},
		{"a token ttl above an hour", `{` + testStore + `,"store_key":"a-gateway-key-for-tests","token_ttl":"2h"}`, "token_ttl 2h0m0s: want 1s to 1h0m0s"},
		{"a service that would break the challenge", `{` + testStore + `,"store_key":"a-gateway-key-for-tests","service":"a\"b"}`, "service"},
		{"a short token key", `{` + testStore + `,"store_key":"a-gateway-key-for-tests","token_key":"short"}`, `token_key "short": at least 16 bytes`},
		{"an unset token key variable", `{` + testStore + `,"store_key":"a-gateway-key-for-tests","token_key":"{env.OATGATE_TEST_EMPTY}"}`, `token_key "{env.OATGATE_TEST_EMPTY}" is empty after replacing placeholders`},
		{"a store key too short to sign with in bearer mode", `{` + testStore + `,"store_key":"short"}`, "set token_key"},
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

func TestBearerOptionDefaults(t *testing.T) {
	tests := []struct {
		name         string
		ra           RegistryAuth
		wantEndpoint bool
	}{
		{"bearer is the default, with the token endpoint at /token", RegistryAuth{Store: StoreURLs{"http://127.0.0.1:1"}, StoreKey: "a-gateway-key-for-tests"}, true},
		{"basic mode still serves bearer tokens when it can sign them", RegistryAuth{Store: StoreURLs{"http://127.0.0.1:1"}, StoreKey: "a-gateway-key-for-tests", Challenge: "basic"}, true},
		{"basic mode with a short store key keeps working, without bearer tokens", RegistryAuth{Store: StoreURLs{"http://127.0.0.1:1"}, StoreKey: "short", Challenge: "basic"}, false},
		{"a token key lets a short store key sign", RegistryAuth{Store: StoreURLs{"http://127.0.0.1:1"}, StoreKey: "short", TokenKey: "a-token-key-for-tests"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := caddy.NewContext(caddy.Context{Context: context.Background()})
			defer cancel()
			ra := tt.ra
			if err := ra.Provision(ctx); err != nil {
				t.Fatalf("Provision: %v", err)
			}
			defer ra.Cleanup()
			if ra.TokenPath != DefaultTokenPath || ra.Service != DefaultService || time.Duration(ra.TokenTTL) != DefaultTokenTTL {
				t.Errorf("defaults: token_path %q, service %q, token_ttl %s; want %q, %q, %s", ra.TokenPath, ra.Service, time.Duration(ra.TokenTTL), DefaultTokenPath, DefaultService, DefaultTokenTTL)
			}
			if tt.ra.Challenge == "" && ra.Challenge != DefaultChallenge {
				t.Errorf("challenge %q, want %q", ra.Challenge, DefaultChallenge)
			}
			if got := ra.bearer.endpoint != nil; got != tt.wantEndpoint {
				t.Errorf("token endpoint served: %v, want %v", got, tt.wantEndpoint)
			}
		})
	}
}

func TestBearerOptionsRoundTripJSON(t *testing.T) {
	const in = `{"store":"https://s:8443","store_key":"{env.K}","challenge":"basic","token_path":"/auth/token","token_ttl":600000000000,"service":"registry.example.com","token_key":"{env.T}"}`
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
