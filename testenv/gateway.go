package testenv

import (
	"encoding/json"
	"fmt"
	"maps"

	"github.com/caddyserver/caddy/v2"
)

// GatewayConfig describes a gateway's Caddy config: the gateway server
// (registry_auth + reverse_proxy) in front of a registry, optionally a bare
// reverse_proxy server in front of the same registry (for comparisons) and a
// metrics server, with usage events in a log of their own. The environment
// loads one in-process; the benchmarks run one in a process of their own.
type GatewayConfig struct {
	// GatewayAddr is the gateway's listen address; BareAddr and MetricsAddr,
	// when set, add the bare and metrics servers.
	GatewayAddr, BareAddr, MetricsAddr string
	// RegistryAddr is the registry's host:port; StoreURL and GatewayKey are
	// registry_auth's store and store_key.
	RegistryAddr, StoreURL, GatewayKey string
	// RegistryAuth holds extra registry_auth options in their JSON form
	// (e.g. {"cache_ttl": "1h"}).
	RegistryAuth map[string]any
	// UpstreamHeaders are set on every request the gateway forwards.
	UpstreamHeaders map[string]string
	// UsageLog and CaddyLog are files ("stderr" or "" for stderr);
	// StorageDir is Caddy's storage. LogLevel defaults to INFO.
	UsageLog, CaddyLog, StorageDir, LogLevel string
	// ReplicaAddrs add gateway replicas: servers like the gateway on these
	// addresses, each with a verifier and a usage reporter of its own, as
	// replicas in processes of their own have (Caddy is one per process).
	ReplicaAddrs []string
}

// replicaAuth is registry_auth's options for replica n (1, 2, ...): the
// gateway's, with cache_size and usage_report_buffer moved by n, which
// gives the replica its own pooled verifier and reporter.
func replicaAuth(auth map[string]any, n int) map[string]any {
	out := maps.Clone(auth)
	for opt, def := range map[string]int{"cache_size": 100000, "usage_report_buffer": 100000} {
		v := def
		if set, ok := out[opt].(int); ok {
			v = set
		}
		out[opt] = v + n
	}
	return out
}

// JSON is the config as Caddy loads it, with the admin endpoint off: tests
// and benchmarks share the machine.
func (c GatewayConfig) JSON() ([]byte, error) {
	auth := map[string]any{
		"handler":   "registry_auth",
		"store":     c.StoreURL,
		"store_key": c.GatewayKey,
	}
	maps.Copy(auth, c.RegistryAuth)
	proxy := map[string]any{
		"handler":   "reverse_proxy",
		"upstreams": []map[string]any{{"dial": c.RegistryAddr}},
	}
	if len(c.UpstreamHeaders) > 0 {
		set := map[string][]string{}
		for k, v := range c.UpstreamHeaders {
			set[k] = []string{v}
		}
		proxy["headers"] = map[string]any{"request": map[string]any{"set": set}}
	}
	server := func(addr string, handlers ...map[string]any) map[string]any {
		return map[string]any{
			"listen":          []string{addr},
			"automatic_https": map[string]any{"disable": true},
			"routes":          []map[string]any{{"handle": handlers}},
			"logs":            map[string]any{},
		}
	}
	servers := map[string]any{"gateway": server(c.GatewayAddr, auth, proxy)}
	for i, addr := range c.ReplicaAddrs {
		servers[fmt.Sprintf("gateway-%d", i+1)] = server(addr, replicaAuth(auth, i+1), proxy)
	}
	if c.BareAddr != "" {
		servers["bare"] = server(c.BareAddr, proxy)
	}
	if c.MetricsAddr != "" {
		servers["metrics"] = server(c.MetricsAddr, map[string]any{"handler": "metrics"})
	}
	level := c.LogLevel
	if level == "" {
		level = "INFO"
	}
	usageLogger := "http.handlers.registry_auth.usage"
	logs := map[string]any{
		"default": map[string]any{
			"level":   level,
			"exclude": []string{usageLogger},
			"writer":  writer(c.CaddyLog),
		},
		"usage": map[string]any{
			"level":   "INFO",
			"include": []string{usageLogger},
			"writer":  writer(c.UsageLog),
			"encoder": map[string]any{"format": "json"},
		},
	}
	cfg := map[string]any{
		"admin":   map[string]any{"disabled": true, "config": map[string]any{"persist": false}},
		"storage": map[string]any{"module": "file_system", "root": c.StorageDir},
		"logging": map[string]any{"logs": logs},
		"apps":    map[string]any{"http": map[string]any{"servers": servers}},
	}
	b, err := json.Marshal(cfg)
	if err != nil {
		return nil, fmt.Errorf("encoding the gateway's config: %w", err)
	}
	return b, nil
}

func writer(path string) map[string]any {
	if path == "" || path == "stderr" {
		return map[string]any{"output": "stderr"}
	}
	return map[string]any{"output": "file", "filename": path, "roll": false}
}

// loadGateway starts Caddy with cfg. Caddy is one per process, so one
// environment at a time.
func loadGateway(cfg []byte) error {
	if err := caddy.Load(cfg, true); err != nil {
		return fmt.Errorf("starting the gateway: %w", err)
	}
	return nil
}

func stopGateway() error { return caddy.Stop() }
