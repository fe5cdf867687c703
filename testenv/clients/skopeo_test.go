package clients

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/v1/layout"

	"github.com/oatgate/oatgate/testenv"
)

// skopeo returns the skopeo binary (testenv.Tool: CI installs it).
func skopeo(t *testing.T) string { return testenv.Tool(t, "skopeo") }

// runSkopeo runs skopeo with args, without any user policy or auth file.
func runSkopeo(t *testing.T, args ...string) (string, error) {
	t.Helper()
	bin := skopeo(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	// --insecure-policy: the image is ours, built in this test; no
	// signature policy applies.
	cmd := exec.CommandContext(ctx, bin, append([]string{"--insecure-policy"}, args...)...)
	cmd.Env = append(os.Environ(), "REGISTRY_AUTH_FILE="+filepath.Join(t.TempDir(), "auth.json"))
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func skopeoVersion(t *testing.T) string {
	out, err := runSkopeo(t, "--version")
	if err != nil {
		t.Fatalf("skopeo --version: %v: %s", err, out)
	}
	return strings.TrimSpace(out)
}

func TestSkopeo(t *testing.T) {
	t.Logf("client: %s", skopeoVersion(t))
	dest := "docker://" + env.GatewayHost + "/acme/skopeo:v1"
	creds := "acme:" + pusher.Secret

	t.Run("copies a multi-layer image in and back out with the same digest", func(t *testing.T) {
		if out, err := runSkopeo(t, "copy", "--dest-creds", creds, "--dest-tls-verify=false",
			"oci:"+layoutDir+":"+refName, dest); err != nil {
			t.Fatalf("skopeo copy into the gateway: %v\n%s", err, out)
		}
		outDir := filepath.Join(t.TempDir(), "back")
		if out, err := runSkopeo(t, "copy", "--src-creds", creds, "--src-tls-verify=false",
			dest, "oci:"+outDir+":"+refName); err != nil {
			t.Fatalf("skopeo copy out of the gateway: %v\n%s", err, out)
		}
		p, err := layout.FromPath(outDir)
		if err != nil {
			t.Fatal(err)
		}
		idx, err := p.ImageIndex()
		if err != nil {
			t.Fatal(err)
		}
		m, err := idx.IndexManifest()
		if err != nil {
			t.Fatal(err)
		}
		if len(m.Manifests) != 1 {
			t.Fatalf("the copied-out layout holds %d manifests, want 1", len(m.Manifests))
		}
		back, err := p.Image(m.Manifests[0].Digest)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := digestOf(t, back), digestOf(t, img); got != want {
			t.Errorf("digest after the round trip: got %s, want %s", got, want)
		}
		if got, want := layerDigests(t, back), layerDigests(t, img); strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("layers after the round trip: got %v, want %v", got, want)
		}
	})

	t.Run("a pull-only token's copy in fails and skopeo shows the denial", func(t *testing.T) {
		out, err := runSkopeo(t, "copy", "--dest-creds", "acme:"+puller.Secret, "--dest-tls-verify=false",
			"oci:"+layoutDir+":"+refName, "docker://"+env.GatewayHost+"/acme/skopeo-denied:v1")
		if err == nil {
			t.Fatalf("skopeo copy with a pull-only token: got success, want a failure\n%s", out)
		}
		if !strings.Contains(strings.ToLower(out), "denied") {
			t.Errorf("skopeo's output does not show the denial: got\n%s\nwant it to mention \"denied\"", out)
		}
		t.Logf("skopeo reports: %s", lastLine(out))
	})

	t.Run("a copy with no credentials is challenged and fails", func(t *testing.T) {
		out, err := runSkopeo(t, "copy", "--dest-tls-verify=false",
			"oci:"+layoutDir+":"+refName, "docker://"+env.GatewayHost+"/acme/skopeo-anon:v1")
		if err == nil {
			t.Fatalf("skopeo copy without credentials: got success, want a failure\n%s", out)
		}
		// Basic: skopeo answers the challenge with empty credentials, which
		// are refused. Bearer: it gets an anonymous token, whose refusal
		// says to log in.
		want := map[string]string{"basic": "unauthorized", "bearer": "log in with the organization name"}[mode]
		if !strings.Contains(strings.ToLower(out), want) {
			t.Errorf("skopeo's output does not show the refusal: got\n%s\nwant it to contain %q", out, want)
		}
		t.Logf("skopeo reports: %s", lastLine(out))
	})
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}
