package docker_test

import (
	"strings"
	"testing"
	"time"

	"github.com/oatgate/oatgate/testenv"
	"github.com/oatgate/oatgate/testenv/oidcissuer"
)

// TestDockerLogsInWithACIJobsIDToken is the CI step of examples/ci-oidc
// with the real docker: `echo $JWT | docker login -u <org>
// --password-stdin`, then push and pull, the ID token signed by a real
// OIDC issuer and exchanged by oatstore under the org's trust policy. In
// Bearer mode docker sends the ID token to the gateway's /token.
func TestDockerLogsInWithACIJobsIDToken(t *testing.T) {
	need(t)
	org := "fedjob" + mode
	issuer, err := oidcissuer.New(oidcissuer.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(issuer.Close)
	ctx := testenv.Context(t, clientLimit)
	if err := env.Admin.SetOrg(ctx, org, testenv.OrgMaxTokens); err != nil {
		t.Fatal(err)
	}
	policy := testenv.Policy{
		Issuer: issuer.URL(), Audience: issuer.Audience(),
		Claims: map[string]string{"repository_owner": org, "sub": "repo:" + org + "/app:ref:refs/heads/main"},
		Scopes: []string{"repository:" + org + "/**:pull,push"},
	}
	if err := env.Admin.PutPolicy(ctx, org, "github-main", policy); err != nil {
		t.Fatal(err)
	}
	jwt, err := issuer.Mint(oidcissuer.GitHub(org, "app", "refs/heads/main"))
	if err != nil {
		t.Fatal(err)
	}

	t.Run("the job's ID token under another org's name does not log in", func(t *testing.T) {
		out, err := login(t, newCLI(t), "someoneelse", jwt)
		if err == nil || !strings.Contains(out, refusedLogin()) {
			t.Fatalf("docker login -u someoneelse with the job's ID token: got (%q, %v), want refused", out, err)
		}
	})

	cli := newCLI(t)
	if out, err := login(t, cli, org, jwt); err != nil || !strings.Contains(out, "Login Succeeded") {
		t.Fatalf("echo $JWT | docker login -u %s --password-stdin: got (%q, %v), want Login Succeeded", org, out, err)
	}
	image := ref(org+"/app", "v1")
	build(t, cli, image, "scratch", 2)
	mustDocker(t, cli, "push", image)
	pushed := repoDigest(t, cli, image)
	mustDocker(t, cli, "rmi", image)
	mustDocker(t, cli, "pull", image)
	if got := repoDigest(t, cli, image); got != pushed {
		t.Fatalf("pulled digest %s, want the pushed %s", got, pushed)
	}

	t.Run("deleting the policy ends the job's access", func(t *testing.T) {
		if _, err := env.Admin.DeletePolicy(testenv.Context(t, clientLimit), org, "github-main"); err != nil {
			t.Fatal(err)
		}
		// The revocation reaches the gateway within a second, and the
		// bearer token docker may hold dies with its federated token.
		var out string
		took := testenv.Eventually(t, 30*time.Second, "docker pull refused after the policy was deleted", func() bool {
			var err error
			out, err = cli.Docker(testenv.Context(t, clientLimit), "pull", image)
			return err != nil
		})
		t.Logf("docker pull refused %s after the deletion: %s", took.Round(time.Millisecond), lastLineOf(out))

	})
}
