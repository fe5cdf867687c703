package docker_test

import (
	"context"
	"strings"
	"testing"

	"github.com/oatgate/oatgate/testenv"
)

// The logged-out cells of issue 13's client table for docker: a pull of an
// anonymous_pull repository works without docker login (in bearer mode:
// docker refuses to go on without credentials after a Basic challenge), and
// a pull of a private repository is refused in words a user can act on.
func TestDockerLoggedOut(t *testing.T) {
	need(t)
	publisher := loggedIn(t, "public", "repository:public/**:pull,push")
	public := ref("public/hello", "v1")
	build(t, publisher, public, "scratch", 2)
	mustDocker(t, publisher, "push", public)
	owner := loggedIn(t, "anonorg", "repository:anonorg/**:pull,push")
	private := ref("anonorg/private", "v1")
	build(t, owner, private, "scratch", 1)
	mustDocker(t, owner, "push", private)

	t.Run("a logged-out docker pulls an anonymous_pull repository", func(t *testing.T) {
		cli := newCLI(t)
		mustDocker(t, cli, "rmi", "-f", public)
		out, err := cli.Docker(testenv.Context(t, clientLimit), "pull", public)
		if mode == "basic" {
			// The /v2/ ping gets a Basic challenge, and docker will not go
			// on without credentials: why bearer is the default.
			if err == nil || !strings.Contains(out, "no basic auth credentials") {
				t.Fatalf("logged-out pull in basic mode: %v\n%s\nwant docker's \"no basic auth credentials\"", err, out)
			}
			return
		}
		if err != nil {
			t.Fatalf("logged-out docker pull of %s: %v\n%s", public, err, out)
		}
	})
	t.Run("a logged-out docker is refused a private repository, readably", func(t *testing.T) {
		cli := newCLI(t)
		mustDocker(t, cli, "rmi", "-f", private)
		out, err := cli.Docker(testenv.Context(t, clientLimit), "pull", private)
		if err == nil {
			t.Fatalf("logged-out docker pull of a private repository succeeded:\n%s", out)
		}
		want := map[string]string{"basic": "no basic auth credentials", "bearer": "log in with the organization name"}[mode]
		if !strings.Contains(out, want) {
			t.Errorf("output = %q, want it to contain %q", out, want)
		}
		t.Logf("docker reports: %s", strings.TrimSpace(out))
	})
}

// The ctr cells of issue 13's client table: logged in it pulls and pushes,
// a pull-only token's push fails, logged out it pulls a public repository
// and is refused a private one.
func TestContainerdMatrix(t *testing.T) {
	need(t)
	const org = "ctrm"
	pusher := loggedIn(t, org, "repository:"+org+"/**:pull,push")
	image := ref(org+"/app", "v1")
	build(t, pusher, image, "scratch", 2)
	mustDocker(t, pusher, "push", image)
	publisher := loggedIn(t, "public", "repository:public/**:pull,push")
	public := ref("public/ctr", "v1")
	build(t, publisher, public, "scratch", 1)
	mustDocker(t, publisher, "push", public)

	writer := env.MintToken(t, org, "repository:"+org+"/**:pull,push")
	reader := env.MintToken(t, org, "repository:"+org+"/**:pull")
	ctr := func(t *testing.T, args ...string) (string, error) {
		t.Helper()
		return daemon.Ctr(testenv.Context(t, clientLimit), args...)
	}
	rm := func(images ...string) {
		t.Cleanup(func() { _, _ = daemon.Ctr(context.Background(), append([]string{"images", "rm"}, images...)...) })
	}

	t.Run("logged in, ctr pulls and pushes", func(t *testing.T) {
		copyRef := ref(org+"/copy", "v1")
		rm(image, copyRef)
		if out, err := ctr(t, "images", "pull", "--user", org+":"+writer.Secret, "--plain-http", image); err != nil {
			t.Fatalf("ctr pull: %v\n%s", err, out)
		}
		if out, err := ctr(t, "images", "tag", "--force", image, copyRef); err != nil {
			t.Fatalf("ctr tag: %v\n%s", err, out)
		}
		if out, err := ctr(t, "images", "push", "--user", org+":"+writer.Secret, "--plain-http", copyRef); err != nil {
			t.Fatalf("ctr push: %v\n%s", err, out)
		}
		if layers := manifestLayers(t, org+"/copy", "v1"); len(layers) != 2 {
			t.Errorf("%s/copy:v1 has %d layers in the registry, want the 2 pushed", org, len(layers))
		}
	})
	t.Run("a pull-only token's ctr push fails", func(t *testing.T) {
		denied := ref(org+"/denied", "v1")
		rm(image, denied)
		if out, err := ctr(t, "images", "pull", "--user", org+":"+reader.Secret, "--plain-http", image); err != nil {
			t.Fatalf("ctr pull with a pull-only token: %v\n%s", err, out)
		}
		if out, err := ctr(t, "images", "tag", "--force", image, denied); err != nil {
			t.Fatalf("ctr tag: %v\n%s", err, out)
		}
		out, err := ctr(t, "images", "push", "--user", org+":"+reader.Secret, "--plain-http", denied)
		if err == nil {
			t.Fatalf("ctr push with a pull-only token succeeded:\n%s", out)
		}
		if !strings.Contains(out, "403") && !strings.Contains(out, "denied") {
			t.Errorf("output = %q, want a 403 or a denial", out)
		}
		t.Logf("ctr reports: %s", lastLineOf(out))
	})
	t.Run("logged out, ctr pulls an anonymous_pull repository", func(t *testing.T) {
		rm(public)
		if out, err := ctr(t, "images", "pull", "--plain-http", public); err != nil {
			t.Fatalf("logged-out ctr pull of %s: %v\n%s", public, err, out)
		}
	})
	t.Run("logged out, ctr is refused a private repository", func(t *testing.T) {
		rm(image)
		out, err := ctr(t, "images", "pull", "--plain-http", image)
		if err == nil {
			t.Fatalf("logged-out ctr pull of a private repository succeeded:\n%s", out)
		}
		if !strings.Contains(out, "401") && !strings.Contains(out, "denied") && !strings.Contains(out, "authorization failed") {
			t.Errorf("output = %q, want a 401 or a denial", out)
		}
		t.Logf("ctr reports: %s", lastLineOf(out))
	})
}

func lastLineOf(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}
