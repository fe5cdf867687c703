package testenv

import (
	"fmt"
	"maps"
	"path/filepath"
	"strings"

	"github.com/caddyserver/caddy/v2"
)

// ReloadGateway loads the gateway's config again, as `caddy reload --force`
// does after an unrelated change: Caddy provisions the new config, then
// cleans up the old one. gateway, when not nil, overrides registry_auth
// options of the environment's for this load only (JSON form, e.g.
// {"cache_ttl": "1h"}; a nil value removes an option): ReloadGateway(nil)
// goes back to the environment's own.
func (e *Env) ReloadGateway(gateway map[string]any) error {
	auth := maps.Clone(e.opts.Gateway)
	if auth == nil {
		auth = map[string]any{}
	}
	for k, v := range gateway {
		if v == nil {
			delete(auth, k)
			continue
		}
		auth[k] = v
	}
	gw := GatewayConfig{
		GatewayAddr:  e.GatewayHost,
		BareAddr:     strings.TrimPrefix(e.BareURL, "http://"),
		MetricsAddr:  strings.TrimSuffix(strings.TrimPrefix(e.MetricsURL, "http://"), "/metrics"),
		RegistryAddr: e.Registry.Addr, StoreURL: e.Store.URL, GatewayKey: e.GatewayKey,
		RegistryAuth: auth, UpstreamHeaders: e.opts.UpstreamHeaders,
		UsageLog: e.UsageLog, CaddyLog: e.CaddyLog, StorageDir: filepath.Join(e.Dir, "caddy"), LogLevel: e.opts.LogLevel,
	}
	for _, u := range e.ReplicaURLs {
		gw.ReplicaAddrs = append(gw.ReplicaAddrs, strings.TrimPrefix(u, "http://"))
	}
	cfg, err := gw.JSON()
	if err != nil {
		return err
	}
	if err := caddy.Load(cfg, true); err != nil {
		return fmt.Errorf("reloading the gateway: %w", err)
	}
	return nil
}
