package testenv

import (
	"encoding/json"
	"slices"
	"testing"
)

func TestGatewayConfigHoldsTheServersAskedFor(t *testing.T) {
	base := GatewayConfig{
		GatewayAddr: "127.0.0.1:1", RegistryAddr: "127.0.0.1:2", StoreURL: "http://127.0.0.1:3", GatewayKey: "k",
		UsageLog: "/logs/usage.log", CaddyLog: "stderr", StorageDir: "/caddy",
	}
	withAll := base
	withAll.BareAddr, withAll.MetricsAddr = "127.0.0.1:4", "127.0.0.1:5"
	withAll.RegistryAuth = map[string]any{"cache_ttl": "1h"}
	for _, tt := range []struct {
		name        string
		cfg         GatewayConfig
		wantServers []string
		wantTTL     any
	}{
		{"the gateway alone", base, []string{"gateway"}, nil},
		{"a bare proxy, metrics and extra registry_auth options", withAll, []string{"bare", "gateway", "metrics"}, "1h"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			b, err := tt.cfg.JSON()
			if err != nil {
				t.Fatal(err)
			}
			var cfg struct {
				Admin struct{ Disabled bool }
				Apps  struct {
					HTTP struct {
						Servers map[string]struct {
							Routes []struct{ Handle []map[string]any }
						}
					}
				}
				Logging struct {
					Logs map[string]struct {
						Include []string
						Writer  map[string]any
					}
				}
			}
			if err := json.Unmarshal(b, &cfg); err != nil {
				t.Fatal(err)
			}
			var servers []string
			for name := range cfg.Apps.HTTP.Servers {
				servers = append(servers, name)
			}
			slices.Sort(servers)
			if !slices.Equal(servers, tt.wantServers) {
				t.Errorf("servers: got %v, want %v", servers, tt.wantServers)
			}
			if !cfg.Admin.Disabled {
				t.Error("the admin endpoint is on; tests share the machine")
			}
			auth := cfg.Apps.HTTP.Servers["gateway"].Routes[0].Handle[0]
			if auth["handler"] != "registry_auth" || auth["store"] != tt.cfg.StoreURL || auth["cache_ttl"] != tt.wantTTL {
				t.Errorf("the gateway's first handler: got %v, want registry_auth on %s with cache_ttl %v", auth, tt.cfg.StoreURL, tt.wantTTL)
			}
			usage := cfg.Logging.Logs["usage"]
			if !slices.Equal(usage.Include, []string{"http.handlers.registry_auth.usage"}) || usage.Writer["filename"] != tt.cfg.UsageLog {
				t.Errorf("usage log: got %+v, want registry_auth's usage logger alone, written to %s", usage, tt.cfg.UsageLog)
			}
		})
	}
}
