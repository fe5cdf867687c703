package main

import (
	"context"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestServeDevModeGeneratesKeys(t *testing.T) {
	bin := buildBinary(t)
	// An environment without keys, so that only --dev can supply them.
	t.Setenv("OATSTORE_ADMIN_KEY", "")
	t.Setenv("OATSTORE_ADMIN_KEYS", "")
	t.Setenv("OATSTORE_GATEWAY_KEY", "")
	c := startChild(t, bin, filepath.Join(t.TempDir(), "dev.db"), "--dev")
	logs := c.logText()
	m := regexp.MustCompile(`export OATSTORE_ADMIN_KEY=([0-9a-f]{64})`).FindStringSubmatch(logs)
	if m == nil || !strings.Contains(logs, "export OATSTORE_GATEWAY_KEY=") {
		t.Fatalf("--dev printed no keys:\n%s", logs)
	}
	client := &http.Client{Timeout: 5 * time.Second}
	if st, err := call(context.Background(), client, "PUT", c.url+"/v1/orgs/acme", m[1], "application/json", strings.NewReader(`{}`), nil); err != nil || st != http.StatusCreated {
		t.Errorf("the printed admin key does not work: status %d, %v", st, err)
	}
	c.stop(t, syscall.SIGTERM)
	if strings.Count(c.logText(), m[1]) != 1 {
		t.Errorf("the admin key appears in the log beyond its one dev-mode print:\n%s", c.logText())
	}
}

func TestServeShutsDownDespiteALongPoll(t *testing.T) {
	bin := buildBinary(t)
	c := startChild(t, bin, filepath.Join(t.TempDir(), "poll.db"))
	client := &http.Client{Timeout: 70 * time.Second}
	go func() {
		_, _ = call(context.Background(), client, "GET", c.url+"/v1/revocations?after=1&wait=60s", testGatewayKey, "", nil, nil)
	}()
	time.Sleep(200 * time.Millisecond)
	began := time.Now()
	c.stop(t, syscall.SIGTERM)
	if took := time.Since(began); took > 5*time.Second {
		t.Errorf("SIGTERM took %v with a long poll open, want it to end the poll", took)
	}
	if code := c.cmd.ProcessState.ExitCode(); code != 0 {
		t.Errorf("exit code after SIGTERM = %d, want 0\n%s", code, c.logText())
	}
}

func TestServeNamesItsAdminKeys(t *testing.T) {
	bin := buildBinary(t)
	aliceKey, bobKey, adminKey := strings.Repeat("a1", 20), strings.Repeat("b2", 20), strings.Repeat("c3", 20)
	file := filepath.Join(t.TempDir(), "admin-keys")
	if err := os.WriteFile(file, []byte("# the on-call rotation\nbob="+bobKey+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("OATSTORE_ADMIN_KEYS", "alice="+aliceKey)
	t.Setenv("OATSTORE_ADMIN_KEY", adminKey)
	c := startChild(t, bin, filepath.Join(t.TempDir(), "named.db"), "--admin-keys-file", file)
	client := &http.Client{Timeout: 5 * time.Second}
	tests := []struct {
		name  string
		key   string
		actor string
	}{
		{"a key from OATSTORE_ADMIN_KEYS acts under its name", aliceKey, "admin:alice"},
		{"a key from the file acts under its name", bobKey, "admin:bob"},
		{"OATSTORE_ADMIN_KEY acts as admin", adminKey, "admin:admin"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var who struct{ Actor string }
			st, err := call(context.Background(), client, "GET", c.url+"/v1/whoami", tt.key, "", nil, &who)
			if err != nil || st != http.StatusOK || who.Actor != tt.actor {
				t.Errorf("whoami = %d %q (%v), want 200 %q", st, who.Actor, err, tt.actor)
			}
		})
	}
	c.stop(t, syscall.SIGTERM)
	logs := c.logText()
	if !strings.Contains(logs, `"names":["alice","bob","admin"]`) {
		t.Errorf("the startup log does not list the key names alice, bob, admin:\n%s", logs)
	}
	for _, k := range []string{aliceKey, bobKey, adminKey} {
		if strings.Contains(logs, k) {
			t.Errorf("an admin key appears in the log:\n%s", logs)
		}
	}
}

// TestServeRefusesShortKeys: a key an attacker could guess must stop the
// server at start, saying how to make a good one (issue 12, item 23).
func TestServeRefusesShortKeys(t *testing.T) {
	bin := buildBinary(t)
	for _, tc := range []struct {
		name, admin, gateway, want string
	}{
		{"an admin key of 31 bytes is refused", strings.Repeat("a", 31), testGatewayKey, "31 bytes, at least 32"},
		{"a gateway key of 8 bytes is refused", testAdminKey, "password", "gateway key 1 is 8 bytes"},
		{"a short second gateway key is refused while rotating", testAdminKey, testGatewayKey + ",x9q-z", "gateway key 2 is 5 bytes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, bin, "serve", "--listen", "127.0.0.1:0", "--db", filepath.Join(t.TempDir(), "short.db"))
			cmd.Env = append(os.Environ(), "OATSTORE_ADMIN_KEY="+tc.admin, "OATSTORE_GATEWAY_KEY="+tc.gateway)
			out, err := cmd.CombinedOutput()
			if err == nil {
				t.Fatalf("serve started with a short key; output:\n%s", out)
			}
			if !strings.Contains(string(out), tc.want) || !strings.Contains(string(out), "openssl rand -hex 32") {
				t.Errorf("output = %s; want it to say %q and how to make a key", out, tc.want)
			}
			for _, key := range strings.Split(tc.admin+","+tc.gateway, ",") {
				if strings.Contains(string(out), key) {
					t.Errorf("output shows a key: %s", out)
				}
			}
		})
	}
}
