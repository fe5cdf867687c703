package examples

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"

	"github.com/oatgate/oatgate/cmd/oatstore/federation"
	"github.com/oatgate/oatgate/testenv/oidcissuer"
)

// ciDir is the CI federation example: CI files and trust policies, no
// Caddyfile (it works with any gateway).
var ciDir = filepath.Join(examplesDir, "ci-oidc")

// ciAudience is the audience every CI file asks for and every policy
// names.
const ciAudience = "oatgate"

// readPolicy decodes one of the example's policies as oatstore's API
// does, refusing fields the API does not know (a typo in a field name
// would otherwise be dropped silently).
func readPolicy(t *testing.T, name string) federation.Policy {
	t.Helper()
	body, err := os.ReadFile(filepath.Join(ciDir, name))
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	var p federation.Policy
	if err := dec.Decode(&p); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return p
}

// TestEveryCIPolicyValidates runs every policy of examples/ci-oidc through
// oatstore's own validation, as `oatstore federation set` would, and checks
// that each asks for the audience the CI files request.
func TestEveryCIPolicyValidates(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(ciDir, "*policy*.json"))
	if err != nil || len(files) < 4 {
		t.Fatalf("found %d policies in %s (%v), want at least 4", len(files), ciDir, err)
	}
	for _, file := range files {
		name := filepath.Base(file)
		t.Run(name+" is a valid policy of acme", func(t *testing.T) {
			p := readPolicy(t, name)
			p.Name = strings.TrimSuffix(name, ".json")
			got, err := p.Validate("acme", federation.Options{})
			if err != nil {
				t.Fatalf("oatstore would refuse it: %v", err)
			}
			if got.Audience != ciAudience {
				t.Errorf("audience %q, want %q as the CI files ask for", got.Audience, ciAudience)
			}
			if !strings.HasPrefix(got.Issuer, "https://") {
				t.Errorf("issuer %q: a real issuer is https", got.Issuer)
			}
		})
	}
}

// TestCIPoliciesAdmitTheirJobOnly matches each policy against the claims
// its CI system puts in the example job's ID token, and against jobs it
// must not admit: another branch, another repository, a renamed owner.
func TestCIPoliciesAdmitTheirJobOnly(t *testing.T) {
	const workflow = "acme/app/.github/workflows/push.yml@refs/heads/main"
	github := func(edit func(oidcissuer.Claims)) oidcissuer.Claims {
		c := oidcissuer.GitHub("acme", "app", "refs/heads/main")
		c["job_workflow_ref"], c["workflow_ref"] = workflow, workflow
		if edit != nil {
			edit(c)
		}
		return c
	}
	immutable := func(edit func(oidcissuer.Claims)) oidcissuer.Claims {
		return github(func(c oidcissuer.Claims) {
			c["repository_owner_id"], c["repository_id"] = "123456", "456789"
			c["sub"] = "repo:acme@123456/app@456789:ref:refs/heads/main"
			if edit != nil {
				edit(c)
			}
		})
	}
	production := func(edit func(oidcissuer.Claims)) oidcissuer.Claims {
		return github(func(c oidcissuer.Claims) {
			c["environment"], c["sub"] = "production", "repo:acme/app:environment:production"
			if edit != nil {
				edit(c)
			}
		})
	}
	gitlab := func(edit func(oidcissuer.Claims)) oidcissuer.Claims {
		c := oidcissuer.GitLab("acme", "app", "main")
		if edit != nil {
			edit(c)
		}
		return c
	}
	tests := []struct {
		name   string
		policy string
		claims oidcissuer.Claims
		want   bool
	}{
		{"the GitHub job on main pushes", "github-policy.json", github(nil), true},
		{"a GitHub job on another branch does not", "github-policy.json", github(func(c oidcissuer.Claims) {
			c["ref"], c["sub"] = "refs/heads/feature", "repo:acme/app:ref:refs/heads/feature"
		}), false},
		{"another workflow file of the repository does not", "github-policy.json", github(func(c oidcissuer.Claims) {
			c["job_workflow_ref"] = "acme/app/.github/workflows/other.yml@refs/heads/main"
		}), false},
		{"a repository of another owner does not", "github-policy.json", oidcissuer.GitHub("evil", "app", "refs/heads/main"), false},
		{"the job of the immutable-ID repository pushes", "github-policy-immutable.json", immutable(nil), true},
		{"a repository that took over the name does not", "github-policy-immutable.json", immutable(func(c oidcissuer.Claims) {
			c["repository_id"], c["sub"] = "999999", "repo:acme@123456/app@999999:ref:refs/heads/main"
		}), false},
		{"a token with the classic subject does not match the immutable policy", "github-policy-immutable.json", github(nil), false},
		{"a job deploying to production pushes", "github-policy-environment.json", production(nil), true},
		{"a job deploying to staging does not", "github-policy-environment.json", production(func(c oidcissuer.Claims) {
			c["environment"], c["sub"] = "staging", "repo:acme/app:environment:staging"
		}), false},
		{"the GitLab job on protected main pushes", "gitlab-policy.json", gitlab(nil), true},
		{"a GitLab job on an unprotected branch does not", "gitlab-policy.json", gitlab(func(c oidcissuer.Claims) {
			c["ref_protected"] = "false"
		}), false},
		{"a GitLab job of another project does not", "gitlab-policy.json", oidcissuer.GitLab("acme", "other", "main"), false},
		{"a GitHub token does not match the GitLab policy's claims", "gitlab-policy.json", github(nil), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := readPolicy(t, tt.policy)
			if _, got := federation.MatchClaims(p.Claims, federation.Claims(tt.claims)); got != tt.want {
				t.Fatalf("%s matches: got %v, want %v", tt.policy, got, tt.want)
			}
		})
	}
}

