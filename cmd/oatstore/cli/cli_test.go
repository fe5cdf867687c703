package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/oatgate/oatgate/caddymodule/oat"
	"github.com/oatgate/oatgate/cmd/oatstore/adminkeys"
	"github.com/oatgate/oatgate/cmd/oatstore/cli"
	"github.com/oatgate/oatgate/cmd/oatstore/server"
	"github.com/oatgate/oatgate/cmd/oatstore/store/sqlite"
)

const adminKey = "cli-test-admin-key-0123456789abcdef"

// startServer runs a real oatstore handler on a loopback port.
func startServer(t *testing.T) string {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "cli.db"))
	if err != nil {
		t.Fatalf("opening store: %v", err)
	}
	keys, err := adminkeys.Load(adminkeys.Sources{Single: adminKey})
	if err != nil {
		t.Fatalf("loading admin key: %v", err)
	}
	srv, err := server.New(server.Config{Store: st, AdminKeys: keys})
	if err != nil {
		t.Fatalf("server.New: %v", err)
	}
	hs := httptest.NewServer(srv)
	t.Cleanup(func() {
		hs.Close()
		srv.Close()
		st.Close()
	})
	return hs.URL
}

// run runs the CLI with the given environment and returns exit code,
// stdout and stderr.
func run(env map[string]string, args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := cli.Main(args, func(k string) string { return env[k] }, &out, &errb)
	return code, out.String(), errb.String()
}

func TestCLI(t *testing.T) {
	url := startServer(t)
	env := map[string]string{"OATSTORE_SERVER": url, "OATSTORE_ADMIN_KEY": adminKey, "OATSTORE_ACTOR": "alice"}
	var id string

	steps := []struct {
		name     string
		args     []string
		code     int
		stdout   string // a regexp the output must match
		inStderr string
	}{
		{"org set creates an org and prints it", []string{"org", "set", "acme", "--max-tokens", "2"}, 0, `acme\s+2\s+365d\s+true`, ""},
		{"org show prints the org", []string{"org", "show", "acme", "--json"}, 0, `"max_tokens": 2`, ""},
		{"token create prints the secret once", []string{"token", "create", "--org", "acme", "--label", "ci", "--scope", "repository:acme/app:pull,push", "--expires", "90d", "--description", "CI"}, 0, `(?s)ci\s+active.*token: oat_\w+\nThis is the only time`, ""},
		{"a second token fills the org", []string{"token", "create", "--org", "acme", "--label", "deploy", "--scope", "repository:acme/**:pull", "--json"}, 0, `"token": "oat_`, ""},
		{"a third token hits the limit", []string{"token", "create", "--org", "acme", "--label", "x", "--scope", "repository:acme/app:pull"}, 1, `^$`, `org "acme" has 2 of 2 tokens allowed`},
		{"token list shows both without secrets", []string{"token", "list", "--org", "acme"}, 0, `(?s)LABEL.*ci.*deploy`, ""},
		{"an extension of the expiry is refused", []string{"token", "update", "ID", "--org", "acme", "--expires", "120d"}, 1, `^$`, "cannot be extended"},
		{"token update changes the description", []string{"token", "update", "ID", "--org", "acme", "--description", "new"}, 0, `new`, ""},
		{"token deactivate marks it inactive", []string{"token", "deactivate", "--org", "acme", "ID"}, 0, `inactive`, ""},
		{"token activate marks it active", []string{"token", "activate", "--org", "acme", "ID"}, 0, `active`, ""},
		{"token revoke marks it revoked", []string{"token", "revoke", "--org", "acme", "ID"}, 0, `revoked`, ""},
		{"a revoked token cannot be activated", []string{"token", "activate", "--org", "acme", "ID"}, 1, `^$`, "cannot be reactivated"},
		{"token show prints JSON on request", []string{"token", "show", "ID", "--org", "acme", "--json"}, 0, `"revoked_at": "`, ""},
		{"token delete removes it", []string{"token", "delete", "--org", "acme", "ID"}, 0, `deleted tok_`, ""},
		{"audit lists the actions with the actor", []string{"audit", "--org", "acme", "--limit", "3"}, 0, `(?s)token.deleted\s+admin:admin\s+alice.*more: --cursor \d+`, ""},
		{"audit filters by action", []string{"audit", "--org", "acme", "--action", "org.created", "--json"}, 0, `"action": "org.created"`, ""},
		{"an unknown command is a usage error", []string{"frobnicate"}, 2, `^$`, "usage:"},
		{"token create without a scope is a usage error", []string{"token", "create", "--org", "acme", "--label", "y"}, 2, `^$`, "--scope"},
		{"token show without an id is a usage error", []string{"token", "show", "--org", "acme"}, 2, `^$`, "token id"},
		{"an unknown flag is a usage error that does not print the key", []string{"token", "list", "--org", "acme", "--colour"}, 2, `^$`, "colour"},
		{"serve with a bad flag does not print the key", []string{"serve", "--nope"}, 2, `^$`, "nope"},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			args := append([]string(nil), s.args...)
			for i, a := range args {
				if a == "ID" {
					args[i] = id
				}
			}
			code, out, errs := run(env, args...)
			if code != s.code {
				t.Fatalf("exit code = %d, want %d\nstdout: %s\nstderr: %s", code, s.code, out, errs)
			}
			if !regexp.MustCompile(s.stdout).MatchString(out) {
				t.Errorf("stdout = %q, want a match of %q", out, s.stdout)
			}
			if !strings.Contains(errs, s.inStderr) {
				t.Errorf("stderr = %q, want it to contain %q", errs, s.inStderr)
			}
			if strings.Contains(out+errs, adminKey) {
				t.Errorf("the admin key was printed:\n%s%s", out, errs)
			}
			if m := regexp.MustCompile(`tok_[a-z2-7]{26}`).FindString(out); id == "" && m != "" {
				id = m
			}
			if secret := regexp.MustCompile(`oat_\w+`).FindString(out); secret != "" {
				if err := oat.Check(secret); err != nil {
					t.Errorf("printed secret fails oat.Check: %v", err)
				}
			}
		})
	}

	t.Run("list --json is machine-readable", func(t *testing.T) {
		code, out, errs := run(env, "token", "list", "--org", "acme", "--json")
		var page struct{ Tokens []struct{ Label string } }
		if code != 0 || json.Unmarshal([]byte(out), &page) != nil || len(page.Tokens) != 1 || page.Tokens[0].Label != "deploy" {
			t.Errorf("exit %d, stdout %s, stderr %s; want one token, deploy", code, out, errs)
		}
	})
	t.Run("a wrong admin key is reported", func(t *testing.T) {
		code, _, errs := run(map[string]string{"OATSTORE_SERVER": url}, "org", "show", "acme", "--admin-key", "wrong")
		if code != 1 || !strings.Contains(errs, "401") {
			t.Errorf("exit %d, stderr %q; want 1 and a 401", code, errs)
		}
	})
	t.Run("a missing admin key says how to set one", func(t *testing.T) {
		code, _, errs := run(map[string]string{"OATSTORE_SERVER": url}, "org", "show", "acme")
		if code != 2 || !strings.Contains(errs, "OATSTORE_ADMIN_KEY") {
			t.Errorf("exit %d, stderr %q; want 2 and OATSTORE_ADMIN_KEY", code, errs)
		}
	})
	t.Run("an unreachable server is reported", func(t *testing.T) {
		code, _, errs := run(map[string]string{"OATSTORE_ADMIN_KEY": adminKey}, "org", "show", "acme", "--server", "http://127.0.0.1:1")
		if code != 1 || !strings.Contains(errs, "calling oatstore") {
			t.Errorf("exit %d, stderr %q; want 1 and the connection error", code, errs)
		}
	})
}

