package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/oatgate/oatgate/caddymodule/oat"
	"github.com/oatgate/oatgate/cmd/oatstore/adminkeys"
	"github.com/oatgate/oatgate/cmd/oatstore/cli"
	"github.com/oatgate/oatgate/cmd/oatstore/server"
	"github.com/oatgate/oatgate/cmd/oatstore/store/sqlite"
)

const adminKey = "cli-test-admin-key-0123456789abcdef"

// startServer runs a real oatstore handler on a loopback port; each of
// with may change its config first.
func startServer(t *testing.T, with ...func(*server.Config)) string {
	t.Helper()
	return startServerWithGatewayKey(t, "", with...)
}

// startServerWithGatewayKey is startServer accepting gatewayKey (if not
// empty) from gateways, for usage reports.
func startServerWithGatewayKey(t *testing.T, gatewayKey string, with ...func(*server.Config)) string {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "cli.db"))
	if err != nil {
		t.Fatalf("opening store: %v", err)
	}
	keys, err := adminkeys.Load(adminkeys.Sources{Single: adminKey})
	if err != nil {
		t.Fatalf("loading admin key: %v", err)
	}
	var gatewayKeys []string
	if gatewayKey != "" {
		gatewayKeys = []string{gatewayKey}
	}
	cfg := server.Config{Store: st, AdminKeys: keys, GatewayKeys: gatewayKeys}
	for _, f := range with {
		f(&cfg)
	}
	srv, err := server.New(cfg)
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
		{"org set creates an org and prints it", []string{"org", "set", "acme", "--max-tokens", "2"}, 0, `acme\s+2\s+365d\s+90d\s+false`, ""},
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

// apiFields are the API's names the CLI must translate into flags.
var apiFields = regexp.MustCompile(`\b(expires_in|expires_at|max_expiry_days|max_tokens|allow_never_expires|next_cursor)\b`)

// TestCLIAsAnOperatorTypesIt runs the command lines issue 12 item 21 found
// refused or confusing: a bare host:port, labels for ids, one time syntax,
// several scopes in one --scope, and errors in flag names.
func TestCLIAsAnOperatorTypesIt(t *testing.T) {
	base := startServer(t)
	hostPort := strings.TrimPrefix(base, "http://")
	env := map[string]string{"OATSTORE_SERVER": base, "OATSTORE_ADMIN_KEY": adminKey, "OATSTORE_ACTOR": "bob"}
	inSixtyDays := time.Now().UTC().AddDate(0, 0, 60).Format("2006-01-02")

	steps := []struct {
		name     string
		args     []string
		code     int
		stdout   string // a regexp the output must match
		inStderr string
	}{
		{"a bare loopback host:port is served over http", []string{"org", "set", "acme", "--server", hostPort}, 0, `acme\s+100`, ""},
		{"OATSTORE_SERVER may be a bare loopback host:port too", []string{"org", "show", "acme", "--server", "localhost:" + strings.Split(hostPort, ":")[1]}, 0, `acme`, ""},
		{"a remote host without a scheme says what to write", []string{"org", "show", "acme", "--server", "oatstore.example:8081"}, 2, `^$`, "write https://oatstore.example:8081"},
		{"several scopes in one --scope are several scopes", []string{"token", "create", "--org", "acme", "--label", "ci", "--scope", "repository:acme/a:pull repository:acme/b:pull,push", "--expires", "30d", "--json"}, 0, `(?s)"repository:acme/a:pull",\s+"repository:acme/b:pull,push"`, ""},
		{"a date as --expires is midnight UTC that day", []string{"token", "create", "--org", "acme", "--label", "dated", "--scope", "repository:acme/a:pull", "--expires", inSixtyDays}, 0, `dated\s+active\s+` + inSixtyDays + ` 00:00`, ""},
		{"hours as --expires are accepted", []string{"token", "create", "--org", "acme", "--label", "short", "--scope", "repository:acme/a:pull", "--expires", "12h"}, 0, `short\s+active`, ""},
		{"a token is shown by its label", []string{"token", "show", "ci", "--org", "acme"}, 0, `tok_\w+\s+ci\s+active`, ""},
		{"a token is deactivated by its label", []string{"token", "deactivate", "--org", "acme", "dated"}, 0, `dated\s+inactive`, ""},
		{"a token is updated by its label", []string{"token", "update", "short", "--org", "acme", "--description", "by label"}, 0, `short.*by label`, ""},
		{"a token is deleted by its label", []string{"token", "delete", "--org", "acme", "short"}, 0, `deleted tok_\w+`, ""},
		{"an unknown label says how to list the tokens", []string{"token", "show", "nosuch", "--org", "acme"}, 1, `^$`, `org "acme" has no token labelled "nosuch"`},
		{"audit --since takes a duration", []string{"audit", "--org", "acme", "--since", "1h"}, 0, `token\.created\s+admin:admin\s+bob`, ""},
		{"audit --since takes a date", []string{"audit", "--org", "acme", "--since", "2026-12-02"}, 0, `token\.deleted\s+admin:admin\s+bob`, ""},
		{"audit --until before everything shows nothing", []string{"audit", "--org", "acme", "--until", "2020-01"}, 0, `^TIME\s+ACTION\s+ACTOR\s+ON BEHALF OF\s+SOURCE\s+TOKEN\s*$`, ""},
		{"an unreadable time shows the one syntax", []string{"audit", "--org", "acme", "--since", "yesterday"}, 2, `^$`, `--since "yesterday": want a date (2026-12-02`},
		{"an unreadable expiry shows the one syntax", []string{"token", "create", "--org", "acme", "--label", "x", "--scope", "repository:acme/a:pull", "--expires", "soon"}, 2, `^$`, `--expires "soon": want a date`},
		{"an expiry past the org's maximum names the org's flag", []string{"token", "create", "--org", "acme", "--label", "far", "--scope", "repository:acme/a:pull", "--expires", "400d"}, 1, `^$`, "(oatstore org set --max-expiry-days)"},
		{"an org setting out of range names the flag", []string{"org", "set", "acme", "--max-tokens", "-1"}, 1, `^$`, "--max-tokens must be between"},
		{"an org's default expiry is set with its flag", []string{"org", "set", "acme", "--default-expiry-days", "30"}, 0, `acme\s+100\s+365d\s+30d\s+false`, ""},
		{"a token without --expires gets the org's default", []string{"token", "create", "--org", "acme", "--label", "defaulted", "--scope", "repository:acme/a:pull"}, 0, `defaulted\s+active\s+` + time.Now().UTC().AddDate(0, 0, 30).Format("2006-01-02"), ""},
		{"a default past the maximum names both flags", []string{"org", "set", "acme", "--default-expiry-days", "400"}, 1, `^$`, "--default-expiry-days"},
		{"org requires an expiry", []string{"org", "set", "acme", "--allow-never-expires=false", "--default-expiry-days", "90"}, 0, `acme\s+100\s+365d\s+90d\s+false`, ""},
		{"a never-expiring token in that org is refused naming --expires", []string{"token", "create", "--org", "acme", "--label", "forever", "--scope", "repository:acme/a:pull", "--expires", "none"}, 1, `^$`, "--expires"},
		{"an audit page size out of range names --limit", []string{"audit", "--org", "acme", "--limit", "0"}, 2, `^$`, "--limit 0: want a number from 1 to 500"},
		{"org list lists the orgs the store holds", []string{"org", "list"}, 0, `(?s)ORG\s+MAX TOKENS.*acme\s+100\s+365d\s+90d\s+false`, ""},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			code, out, errs := run(env, s.args...)
			if code != s.code {
				t.Fatalf("exit code = %d, want %d\nstdout: %s\nstderr: %s", code, s.code, out, errs)
			}
			if !regexp.MustCompile(s.stdout).MatchString(out) {
				t.Errorf("stdout = %q, want a match of %q", out, s.stdout)
			}
			if !strings.Contains(errs, s.inStderr) {
				t.Errorf("stderr = %q, want it to contain %q", errs, s.inStderr)
			}
			if m := apiFields.FindString(errs); m != "" {
				t.Errorf("stderr names the API field %s instead of a flag: %q", m, errs)
			}
		})
	}
}