// readYAML parses one of the example's CI files.
func readYAML(t *testing.T, name string) map[string]any {
	t.Helper()
	body, err := os.ReadFile(filepath.Join(ciDir, name))
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := yaml.Unmarshal(body, &doc); err != nil {
		t.Fatalf("%s does not parse: %v", name, err)
	}
	return doc
}

// at walks doc along keys, failing t where a key is missing.
func at(t *testing.T, doc any, keys ...string) any {
	t.Helper()
	for i, k := range keys {
		m, ok := doc.(map[string]any)
		if !ok {
			t.Fatalf("%s: not a mapping", strings.Join(keys[:i], "."))
		}
		if doc, ok = m[k]; !ok {
			t.Fatalf("%s: missing", strings.Join(keys[:i+1], "."))
		}
	}
	return doc
}

// script is every command of a job's steps (GitHub) or script (GitLab)
// joined, for checks of what it runs.
func script(t *testing.T, lines any) string {
	t.Helper()
	var b strings.Builder
	items, ok := lines.([]any)
	if !ok {
		t.Fatalf("steps or script: not a list")
	}
	for _, it := range items {
		switch it := it.(type) {
		case string:
			b.WriteString(it + "\n")
		case map[string]any:
			if run, ok := it["run"].(string); ok {
				b.WriteString(run + "\n")
			}
		}
	}
	return b.String()
}

func TestTheGitHubWorkflowLogsInWithItsIDToken(t *testing.T) {
	doc := readYAML(t, "github-workflow.yml")
	if got := at(t, doc, "permissions", "id-token"); got != "write" {
		t.Errorf("permissions.id-token: got %v, want write (without it GitHub gives the job no ID token)", got)
	}
	run := script(t, at(t, doc, "jobs", "push", "steps"))
	for _, want := range []string{
		`"$ACTIONS_ID_TOKEN_REQUEST_URL&audience=` + ciAudience + `"`,
		`Authorization: bearer $ACTIONS_ID_TOKEN_REQUEST_TOKEN`,
		`-u "$ORG" --password-stdin`,
		`docker push`,
	} {
		if !strings.Contains(run, want) {
			t.Errorf("the job's steps do not run %q:\n%s", want, run)
		}
	}
	if got := at(t, doc, "env", "ORG"); got != "acme" {
		t.Errorf("env.ORG: got %v, want acme, the org whose policy admits the job", got)
	}
}

func TestTheGitLabJobLogsInWithItsIDToken(t *testing.T) {
	doc := readYAML(t, "gitlab-ci.yml")
	if got := at(t, doc, "push-image", "id_tokens", "OATGATE_ID_TOKEN", "aud"); got != ciAudience {
		t.Errorf("id_tokens.OATGATE_ID_TOKEN.aud: got %v, want %s", got, ciAudience)
	}
	run := script(t, at(t, doc, "push-image", "script"))
	for _, want := range []string{`echo "$OATGATE_ID_TOKEN" | docker login`, `-u "$ORG" --password-stdin`, `docker push`} {
		if !strings.Contains(run, want) {
			t.Errorf("the job's script does not run %q:\n%s", want, run)
		}
	}
	if got := at(t, doc, "push-image", "variables", "ORG"); got != "acme" {
		t.Errorf("variables.ORG: got %v, want acme, the org whose policy admits the job", got)
	}
}

// TestTheReadmeShowsTheExamplePolicyAsItIs keeps the policy the README's
// "CI without secrets" walks through identical to the example's file.
func TestTheReadmeShowsTheExamplePolicyAsItIs(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	policy, err := os.ReadFile(filepath.Join(ciDir, "github-policy.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(readme, []byte("```json\n"+string(policy)+"```\n")) {
		t.Fatalf("README.md does not show examples/ci-oidc/github-policy.json as it is:\n%s", policy)
	}
}