func TestServeRefusesWithoutAdminKey(t *testing.T) {
	code, _, errs := run(map[string]string{}, "serve", "--db", filepath.Join(t.TempDir(), "x.db"), "--listen", "127.0.0.1:0")
	if code != 1 || !strings.Contains(errs, `export OATSTORE_ADMIN_KEYS="alice=$(openssl rand -hex 32)"`) || !strings.Contains(errs, "--dev") {
		t.Errorf("exit %d, stderr %q; want 1 and how to set a key", code, errs)
	}
}

func TestCLIWithAManagementToken(t *testing.T) {
	url := startServer(t)
	admin := map[string]string{"OATSTORE_SERVER": url, "OATSTORE_ADMIN_KEY": adminKey}
	if code, out, errs := run(admin, "org", "set", "acme"); code != 0 {
		t.Fatalf("org set: exit %d\n%s%s", code, out, errs)
	}
	code, out, errs := run(admin, "token", "create", "--org", "acme", "--label", "owners", "--expires", "30d",
		"--scope", "org:tokens:write", "--scope", "repository:acme/app:push", "--json")
	var mgr struct {
		ID     string
		Secret string `json:"token"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &mgr) != nil || mgr.Secret == "" {
		t.Fatalf("creating the management token: exit %d\n%s%s", code, out, errs)
	}
	owner := map[string]string{"OATSTORE_SERVER": url, "OATSTORE_TOKEN": mgr.Secret, "OATSTORE_ACTOR": "carol"}
	both := map[string]string{"OATSTORE_SERVER": url, "OATSTORE_TOKEN": mgr.Secret, "OATSTORE_ADMIN_KEY": adminKey}

	steps := []struct {
		name     string
		env      map[string]string
		args     []string
		code     int
		stdout   string // a regexp the output must match
		inStderr string
	}{
		{"whoami names the token, its org and what it may do", owner, []string{"whoami"}, 0,
			`(?s)actor:\s+token:` + mgr.ID + `.*org:\s+acme.*may:\s+tokens:write.*scopes:\s+org:tokens:write repository:acme/app:push.*expires:\s+20`, ""},
		{"whoami --json prints the API's answer", owner, []string{"whoami", "--json"}, 0, `"actor": "token:` + mgr.ID + `"`, ""},
		{"whoami with an admin key says it may do everything", admin, []string{"whoami"}, 0, `(?s)actor:\s+admin:admin.*may:\s+everything, on every org`, ""},
		{"the token creates a narrower token", owner, []string{"token", "create", "--org", "acme", "--label", "ci", "--scope", "repository:acme/app:pull", "--expires", "7d"}, 0,
			`token: oat_\w+`, ""},
		{"the token may not create a broader one", owner, []string{"token", "create", "--org", "acme", "--label", "all", "--scope", "repository:acme/**:pull", "--expires", "7d"}, 1,
			`^$`, "HTTP 403 forbidden"},
		{"the token may not change the org's settings", owner, []string{"org", "set", "acme", "--max-tokens", "500"}, 1, `^$`, "admin key"},
		{"the token lists its org's tokens, itself included", owner, []string{"token", "list", "--org", "acme"}, 0, `(?s)owners.*ci`, ""},
		{"the audit shows the token as the actor and carol beside it", admin, []string{"audit", "--org", "acme", "--action", "token.created", "--limit", "1"}, 0,
			`token.created\s+token:` + mgr.ID + `\s+carol`, ""},
		{"an admin key and a token in the environment at once is a usage error", both, []string{"whoami"}, 2, `^$`, "both set"},
		{"--admin-key and --token at once is a usage error", map[string]string{"OATSTORE_SERVER": url}, []string{"whoami", "--admin-key", adminKey, "--token", mgr.Secret}, 2, `^$`, "both given"},
		{"a flag wins over the environment", both, []string{"whoami", "--token", mgr.Secret}, 0, `actor:\s+token:`, ""},
		{"no credential says how to give one", map[string]string{"OATSTORE_SERVER": url}, []string{"whoami"}, 2, `^$`, "OATSTORE_TOKEN"},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			code, out, errs := run(s.env, s.args...)
			if code != s.code {
				t.Fatalf("exit code = %d, want %d\nstdout: %s\nstderr: %s", code, s.code, out, errs)
			}
			if !regexp.MustCompile(s.stdout).MatchString(out) {
				t.Errorf("stdout = %q, want a match of %q", out, s.stdout)
			}
			if !strings.Contains(errs, s.inStderr) {
				t.Errorf("stderr = %q, want it to contain %q", errs, s.inStderr)
			}
			if strings.Contains(out+errs, mgr.Secret) || strings.Contains(out+errs, adminKey) {
				t.Errorf("a credential was printed:\n%s%s", out, errs)
			}
		})
	}
}

func TestServeRefusesBadAdminKeys(t *testing.T) {
	dir := t.TempDir()
	good := strings.Repeat("k9", 20)
	open := filepath.Join(dir, "open-keys")
	if err := os.WriteFile(open, []byte("bob="+good+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		env      map[string]string
		args     []string
		inStderr string
	}{
		{"a keys file others can read is refused", nil, []string{"--admin-keys-file", open}, "not private"},
		{"a missing keys file is refused", nil, []string{"--admin-keys-file", filepath.Join(dir, "nope")}, "nope"},
		{"a short key in OATSTORE_ADMIN_KEYS is refused", map[string]string{"OATSTORE_ADMIN_KEYS": "alice=short"}, nil, "at least 32"},
		{"one name twice is refused", map[string]string{"OATSTORE_ADMIN_KEYS": "alice=" + good + ",alice=" + strings.Repeat("z8", 20)}, nil, "given twice"},
		{"one key under two names is refused", map[string]string{"OATSTORE_ADMIN_KEYS": "alice=" + good, "OATSTORE_ADMIN_KEY": good}, nil, "same key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"serve", "--db", filepath.Join(dir, "x.db"), "--listen", "127.0.0.1:0"}, tt.args...)
			code, _, errs := run(tt.env, args...)
			if code != 1 || !strings.Contains(errs, tt.inStderr) {
				t.Errorf("exit %d, stderr %q; want 1 and %q", code, errs, tt.inStderr)
			}
			if strings.Contains(errs, good) {
				t.Errorf("the key was printed: %s", errs)
			}
		})
	}
}
