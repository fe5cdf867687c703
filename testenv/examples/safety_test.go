package examples

import (
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/caddyserver/caddy/v2"
)

// tlsExample is the one example that is about TLS: the only one allowed to
// serve HTTPS (and still never to touch a trust store).
const tlsExample = "tls"

// adaptedConfig is the part of an adapted config the safety checks read.
type adaptedConfig struct {
	Apps struct {
		HTTP struct {
			HTTPPort int                      `json:"http_port"`
			Servers  map[string]adaptedServer `json:"servers"`
		} `json:"http"`
		PKI *struct {
			CAs map[string]struct {
				InstallTrust *bool `json:"install_trust"`
			} `json:"certificate_authorities"`
		} `json:"pki"`
		TLS json.RawMessage `json:"tls"`
	} `json:"apps"`
}

type adaptedServer struct {
	Listen         []string `json:"listen"`
	AutomaticHTTPS *struct {
		Disable bool     `json:"disable"`
		Skip    []string `json:"skip"`
	} `json:"automatic_https"`
	Routes []struct {
		Match []struct {
			Host []string `json:"host"`
		} `json:"match"`
	} `json:"routes"`
}

// nonLoopback returns the listen addresses of s that are not on loopback.
func (s adaptedServer) nonLoopback(t *testing.T) []string {
	t.Helper()
	var out []string
	for _, l := range s.Listen {
		addr, err := caddy.ParseNetworkAddress(l)
		if err != nil {
			t.Fatalf("listen address %q: %v", l, err)
		}
		if ip := net.ParseIP(addr.Host); addr.Host != "localhost" && (ip == nil || !ip.IsLoopback()) {
			out = append(out, l)
		}
	}
	return out
}

// managesCertificates reports whether Caddy would turn on automatic HTTPS
// for s, as its automatic HTTPS phase does: a host matcher that is not
// skipped, on a server that does not listen only on the HTTP port.
func (s adaptedServer) managesCertificates(t *testing.T, httpPort int) bool {
	t.Helper()
	if s.AutomaticHTTPS != nil && s.AutomaticHTTPS.Disable {
		return false
	}
	var hosts []string
	for _, r := range s.Routes {
		for _, m := range r.Match {
			for _, h := range m.Host {
				if s.AutomaticHTTPS == nil || !slices.Contains(s.AutomaticHTTPS.Skip, h) {
					hosts = append(hosts, h)
				}
			}
		}
	}
	if len(hosts) == 0 {
		return false
	}
	for _, l := range s.Listen {
		addr, err := caddy.ParseNetworkAddress(l)
		if err != nil {
			t.Fatalf("listen address %q: %v", l, err)
		}
		if addr.StartPort != uint(httpPort) {
			return true
		}
	}
	return false
}

// unsetEnv removes k from the environment for the rest of the test.
func unsetEnv(t *testing.T, k string) {
	t.Helper()
	t.Setenv(k, "") // restores the old value after the test
	if err := os.Unsetenv(k); err != nil {
		t.Fatal(err)
	}
}

// TestExamplesBindLoopbackAndLeaveTheTrustStoreAlone adapts every example
// as a reader would run it: with no address variable at all, with the
// documented GATEWAY_PORT, and with GATEWAY_ADDR=127.0.0.1:6080 (the
// natural guess, which earlier examples read as a site address and so
// turned on automatic HTTPS with Caddy's internal CA and its installation
// into the system trust store). Each must listen on loopback only, serve
// plain HTTP unless it is the TLS example, and never install a root.
func TestExamplesBindLoopbackAndLeaveTheTrustStoreAlone(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(examplesDir, "*", "Caddyfile"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no examples found: %v", err)
	}
	settings := []struct {
		name string
		vars map[string]string
	}{
		{"with no address variable", nil},
		{"with GATEWAY_PORT=6080", map[string]string{"GATEWAY_PORT": "6080"}},
		{"with GATEWAY_ADDR=127.0.0.1:6080 as a reader might guess", map[string]string{"GATEWAY_ADDR": "127.0.0.1:6080"}},
	}
	for _, file := range files {
		name := filepath.Base(filepath.Dir(file))
		for _, set := range settings {
			t.Run(name+" "+set.name+" binds loopback and installs no root", func(t *testing.T) {
				setExampleEnv(t, map[string]string{})
				for _, k := range []string{"GATEWAY_BIND", "GATEWAY_PORT", "GATEWAY_ADDR", "HTTP_PORT", "HTTPS_PORT", "REGISTRY_HOST"} {
					unsetEnv(t, k)
				}
				for k, v := range set.vars {
					t.Setenv(k, v)
				}
				var cfg adaptedConfig
				if err := json.Unmarshal(adaptExample(t, name, t.TempDir()), &cfg); err != nil {
					t.Fatal(err)
				}
				httpPort := cfg.Apps.HTTP.HTTPPort
				if httpPort == 0 {
					httpPort = 80
				}
				managed := len(cfg.Apps.TLS) > 0
				for id, s := range cfg.Apps.HTTP.Servers {
					if bad := s.nonLoopback(t); len(bad) > 0 {
						t.Errorf("server %s listens on %v: not loopback (set GATEWAY_BIND to serve other machines, never by default)", id, bad)
					}
					if s.managesCertificates(t, httpPort) {
						managed = true
					}
				}
				if managed && name != tlsExample {
					t.Errorf("automatic HTTPS is on; only the %s example may serve HTTPS (use an http:// site address)", tlsExample)
				}
				if managed || cfg.Apps.PKI != nil {
					local := true
					if cfg.Apps.PKI != nil {
						if ca, ok := cfg.Apps.PKI.CAs["local"]; ok && ca.InstallTrust != nil {
							local = *ca.InstallTrust
						}
					}
					if local {
						t.Errorf("Caddy would install its root certificate into the system trust store; set skip_install_trust")
					}
				}
			})
		}
	}
}

// placeholderVars finds the environment variables a Caddyfile reads:
// {$VAR}, {$VAR:default} and {env.VAR}.
var placeholderVars = regexp.MustCompile(`\{\$([A-Za-z_][A-Za-z0-9_]*)|\{env\.([A-Za-z_][A-Za-z0-9_]*)\}`)

// TestEveryExampleDocumentsItsVariables requires each example's README to
// name, in backticks, every environment variable its Caddyfile reads.
func TestEveryExampleDocumentsItsVariables(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(examplesDir, "*", "Caddyfile"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no examples found: %v", err)
	}
	for _, file := range files {
		dir := filepath.Dir(file)
		t.Run(filepath.Base(dir)+" documents every variable it reads", func(t *testing.T) {
			caddyfile, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			readme, err := os.ReadFile(filepath.Join(dir, "README.md"))
			if err != nil {
				t.Fatal(err)
			}
			vars := map[string]bool{}
			for _, m := range placeholderVars.FindAllStringSubmatch(string(caddyfile), -1) {
				vars[m[1]+m[2]] = true
			}
			if len(vars) == 0 {
				t.Fatalf("%s reads no variable; the test expects at least the gateway key", file)
			}
			for v := range vars {
				if !strings.Contains(string(readme), "`"+v+"`") {
					t.Errorf("%s reads %s, but its README.md does not document it (write `%s` with its default and meaning)", file, v, v)
				}
			}
		})
	}
}
