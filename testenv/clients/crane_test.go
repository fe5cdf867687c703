package clients

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"

	"github.com/oatgate/oatgate/testenv"
)

func ref(t *testing.T, repo string) name.Reference {
	t.Helper()
	r, err := name.NewTag(env.GatewayHost+"/"+repo+":"+refName, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func basicAuth(tok testenv.Token) remote.Option {
	return remote.WithAuth(&authn.Basic{Username: "acme", Password: tok.Secret})
}

func TestGoContainerRegistry(t *testing.T) {

	t.Run("pushes a multi-layer image and pulls it back with the same digest", func(t *testing.T) {
		if err := remote.Write(ref(t, "acme/crane"), img, basicAuth(pusher)); err != nil {
			t.Fatalf("remote.Write through the gateway: %v", err)
		}
		back, err := remote.Image(ref(t, "acme/crane"), basicAuth(pusher))
		if err != nil {
			t.Fatalf("remote.Image through the gateway: %v", err)
		}
		if got, want := digestOf(t, back), digestOf(t, img); got != want {
			t.Errorf("digest after the round trip: got %s, want %s", got, want)
		}
		if got, want := layerDigests(t, back), layerDigests(t, img); strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("layers after the round trip: got %v, want %v", got, want)
		}
	})

	t.Run("a pull-only token's push fails with DENIED", func(t *testing.T) {
		err := remote.Write(ref(t, "acme/crane-denied"), img, basicAuth(puller))
		var terr *transport.Error
		if !errors.As(err, &terr) {
			t.Fatalf("remote.Write with a pull-only token: got %v, want a *transport.Error", err)
		}
		if terr.StatusCode != http.StatusForbidden || len(terr.Errors) == 0 || terr.Errors[0].Code != transport.DeniedErrorCode {
			t.Errorf("remote.Write with a pull-only token: got %d %v, want 403 DENIED", terr.StatusCode, terr.Errors)
		}
		t.Logf("go-containerregistry reports: %v", err)
	})

	t.Run("a mount the token may not pull falls back to a plain upload", func(t *testing.T) {
		// A token that may push acme/mirror and nothing else copies an image
		// read from acme/crane: go-containerregistry asks to mount from
		// acme/crane, the gateway drops mount/from, the client uploads.
		// A repository of its own per run: in a second run (-count=2) the
		// blobs would already be there and nothing would be uploaded.
		target := testenv.UniqueLabel("acme/mirror")
		mirror, err := env.Admin.CreateToken(t.Context(), "acme", testenv.TokenRequest{Label: testenv.UniqueLabel("mirror"), Scopes: []string{"repository:" + target + ":pull,push"}})
		if err != nil {
			t.Fatal(err)
		}
		src, err := remote.Image(ref(t, "acme/crane"), basicAuth(pusher))
		if err != nil {
			t.Fatal(err)
		}
		before := len(env.Registry.Seen())
		if err := remote.Write(ref(t, target), src, basicAuth(mirror)); err != nil {
			t.Fatalf("remote.Write of a mounted image with a token that may not pull the source: %v", err)
		}
		mounts, starts := 0, 0
		for _, s := range env.Registry.Seen()[before:] {
			if s.Method == http.MethodPost && strings.HasSuffix(s.Path, "/blobs/uploads/") {
				starts++
				if q, _ := url.ParseQuery(s.RawQuery); q.Has("mount") || q.Has("from") {
					mounts++
				}
			}
		}
		if starts == 0 || mounts != 0 {
			t.Errorf("the registry saw %d upload starts with %d mounts, want uploads and no mount", starts, mounts)
		}
		back, err := remote.Image(ref(t, target), basicAuth(mirror))
		if err != nil {
			t.Fatal(err)
		}
		if got, want := digestOf(t, back), digestOf(t, img); got != want {
			t.Errorf("digest of the mirrored image: got %s, want %s", got, want)
		}
	})
}
