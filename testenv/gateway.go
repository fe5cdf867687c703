package testenv

import (
	"encoding/json"
	"fmt"
	"maps"

	"github.com/caddyserver/caddy/v2"
)

// gatewayConfig is the Caddy JSON config of the environment: the gateway
// server (registry_auth + reverse_proxy) and, when asked, a bare
// reverse_proxy server in front of the same registry for comparisons.
func gatewayConfig(o *Options, gatewayAddr, bareAddr, registryAddr, storeURL, gatewayKey, usageLog, caddyLog, caddyDir string) ([]byte, error) {
	auth := map[string]any{
		"handler":   "registry_auth",
		"store":     storeURL,
		"store_key": gatewayKey,
	}
	maps.Copy(auth, o.Gateway)
	proxy := map[string]any{
		"handler":   "reverse_proxy",
		"upstreams": []map[string]any{{"dial": registryAddr}},
	}
	if len(o.UpstreamHeaders) > 0 {
		set := map[string][]string{}
		for k, v := range o.UpstreamHeaders {
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
	servers := map[string]any{"gateway": server(gatewayAddr, auth, proxy)}
	if bareAddr != "" {
		servers["bare"] = server(bareAddr, proxy)
	}
	if o.metricsAddr != "" {
		servers["metrics"] = server(o.metricsAddr, map[string]any{"handler": "metrics"})
	}
	usageLogger := "http.handlers.registry_auth.usage"
	logs := map[string]any{
		"default": map[string]any{
			"level":   o.logLevel(),
			"exclude": []string{usageLogger},
			"writer":  writer(caddyLog),
		},
		"usage": map[string]any{
			"level":   "INFO",
			"include": []string{usageLogger},
			"writer":  writer(usageLog),
			"encoder": map[string]any{"format": "json"},
		},
	}
	cfg := map[string]any{
		"admin":   map[string]any{"disabled": true, "config": map[string]any{"persist": false}},
		"storage": map[string]any{"module": "file_system", "root": caddyDir},
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
