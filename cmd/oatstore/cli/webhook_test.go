package cli_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/oatgate/oatgate/cmd/oatstore/server"
	"github.com/oatgate/oatgate/cmd/oatstore/server/servertest"
	"github.com/oatgate/oatgate/testenv"
)

func TestWebhookCommands(t *testing.T) {
	url := startServer(t, func(c *server.Config) { c.Webhooks = servertest.FastHooks })
	rc := servertest.NewReceiver(t, servertest.HookSecret, time.Now)
	env := map[string]string{"OATSTORE_SERVER": url, "OATSTORE_ADMIN_KEY": adminKey, "OATSTORE_WEBHOOK_SECRET": servertest.HookSecret}
	secretFile := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(secretFile, []byte(servertest.HookSecret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, out, errs := run(env, "org", "set", "acme"); code != 0 {
		t.Fatalf("org set: %d %s %s", code, out, errs)
	}
	steps := []struct {
		name     string
		args     []string
		env      map[string]string
		code     int
		stdout   string
		inStderr string
	}{
		{"set creates a webhook with the secret from the environment", []string{"webhook", "set", "--org", "acme", "ops", "--url", rc.URL, "--event", "token.created token.revoked"}, env, 0, `(?s)NAME.*ops\s+http://127\.0\.0\.1:\d+/hook\s+token\.created,token\.revoked`, ""},
		{"set takes the secret from a file", []string{"webhook", "set", "--org", "acme", "expiry", "--url", rc.URL, "--event", "token.expiring", "--event", "token.expired", "--secret-file", secretFile}, nil, 0, `expiry\s+http.*token\.expired,token\.expiring`, ""},
		{"set without a secret keeps the current one", []string{"webhook", "set", "--org", "acme", "expiry", "--event", "token.expiring"}, nil, 0, `expiry\s+http.*token\.expiring\s`, ""},
		{"a secret is never a flag value", []string{"webhook", "set", "--org", "acme", "ops", "--secret", "x"}, env, 2, `^$`, "flag provided but not defined: -secret"},
		{"an unknown event is the API's refusal", []string{"webhook", "set", "--org", "acme", "ops", "--event", "token.updated"}, env, 1, `^$`, `unknown event "token.updated"`},
		{"list shows both", []string{"webhook", "list", "--org", "acme"}, env, 0, `(?s)expiry.*ops`, ""},
		{"show prints JSON without the secret", []string{"webhook", "show", "--org", "acme", "ops", "--json"}, env, 0, `"events": \[`, ""},
		{"test queues an event", []string{"webhook", "test", "--org", "acme", "ops"}, env, 0, `test event evt_[a-z2-7]{26} queued`, ""},
		{"deliveries shows its outcome", []string{"webhook", "deliveries", "--org", "acme", "ops"}, env, 0, `(?s)EVENT.*webhook\.test\s+delivered\s+1\s+204`, ""},
		{"delete removes it", []string{"webhook", "delete", "--org", "acme", "ops"}, env, 0, `webhook ops of acme deleted`, ""},
		{"show of a deleted webhook fails", []string{"webhook", "show", "--org", "acme", "ops"}, env, 1, `^$`, `does not exist`},
		{"a webhook command needs --org", []string{"webhook", "list"}, env, 2, `^$`, "--org is required"},
		{"an unknown subcommand is a usage error", []string{"webhook", "ping", "--org", "acme"}, env, 2, `^$`, `unknown subcommand "ping"`},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			e := s.env
			if e == nil {
				e = map[string]string{"OATSTORE_SERVER": url, "OATSTORE_ADMIN_KEY": adminKey}
			}
			if strings.HasPrefix(s.name, "deliveries") {
				testenv.Eventually(t, 10*time.Second, "the test delivery's outcome", func() bool {
					_, out, _ := run(e, s.args...)
					return strings.Contains(out, "delivered")
				})
			}
			code, out, errs := run(e, s.args...)
			if code != s.code {
				t.Fatalf("exit code = %d, want %d\nstdout: %s\nstderr: %s", code, s.code, out, errs)
			}
			if !regexp.MustCompile(s.stdout).MatchString(out) {
				t.Errorf("stdout = %q, want a match of %q", out, s.stdout)
			}
			if !strings.Contains(errs, s.inStderr) {
				t.Errorf("stderr = %q, want it to contain %q", errs, s.inStderr)
			}
			if strings.Contains(out+errs, servertest.HookSecret) || strings.Contains(out+errs, adminKey) {
				t.Errorf("a secret was printed:\n%s%s", out, errs)
			}
		})
	}
	if p := rc.Problems(); len(p) > 0 {
		t.Errorf("requests failed the receiver's checks: %v", p)
	}
}
