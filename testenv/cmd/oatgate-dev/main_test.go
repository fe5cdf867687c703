package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/oatgate/oatgate/testenv"
)

// printed is what a run told the user.
type printed struct {
	text, adminKey, gatewayKey, secret, metricsURL string
}

var (
	adminKeyLine   = regexp.MustCompile(`OATSTORE_ADMIN_KEY=([0-9a-f]+)`)
	gatewayKeyLine = regexp.MustCompile(`OATSTORE_GATEWAY_KEY=([0-9a-f]+)`)
	secretLine     = regexp.MustCompile(`echo '(oat_\w+)' \| docker login`)
	metricsLine    = regexp.MustCompile(`metrics\s+(http://\S+/metrics)`)
)

// runOnce starts make run's stack in dir on free ports, reads what it
// printed and leaves it running until the test (or close) ends it.
func runOnce(t *testing.T, dir string) (printed, *testenv.Env) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var out bytes.Buffer
	cfg := config{dir: dir, gateway: "127.0.0.1:0", registry: "127.0.0.1:0", store: "127.0.0.1:0", org: "acme"}
	env, err := start(ctx, cfg, &out)
	if err != nil {
		t.Fatalf("make run: %v", err)
	}
	p := printed{text: out.String()}
	for _, f := range []struct {
		re  *regexp.Regexp
		dst *string
	}{{adminKeyLine, &p.adminKey}, {gatewayKeyLine, &p.gatewayKey}, {secretLine, &p.secret}, {metricsLine, &p.metricsURL}} {
		m := f.re.FindStringSubmatch(p.text)
		if m == nil {
			env.Close()
			t.Fatalf("make run printed no match of %s:\n%s", f.re, p.text)
		}
		*f.dst = m[1]
	}
	return p, env
}

// tokenCount is how many tokens org holds in the store.
func tokenCount(t *testing.T, env *testenv.Env, org string) int {
	t.Helper()
	req, _ := http.NewRequest("GET", env.Store.URL+"/v1/orgs/"+org+"/tokens", nil)
	req.Header.Set("Authorization", "Bearer "+env.AdminKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var page struct{ Tokens []json.RawMessage }
	if err := json.NewDecoder(resp.Body).Decode(&page); err != nil {
		t.Fatal(err)
	}
	return len(page.Tokens)
}

func TestMakeRunKeepsItsKeysAndTokenAcrossRestarts(t *testing.T) {
	dir := t.TempDir()

	first, env := runOnce(t, dir)
	for _, name := range []string{adminKeyFile, gatewayKeyFile, tokenFile} {
		info, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Fatalf("the first run kept no %s: %v", name, err)
		}
		if perm := info.Mode().Perm(); perm != 0o600 {
			t.Errorf("%s has mode %v, want 0600: it holds a secret", name, perm)
		}
	}
	resp, err := http.Get(first.metricsURL)
	if err != nil {
		t.Fatalf("the printed metrics URL: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), "oatgate_requests_total") {
		t.Errorf("GET %s: status %d, want 200 with oatgate_requests_total", first.metricsURL, resp.StatusCode)
	}
	if err := env.Close(); err != nil {
		t.Fatal(err)
	}

	second, env := runOnce(t, dir)
	if second.adminKey != first.adminKey {
		t.Errorf("the admin key changed across a restart: the exported OATSTORE_ADMIN_KEY stops working")
	}
	if second.gatewayKey != first.gatewayKey {
		t.Errorf("the gateway key changed across a restart: the exported OATSTORE_GATEWAY_KEY stops working")
	}
	if second.secret != first.secret {
		t.Errorf("a new token was minted on restart; want the still-active one reused")
	}
	if !strings.Contains(second.text, "the one the last run printed") {
		t.Errorf("the second run does not say the token was reused:\n%s", second.text)
	}
	if n := tokenCount(t, env, "acme"); n != 1 {
		t.Errorf("acme holds %d tokens after two runs, want 1 (restarts must not pile tokens up)", n)
	}

	// A token that is no longer active is replaced, and the new one kept.
	var kept testenv.Token
	raw, err := os.ReadFile(filepath.Join(dir, tokenFile))
	if err != nil || json.Unmarshal(raw, &kept) != nil {
		t.Fatalf("reading the kept token: %v", err)
	}
	if err := env.Admin.Revoke(context.Background(), "acme", kept.ID); err != nil {
		t.Fatal(err)
	}
	if err := env.Close(); err != nil {
		t.Fatal(err)
	}
	third, env := runOnce(t, dir)
	defer env.Close()
	if third.secret == first.secret {
		t.Errorf("the revoked token was printed again; want a new one")
	}
	if strings.Contains(third.text, "the one the last run printed") {
		t.Errorf("the third run says it reused a token it replaced:\n%s", third.text)
	}
	if third.adminKey != first.adminKey {
		t.Errorf("the admin key changed when the token was replaced")
	}
	raw, _ = os.ReadFile(filepath.Join(dir, tokenFile))
	if !strings.Contains(string(raw), third.secret) {
		t.Errorf("the new token was not kept for the next run")
	}
	for _, secret := range []string{first.adminKey, first.gatewayKey, first.secret} {
		if strings.Contains(tailLogs(t, dir), secret) {
			t.Errorf("a secret reached the logs in %s/logs", dir)
		}
	}
}

// tailLogs returns every log file of the run folder, for the no-secret check.
func tailLogs(t *testing.T, dir string) string {
	t.Helper()
	var all strings.Builder
	files, _ := filepath.Glob(filepath.Join(dir, "logs", "*"))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		all.Write(b)
	}
	return all.String()
}

func TestMakeRunRefusesSecretsOthersCanRead(t *testing.T) {
	tests := []struct {
		name string
		file string
	}{
		{"a world-readable admin key is refused", adminKeyFile},
		{"a world-readable gateway key is refused", gatewayKeyFile},
		{"a world-readable token file is refused", tokenFile},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, tc.file)
			if err := os.WriteFile(path, []byte("x\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(path, 0o644); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			cfg := config{dir: dir, gateway: "127.0.0.1:0", registry: "127.0.0.1:0", store: "127.0.0.1:0", org: "acme"}
			env, err := start(ctx, cfg, io.Discard)
			if err == nil {
				env.Close()
				t.Fatalf("make run started with a %s readable by others", tc.file)
			}
			if !strings.Contains(err.Error(), "chmod 600 "+path) {
				t.Errorf("error %q, want it to say chmod 600 %s", err, path)
			}
		})
	}
}
