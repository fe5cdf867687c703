package verify

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestNewChecksTheConfig(t *testing.T) {
	good := func() Config { return Config{StoreURL: "http://127.0.0.1:8081", StoreKey: "k"} }
	tests := []struct {
		name     string
		mutate   func(*Config)
		wantName string // the option the error must name; "" means no error
	}{
		{"a minimal config is accepted", func(*Config) {}, ""},
		{"a missing store URL is refused", func(c *Config) { c.StoreURL = "" }, "StoreURL"},
		{"a store URL without a scheme is refused", func(c *Config) { c.StoreURL = "127.0.0.1:8081" }, "StoreURL"},
		{"a store URL with a query is refused", func(c *Config) { c.StoreURL = "http://h/?x=1" }, "StoreURL"},
		{"an ftp store URL is refused", func(c *Config) { c.StoreURL = "ftp://h" }, "StoreURL"},
		{"a missing store key is refused", func(c *Config) { c.StoreKey = "" }, "StoreKey"},
		{"a negative cache size is refused", func(c *Config) { c.CacheSize = -1 }, "CacheSize"},
		{"a negative cache TTL is refused", func(c *Config) { c.CacheTTL = -time.Second }, "CacheTTL"},
		{"a negative timeout is refused", func(c *Config) { c.Timeout = -time.Second }, "Timeout"},
		{"a cache TTL above the default max stale raises its default", func(c *Config) { c.CacheTTL = time.Hour }, ""},
		{"a max stale below the cache TTL is refused", func(c *Config) { c.CacheTTL, c.MaxStale = time.Hour, time.Minute }, "MaxStale"},
		{"a max stale equal to the cache TTL is accepted", func(c *Config) { c.CacheTTL, c.MaxStale = time.Minute, time.Minute }, ""},
		{"several replicas are accepted", func(c *Config) { c.StoreURL, c.StoreURLs = "", []string{"http://a:8081", "http://b:8081"} }, ""},
		{"a replica listed twice is refused", func(c *Config) { c.StoreURL, c.StoreURLs = "", []string{"http://a:8081", "http://a:8081"} }, "listed twice"},
		{"a bad replica URL is refused", func(c *Config) { c.StoreURL, c.StoreURLs = "", []string{"http://a:8081", "b:8081"} }, "StoreURL"},
		{"both StoreURL and StoreURLs are refused", func(c *Config) { c.StoreURLs = []string{"http://b:8081"} }, "StoreURLs"},
		{"no stale window is accepted", func(c *Config) { c.NoStale = true }, ""},
		{"no stale window with a short cache TTL is accepted", func(c *Config) { c.NoStale, c.CacheTTL = true, 10*time.Second }, ""},
		{"no stale window with a max stale is refused", func(c *Config) { c.NoStale, c.MaxStale = true, time.Hour }, "MaxStale"},
		{"a negative refusal cache size is refused", func(c *Config) { c.RefusalCacheSize = -1 }, "RefusalCacheSize"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := good()
			tt.mutate(&cfg)
			v, err := New(cfg)
			if tt.wantName == "" {
				if err != nil {
					t.Fatalf("New: got %v, want no error", err)
				}
				v.Close()
				return
			}
			if err == nil {
				v.Close()
				t.Fatalf("New: got no error, want one naming %s", tt.wantName)
			}
			if !errors.Is(err, ErrInvalidConfig) || !strings.Contains(err.Error(), tt.wantName) {
				t.Fatalf("New: got %q, want an ErrInvalidConfig naming %s", err, tt.wantName)
			}
		})
	}
}

func TestNewAppliesDefaults(t *testing.T) {
	got, err := Config{StoreURL: "http://127.0.0.1:8081", StoreKey: "k"}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	if got.CacheSize != 100_000 || got.CacheTTL != 5*time.Minute || got.NegativeTTL != 30*time.Second ||
		got.MaxStale != 15*time.Minute || got.Timeout != 5*time.Second || got.Retries != 2 ||
		got.RevocationPoll != time.Second || got.Logger == nil || got.Observer == nil || got.Now == nil {
		t.Fatalf("defaults: got %v, want 100000/5m/30s/15m/5s/2/1s and non-nil hooks", got)
	}
	if got.RefusalCacheSize != 25_000 || got.UnknownPerMinute != 60 || got.NoStale || len(got.StoreURLs) != 1 {
		t.Fatalf("defaults: got %v, want 25000 refusals, 60 unknown per minute, a stale window and one store", got)
	}
	small, err := Config{StoreURL: "http://h", StoreKey: "k", CacheSize: 50, UnknownPerMinute: -1}.withDefaults()
	if err != nil || small.RefusalCacheSize != 1024 || small.UnknownPerMinute != 0 {
		t.Fatalf("CacheSize 50, UnknownPerMinute -1: got (%v, %v), want 1024 refusals and no bound", small, err)
	}
	noRetries, err := Config{StoreURL: "http://h", StoreKey: "k", Retries: -1}.withDefaults()
	if err != nil || noRetries.Retries != 0 {
		t.Fatalf("Retries -1: got (%d, %v), want (0, nil)", noRetries.Retries, err)
	}
}

func TestConfigNeverPrintsTheStoreKey(t *testing.T) {
	cfg := Config{StoreURL: "http://h", StoreKey: "s3cret-gateway-key"}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
		if out := fmt.Sprintf(verb, cfg); strings.Contains(out, "s3cret") {
			t.Errorf("Sprintf(%q): got %s, want the key redacted", verb, out)
		}
	}
}
