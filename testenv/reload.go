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
	opts := e.opts
	opts.Gateway = maps.Clone(e.opts.Gateway)
	if opts.Gateway == nil {
		opts.Gateway = map[string]any{}
	}
	for k, v := range gateway {
		if v == nil {
			delete(opts.Gateway, k)
			continue
		}
		opts.Gateway[k] = v
	}
	if e.MetricsURL != "" {
		opts.metricsAddr = strings.TrimSuffix(strings.TrimPrefix(e.MetricsURL, "http://"), "/metrics")
	}
	cfg, err := gatewayConfig(&opts, e.GatewayHost, strings.TrimPrefix(e.BareURL, "http://"), e.Registry.Addr,
		e.Store.URL, e.GatewayKey, e.UsageLog, e.CaddyLog, filepath.Join(e.Dir, "caddy"))
	if err != nil {
		return err
	}
	if err := caddy.Load(cfg, true); err != nil {
		return fmt.Errorf("reloading the gateway: %w", err)
	}
	return nil
}
