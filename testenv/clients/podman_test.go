package clients

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/oatgate/oatgate/testenv"
)

// podman is one podman user: Debian's podman 4.3, rootful, with storage,
// run root and auth file of its own in a temporary folder, so that it
// touches nothing of the machine's.
type podman struct {
	bin, dir string
}

// newPodman returns an isolated podman. CI installs podman (.ci/run) and
// runs as root, so there a missing podman or root fails the test;
// elsewhere it skips, loudly.
func newPodman(t *testing.T) *podman {
	t.Helper()
	bin := testenv.Tool(t, "podman")
	switch {
	case os.Geteuid() != 0 && os.Getenv("CI") == "true":
		t.Fatalf("podman runs rootful here and the tests are not root")
	case os.Geteuid() != 0:
		t.Skip("SKIPPED, NOTHING TESTED: podman runs rootful here; run as root")
	}
	p := &podman{bin: bin, dir: t.TempDir()}
	// podman 4.3 refuses an auth file that does not exist.
	if err := os.WriteFile(filepath.Join(p.dir, "auth.json"), []byte(`{"auths":{}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// run runs podman with args and stdin.
func (p *podman) run(t *testing.T, stdin string, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	global := []string{
		"--root", filepath.Join(p.dir, "root"), "--runroot", filepath.Join(p.dir, "runroot"),
		"--storage-driver", "vfs", "--events-backend", "none", "--cgroup-manager", "cgroupfs",
	}
	cmd := exec.CommandContext(ctx, p.bin, append(global, args...)...)
	cmd.Env = append(os.Environ(), "REGISTRY_AUTH_FILE="+filepath.Join(p.dir, "auth.json"), "TMPDIR="+p.dir)
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// must runs podman and fails the test if it fails.
func (p *podman) must(t *testing.T, args ...string) string {
	t.Helper()
	out, err := p.run(t, "", args...)
	if err != nil {
		t.Fatalf("podman %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

func (p *podman) login(t *testing.T, org, secret string) (string, error) {
	t.Helper()
	return p.run(t, secret+"\n", "login", "--tls-verify=false", "-u", org, "--password-stdin", env.GatewayHost)
}

// The cells of issue 13's client table for podman: logged in it pushes and
// pulls, a pull-only token's push fails readably, logged out it pulls a
// public repository and is refused a private one.
func TestPodman(t *testing.T) {
	p := newPodman(t)
	t.Logf("client: %s", strings.TrimSpace(p.must(t, "--version")))
	public := env.GatewayHost + "/" + publicRepo + ":" + refName
	private := env.GatewayHost + "/acme/private:" + refName

	t.Run("logged out, it pulls an anonymous_pull repository", func(t *testing.T) {
		out, err := p.run(t, "", "pull", "--tls-verify=false", public)
		if mode == "basic" {
			// Basic mode cannot serve a client without credentials that
			// answers the challenge (issue 13); the README says to use
			// challenge bearer.
			if err == nil {
				t.Fatalf("podman pull logged out in basic mode: got success, want it refused\n%s", out)
			}
			t.Logf("podman reports (basic): %s", lastLine(out))
			p.must(t, "pull", "--tls-verify=false", "--creds", "public:"+publisher.Secret, public)
			return
		}
		if err != nil {
			t.Fatalf("podman pull logged out: %v\n%s", err, out)
		}
	})
	t.Run("logged out, it is refused a private repository, readably", func(t *testing.T) {
		out, err := p.run(t, "", "pull", "--tls-verify=false", private)
		if err == nil {
			t.Fatalf("podman pull of a private repository logged out: got success\n%s", out)
		}
		wantText := map[string]string{"basic": "unauthorized", "bearer": "log in with the organization name"}[mode]
		if !strings.Contains(strings.ToLower(out), wantText) {
			t.Errorf("podman's output: got\n%s\nwant it to contain %q", out, wantText)
		}
		t.Logf("podman reports: %s", lastLine(out))
	})
	t.Run("logged in, it pushes and pulls back the same image", func(t *testing.T) {
		if out, err := p.login(t, "acme", pusher.Secret); err != nil || !strings.Contains(out, "Login Succeeded") {
			t.Fatalf("podman login: %v\n%s", err, out)
		}
		defer p.run(t, "", "logout", env.GatewayHost)
		target := env.GatewayHost + "/acme/podman:" + refName
		p.must(t, "tag", public, target)
		p.must(t, "push", "--tls-verify=false", target)
		p.must(t, "rmi", target)
		p.must(t, "pull", "--tls-verify=false", target)
		digest := strings.TrimSpace(p.must(t, "image", "inspect", "--format", "{{.Digest}}", target))
		if want := digestOf(t, img); digest != want {
			t.Errorf("pulled digest %s, want %s", digest, want)
		}
	})
	t.Run("a pull-only token's push fails at once and says denied", func(t *testing.T) {
		if out, err := p.login(t, "acme", puller.Secret); err != nil {
			t.Fatalf("podman login with a pull-only token: %v\n%s", err, out)
		}
		defer p.run(t, "", "logout", env.GatewayHost)
		target := env.GatewayHost + "/acme/podman-denied:" + refName
		p.must(t, "tag", public, target)
		start := time.Now()
		out, err := p.run(t, "", "push", "--tls-verify=false", target)
		if err == nil {
			t.Fatalf("podman push with a pull-only token: got success\n%s", out)
		}
		if !strings.Contains(strings.ToLower(out), "denied") {
			t.Errorf("podman's output: got\n%s\nwant it to say denied", out)
		}
		if took := time.Since(start); took > 20*time.Second {
			t.Errorf("the refused push took %s, want it to fail at once", took)
		}
		t.Logf("podman reports: %s", lastLine(out))
	})
	t.Run("a wrong token's login is refused", func(t *testing.T) {
		out, err := p.login(t, "acme", puller.Mistyped())
		if err == nil {
			t.Fatalf("podman login with a mistyped token: got success\n%s", out)
		}
		t.Logf("podman reports: %s", lastLine(out))
	})
}
