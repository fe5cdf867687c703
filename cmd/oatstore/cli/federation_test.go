package cli_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func TestFederationCommands(t *testing.T) {
	url := startServer(t)
	env := map[string]string{"OATSTORE_SERVER": url, "OATSTORE_ADMIN_KEY": adminKey}
	gitlab := filepath.Join(t.TempDir(), "gitlab.json")
	if err := os.WriteFile(gitlab, []byte(`{"issuer":"https://gitlab.com","audience":"oatgate","claims":{"project_path":"acme/app","ref_type":"branch","ref_protected":"true"},"scopes":["repository:acme/app:push"],"ttl":"10m"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	const gha = "https://token.actions.githubusercontent.com"
	steps := []struct {
		name     string
		args     []string
		code     int
		stdout   string // a regexp the output must match
		inStderr string
	}{
		{"org set takes the federated bound", []string{"org", "set", "acme", "--max-federated-tokens", "5", "--json"}, 0, `"max_federated_tokens": 5`, ""},
		{"a bound that is not a number is a usage error", []string{"org", "set", "acme", "--max-federated-tokens", "many"}, 2, `^$`, "--max-federated-tokens"},
		{"federation set creates a policy from flags", []string{"federation", "set", "gha", "--org", "acme", "--issuer", gha, "--audience", "oatgate",
			"--claim", "repository_owner=acme", "--claim", "sub=repo:acme/app:ref:refs/heads/*", "--scope", "repository:acme/app:push,pull"}, 0,
			`gha\s+` + regexp.QuoteMeta(gha) + `\s+oatgate\s+15m\s+repository_owner=acme sub=repo:acme/app:ref:refs/heads/\*\s+repository:acme/app:pull,push`, ""},
		{"federation set changes one field and keeps the rest", []string{"federation", "set", "gha", "--org", "acme", "--ttl", "30m"}, 0,
			`gha\s+\S+\s+oatgate\s+30m\s+repository_owner=acme sub=`, ""},
		{"federation set removes a claim with NAME=", []string{"federation", "set", "gha", "--org", "acme", "--claim", "sub="}, 0, `30m\s+repository_owner=acme\s+repository`, ""},
		{"federation set reads a policy file", []string{"federation", "set", "gitlab", "--org", "acme", "--file", gitlab}, 0, `gitlab\s+https://gitlab.com\s+oatgate\s+10m\s+project_path=acme/app ref_protected=true ref_type=branch`, ""},
		{"federation list shows every policy", []string{"federation", "list", "--org", "acme"}, 0, `(?s)NAME\s+ISSUER.*gha.*gitlab`, ""},
		{"federation show prints JSON on request", []string{"federation", "show", "gha", "--org", "acme", "--json"}, 0, `"ttl": "30m0s"`, ""},
		{"an http issuer is refused with the reason", []string{"federation", "set", "plain", "--org", "acme", "--issuer", "http://issuer.example", "--audience", "oatgate", "--claim", "a=b", "--scope", "repository:acme/app:pull"}, 1, `^$`, "use https"},
		{"a policy without a claim says how to write one", []string{"federation", "set", "open", "--org", "acme", "--issuer", gha, "--audience", "oatgate", "--scope", "repository:acme/app:pull"}, 1, `^$`, "at least one is required"},
		{"a claim without = is a usage error", []string{"federation", "set", "gha", "--org", "acme", "--claim", "repository_owner"}, 2, `^$`, "NAME=VALUE"},
		{"a missing policy file is a usage error", []string{"federation", "set", "x", "--org", "acme", "--file", "/nonexistent.json"}, 2, `^$`, "--file"},
		{"federation delete says what it revoked", []string{"federation", "delete", "gha", "--org", "acme"}, 0, `deleted trust policy gha; revoked 0 tokens`, ""},
		{"a deleted policy is gone", []string{"federation", "show", "gha", "--org", "acme"}, 1, `^$`, "no trust policy"},
		{"federation without --org is a usage error", []string{"federation", "list"}, 2, `^$`, "--org is required"},
		{"federation show without a name is a usage error", []string{"federation", "show", "--org", "acme"}, 2, `^$`, "policy name"},
		{"an unknown federation subcommand is a usage error", []string{"federation", "frob", "--org", "acme"}, 2, `^$`, "unknown subcommand"},
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
		})
	}
}
