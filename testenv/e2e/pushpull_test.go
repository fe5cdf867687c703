package e2e

import (
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

func TestAPushTokenPushesAMultiLayerImageAndPullsItBack(t *testing.T) {
	tok := env.MintToken(t, "pushorg", "repository:pushorg/**:pull,push")
	img := randomImage(t, 4)
	r := ref(t, "pushorg/team/app:v1")
	if err := remote.Write(r, img, auth("pushorg", tok.Secret)); err != nil {
		t.Fatalf("push: %v", err)
	}
	got, err := remote.Image(r, auth("pushorg", tok.Secret))
	if err != nil {
		t.Fatalf("pull: %v", err)
	}
	wantDigest, _ := img.Digest()
	gotDigest, err := got.Digest()
	if err != nil || gotDigest != wantDigest {
		t.Fatalf("pulled digest %v (%v), want %v", gotDigest, err, wantDigest)
	}
	// Every layer arrives byte-identical: its digest is computed over what
	// was read back.
	layers, err := got.Layers()
	if err != nil || len(layers) != 4 {
		t.Fatalf("pulled %d layers (%v), want 4", len(layers), err)
	}
	wantLayers, _ := img.Layers()
	for i, l := range layers {
		rc, err := l.Compressed()
		if err != nil {
			t.Fatal(err)
		}
		d, _, err := v1Hash(rc)
		if err != nil {
			t.Fatal(err)
		}
		want, _ := wantLayers[i].Digest()
		if d != want {
			t.Errorf("layer %d: read back %v, want %v", i, d, want)
		}
	}
}

func TestAPullOnlyTokenPullsButCannotPush(t *testing.T) {
	pusher := env.MintToken(t, "pullorg", "repository:pullorg/app:push")
	puller := env.MintToken(t, "pullorg", "repository:pullorg/app:pull")
	img := randomImage(t, 2)
	r := ref(t, "pullorg/app:v1")
	if err := remote.Write(r, img, auth("pullorg", pusher.Secret)); err != nil {
		t.Fatalf("push with the push token: %v", err)
	}
	if _, err := remote.Image(r, auth("pullorg", puller.Secret)); err != nil {
		t.Fatalf("pull with the pull token: %v", err)
	}

	before := env.Registry.Count()
	other := ref(t, "pullorg/app:v2")
	err := remote.Write(other, randomImage(t, 1), auth("pullorg", puller.Secret))
	wantStatus(t, err, http.StatusForbidden, "DENIED")
	// A push client HEADs blobs first (pull, allowed); nothing may be written.
	for _, seen := range env.Registry.Seen()[before:] {
		if seen.Method != http.MethodHead && seen.Method != http.MethodGet {
			t.Errorf("the registry received %s %s from a pull-only token", seen.Method, seen.Path)
		}
	}
	if _, err := remote.Head(other, auth("pullorg", pusher.Secret)); err == nil {
		t.Error("the refused push's tag exists")
	}
}

func TestTokensStayInsideTheirOrg(t *testing.T) {
	a := env.MintToken(t, "orga", "repository:orga/**:pull,push")
	b := env.MintToken(t, "orgb", "repository:orgb/**:pull,push")
	r := ref(t, "orga/secret:v1")
	if err := remote.Write(r, randomImage(t, 1), auth("orga", a.Secret)); err != nil {
		t.Fatal(err)
	}

	t.Run("a token of org B gets 403 on org A's repositories", func(t *testing.T) {
		_, err := remote.Image(r, auth("orgb", b.Secret))
		wantStatus(t, err, http.StatusForbidden, "DENIED")
	})
	// go-containerregistry follows the Bearer challenge: its credentials
	// are refused by the token endpoint, with an OAuth2 error.
	t.Run("a username other than the token's org gets 401", func(t *testing.T) {
		_, err := remote.Image(r, auth("orgb", a.Secret))
		wantTokenRefused(t, err, "organization")
	})
	t.Run("a token whose checksum is broken gets 401 without reaching the store", func(t *testing.T) {
		broken := a.Mistyped()
		_, err := remote.Image(r, auth("orga", broken))
		wantTokenRefused(t, err, "not an access token")
	})
}

// wantTokenRefused checks a go-containerregistry error for the token
// endpoint's 401: invalid_client, with a description that says why.
func wantTokenRefused(t *testing.T, err error, why string) {
	t.Helper()
	var terr *transport.Error
	if !errors.As(err, &terr) || terr.StatusCode != http.StatusUnauthorized {
		t.Fatalf("error = %v, want the token endpoint's 401", err)
	}
	if msg := err.Error(); !strings.Contains(msg, "invalid_client") || !strings.Contains(msg, why) {
		t.Fatalf("error = %v, want invalid_client saying %q", err, why)
	}
}

// wantStatus checks a go-containerregistry error for the registry's status
// and error code.
func wantStatus(t *testing.T, err error, status int, code string) {
	t.Helper()
	var terr *transport.Error
	if !errors.As(err, &terr) {
		t.Fatalf("error = %v, want a registry error with status %d", err, status)
	}
	if terr.StatusCode != status {
		t.Fatalf("status = %d (%v), want %d", terr.StatusCode, err, status)
	}
	for _, d := range terr.Errors {
		if string(d.Code) == code {
			return
		}
	}
	t.Fatalf("errors = %+v, want code %s", terr.Errors, code)
}
