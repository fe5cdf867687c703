package clients

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/oatgate/oatgate/testenv"
)

// The stack and what every client test shares. Caddy is one per process,
// so the package has one environment at a time: the tests run once with
// each challenge (mode), bearer (the default) then basic, each on a stack
// of its own.
var (
	env *testenv.Env
	// mode is the gateway's challenge option in this run.
	mode string
	// pusher may pull, push and delete in acme; puller may only pull.
	pusher, puller testenv.Token
	// publisher may push public/**, which anyone may pull (anonymous_pull).
	publisher testenv.Token
	// img is a random three-layer image; layoutDir holds it as an OCI image
	// layout with the reference name "v1".
	img       v1.Image
	layoutDir string
)

const refName = "v1"

// modes are the challenge options every client test runs with.
var modes = []string{"bearer", "basic"}

func TestMain(m *testing.M) {
	code := 0
	for _, mode := range modes {
		fmt.Fprintf(os.Stderr, "=== testenv/clients: challenge %s\n", mode)
		c, err := run(m, mode)
		if err != nil {
			fmt.Fprintf(os.Stderr, "clients (challenge %s): %v\n", mode, err)
			os.Exit(1)
		}
		if c != 0 {
			fmt.Fprintf(os.Stderr, "=== testenv/clients: FAILED with challenge %s\n", mode)
			code = c
		}
	}
	os.Exit(code)
}

func run(m *testing.M, challenge string) (int, error) {
	var err error
	mode = challenge
	if env, err = testenv.Start(testenv.Options{Gateway: map[string]any{
		"challenge": challenge, "anonymous_pull": []string{"public/**"},
	}}); err != nil {
		return 0, err
	}
	defer env.Close()
	ctx := context.Background()
	if err := env.Admin.SetOrg(ctx, "acme", testenv.OrgMaxTokens); err != nil {
		return 0, err
	}
	if err := env.Admin.SetOrg(ctx, "public", testenv.OrgMaxTokens); err != nil {
		return 0, err
	}
	if publisher, err = env.Admin.CreateToken(ctx, "public", testenv.TokenRequest{Label: "publisher", Scopes: []string{"repository:public/**:pull,push"}}); err != nil {
		return 0, err
	}
	if pusher, err = env.Admin.CreateToken(ctx, "acme", testenv.TokenRequest{Label: "ci-push", Scopes: []string{"repository:acme/**:pull,push,delete"}}); err != nil {
		return 0, err
	}
	if puller, err = env.Admin.CreateToken(ctx, "acme", testenv.TokenRequest{Label: "ci-pull", Scopes: []string{"repository:acme/**:pull"}}); err != nil {
		return 0, err
	}
	if img, err = testImage(3); err != nil {
		return 0, fmt.Errorf("building the test image: %w", err)
	}
	if err := publish(img); err != nil {
		return 0, err
	}
	dir, err := os.MkdirTemp("", "oatgate-clients-")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(dir)
	layoutDir = filepath.Join(dir, "layout")
	if err := writeLayout(layoutDir, img); err != nil {
		return 0, err
	}
	return m.Run(), nil
}

// testImage is an OCI image (OCI media types throughout: skopeo's oci:
// transport finds only OCI manifests by reference name) of layers random
// gzipped layers.
func testImage(layers int) (v1.Image, error) {
	base := mutate.ConfigMediaType(mutate.MediaType(empty.Image, types.OCIManifestSchema1), types.OCIConfigJSON)
	var ls []v1.Layer
	for range layers {
		l, err := random.Layer(2048, types.OCILayer)
		if err != nil {
			return nil, err
		}
		ls = append(ls, l)
	}
	return mutate.AppendLayers(base, ls...)
}

// writeLayout writes image as an OCI image layout tagged refName.
func writeLayout(dir string, image v1.Image) error {
	p, err := layout.Write(dir, empty.Index)
	if err != nil {
		return fmt.Errorf("writing an OCI layout: %w", err)
	}
	return p.AppendImage(image, layout.WithAnnotations(map[string]string{
		"org.opencontainers.image.ref.name": refName,
	}))
}

// layerDigests lists an image's layer digests in order.
func layerDigests(t *testing.T, image v1.Image) []string {
	t.Helper()
	layers, err := image.Layers()
	if err != nil {
		t.Fatal(err)
	}
	out := make([]string, 0, len(layers))
	for _, l := range layers {
		d, err := l.Digest()
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, d.String())
	}
	return out
}

func digestOf(t *testing.T, image v1.Image) string {
	t.Helper()
	d, err := image.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return d.String()
}
