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

// TestServeRefusesShortKeys: a key an attacker could guess must stop the
// server at start, saying how to make a good one (issue 12, item 23).
func TestServeRefusesShortKeys(t *testing.T) {
	bin := buildBinary(t)
	for _, tc := range []struct {
		name, admin, gateway, want string
	}{
		{"an admin key of 31 bytes is refused", strings.Repeat("a", 31), testGatewayKey, "admin key is 31 bytes"},
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