// TestOrgListPrintsEveryOrg reads GET /v1/orgs from a store that serves it
// ({"orgs":[...]}, the shape of every other list).
func TestOrgListPrintsEveryOrg(t *testing.T) {
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != "GET" || r.URL.Path != "/v1/orgs" || r.Header.Get("Authorization") != "Bearer "+adminKey {
			http.Error(w, `{"error":{"code":"not_found","message":"no such endpoint"}}`, http.StatusNotFound)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"orgs":[{"name":"acme","max_tokens":10,"max_expiry_days":90,"default_expiry_days":30,"allow_never_expires":false},{"name":"globex","max_tokens":100,"max_expiry_days":365,"default_expiry_days":90,"allow_never_expires":true}]}`)
	}))
	defer hs.Close()
	code, out, errs := run(map[string]string{"OATSTORE_SERVER": hs.URL, "OATSTORE_ADMIN_KEY": adminKey}, "org", "list")
	want := "ORG     MAX TOKENS  MAX EXPIRY  DEFAULT EXPIRY  NEVER EXPIRES\nacme    10          90d         30d             false\nglobex  100         365d        90d             true\n"
	if code != 0 || out != want {
		t.Errorf("exit %d, stderr %q\n got:\n%s\nwant:\n%s", code, errs, out, want)
	}
}

var update = flag.Bool("update", false, "rewrite the golden files of testdata/")

// TestHelpMatchesGolden pins `oatstore help`, the one page that lists every
// command and the time syntax; go test -run TestHelp -update rewrites it.
func TestHelpMatchesGolden(t *testing.T) {
	code, out, errs := run(nil, "help")
	if code != 0 || errs != "" {
		t.Fatalf("exit %d, stderr %q; want 0 and nothing", code, errs)
	}
	golden := filepath.Join("testdata", "help.golden")
	if *update {
		if err := os.WriteFile(golden, []byte(out), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -run TestHelp -update to create it)", err)
	}
	if out != string(want) {
		t.Errorf("oatstore help differs from %s (go test -run TestHelp -update if intended)\n got:\n%s\nwant:\n%s", golden, out, want)
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
