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
// so the package has one environment.
var (
	env *testenv.Env
	// pusher may pull, push and delete in acme; puller may only pull.
	pusher, puller testenv.Token
	// img is a random three-layer image; layoutDir holds it as an OCI image
	// layout with the reference name "v1".
	img       v1.Image
	layoutDir string
)

const refName = "v1"

func TestMain(m *testing.M) {
	code, err := run(m)
	if err != nil {
		fmt.Fprintln(os.Stderr, "clients:", err)
		os.Exit(1)
	}
	os.Exit(code)
}

func run(m *testing.M) (int, error) {
	var err error
	if env, err = testenv.Start(testenv.Options{}); err != nil {
		return 0, err
	}
	defer env.Close()
	ctx := context.Background()
	if err := env.Admin.SetOrg(ctx, "acme", testenv.OrgMaxTokens); err != nil {
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
