// Package examples keeps examples/ from rotting: every Caddyfile there
// adapts and validates as `oatgate adapt --validate` would, and each is run
// end to end in front of the real registry and oatstore of testenv.
package examples

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig"
	_ "github.com/caddyserver/caddy/v2/caddyconfig/httpcaddyfile" // the Caddyfile adapter

	"github.com/oatgate/oatgate/testenv"
)

// examplesDir is the repository's examples folder.
const examplesDir = "../../examples"

// TestEveryExampleValidates adapts each examples/*/Caddyfile with its
// placeholders' environment set and provisions the result without starting
// it (caddy.Validate, as `oatgate adapt --validate` does).
func TestEveryExampleValidates(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(examplesDir, "*", "Caddyfile"))
	if err != nil || len(files) < 5 {
		t.Fatalf("examples: found %d Caddyfiles (%v), want at least 5", len(files), err)
	}
	setExampleEnv(t, map[string]string{})
	for _, file := range files {
		name := filepath.Base(filepath.Dir(file))
		t.Run(name+" adapts and validates", func(t *testing.T) {
			if _, err := os.Stat(filepath.Join(filepath.Dir(file), "README.md")); err != nil {
				t.Errorf("%s has no README.md: %v", name, err)
			}
			var cfg caddy.Config
			if err := json.Unmarshal(adaptExample(t, name, t.TempDir()), &cfg); err != nil {
				t.Fatal(err)
			}
			if err := caddy.Validate(&cfg); err != nil {
				t.Errorf("caddy.Validate(%s): %v", name, err)
			}
		})
	}
}

// setExampleEnv sets every variable the examples read: safe defaults for
// validation, overridden by vars.
func setExampleEnv(t *testing.T, vars map[string]string) {
	t.Helper()
	dir := t.TempDir()
	defaults := map[string]string{
		"OATSTORE_GATEWAY_KEY": "validate-only-key",
		"OATSTORE_URL":         "http://127.0.0.1:1",
		"REGISTRY_UPSTREAM":    "127.0.0.1:1",
		"REGISTRY_BASIC_AUTH":  "dXNlcjpwYXNz",
		"USAGE_LOG":            filepath.Join(dir, "usage.log"),
		"GATEWAY_BIND":         "127.0.0.1",
		"GATEWAY_PORT":         "0",
		"HTTP_PORT":            "0",
		"HTTPS_PORT":           "0",
		"REGISTRY_HOST":        "localhost",
		// Where Caddy keeps its internal CA and certificates.
		"XDG_DATA_HOME":   filepath.Join(dir, "data"),
		"XDG_CONFIG_HOME": filepath.Join(dir, "config"),
	}
	for k, v := range defaults {
		if override, ok := vars[k]; ok {
			v = override
		}
		t.Setenv(k, v)
	}
}

// adaptExample adapts examples/<name>/Caddyfile with the current
// environment, then points what a test must not share (admin endpoint,
// storage, Caddy's own log) at the test's own folder.
func adaptExample(t *testing.T, name, dir string) []byte {
	t.Helper()
	file := filepath.Join(examplesDir, name, "Caddyfile")
	body, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	adapter := caddyconfig.GetAdapter("caddyfile")
	cfg, warnings, err := adapter.Adapt(body, map[string]any{"filename": file})
	if err != nil {
		t.Fatalf("adapting %s: %v", file, err)
	}
	for _, w := range warnings {
		t.Errorf("adapting %s: warning: %s", file, w.String())
	}
	var m map[string]any
	if err := json.Unmarshal(cfg, &m); err != nil {
		t.Fatal(err)
	}
	// No admin endpoint and no autosave: tests share the machine.
	m["admin"] = map[string]any{"disabled": true, "config": map[string]any{"persist": false}}
	// Certificates and the internal CA in the test's folder, and Caddy's
	// own log lines in a file there, not on the test's output.
	m["storage"] = map[string]any{"module": "file_system", "root": filepath.Join(dir, "caddy")}
	logging, _ := m["logging"].(map[string]any)
	if logging == nil {
		logging = map[string]any{}
		m["logging"] = logging
	}
	logs, _ := logging["logs"].(map[string]any)
	if logs == nil {
		logs = map[string]any{}
		logging["logs"] = logs
	}
	def, _ := logs["default"].(map[string]any)
	if def == nil {
		def = map[string]any{}
		logs["default"] = def
	}
	def["writer"] = map[string]any{"output": "file", "filename": filepath.Join(dir, "caddy.log")}
	out, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// runExample starts testenv (registry, oatstore) and replaces its gateway
// with the example's config, pointed at testenv's registry and store.
// vars adds to or overrides the environment the example is adapted with.
// It returns the environment, the gateway's address and the example's
// folder (storage under caddy/, Caddy's log in caddy.log).
func runExample(t *testing.T, opts testenv.Options, name string, vars map[string]string) (*testenv.Env, string, string) {
	t.Helper()
	env, err := testenv.Start(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { env.Close() })
	addr := freeAddr(t)
	all := map[string]string{
		"OATSTORE_GATEWAY_KEY": env.GatewayKey,
		"OATSTORE_URL":         env.Store.URL,
		"REGISTRY_UPSTREAM":    env.Registry.Addr,
		"GATEWAY_BIND":         "127.0.0.1",
		"GATEWAY_PORT":         port(t, addr),
	}
	for k, v := range vars {
		all[k] = v
	}
	setExampleEnv(t, all)
	dir := t.TempDir()
	loadConfig(t, adaptExample(t, name, dir))
	return env, addr, dir
}

func loadConfig(t *testing.T, cfg []byte) {
	t.Helper()
	if err := caddy.Load(cfg, true); err != nil {
		t.Fatalf("running the example: %v", err)
	}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func freePort(t *testing.T) string {
	t.Helper()
	return port(t, freeAddr(t))
}

// port is the port of a host:port address.
func port(t *testing.T, addr string) string {
	t.Helper()
	_, p, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func ctx(t *testing.T) context.Context {
	t.Helper()
	c, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return c
}

func newToken(t *testing.T, env *testenv.Env, org string, scopes ...string) testenv.Token {
	t.Helper()
	if err := env.Admin.SetOrg(ctx(t), org, 100); err != nil {
		t.Fatal(err)
	}
	tok, err := env.Admin.CreateToken(ctx(t), org, testenv.TokenRequest{Label: "example-" + org, Scopes: scopes})
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// status makes one request and returns its status.
func status(t *testing.T, client *http.Client, method, url, user, password string) int {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx(t), method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", "application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json")
	if user != "" || password != "" {
		req.SetBasicAuth(user, password)
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func eventually(t *testing.T, limit time.Duration, what string, ok func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for !ok() {
		if time.Since(start) > limit {
			t.Fatalf("%s: not within %s", what, limit)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return time.Since(start)
}

func must(t *testing.T, err error, what string, args ...any) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", fmt.Sprintf(what, args...), err)
	}
}
