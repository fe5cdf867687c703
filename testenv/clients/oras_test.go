package clients

import (
	"errors"
	"net/http"
	"testing"

	"oras.land/oras-go/v2"
	"oras.land/oras-go/v2/content/memory"
	"oras.land/oras-go/v2/content/oci"
	"oras.land/oras-go/v2/registry/remote"
	"oras.land/oras-go/v2/registry/remote/auth"
	"oras.land/oras-go/v2/registry/remote/errcode"

	"github.com/oatgate/oatgate/testenv"
)

func orasRepo(t *testing.T, repo string, tok testenv.Token) *remote.Repository {
	t.Helper()
	r, err := remote.NewRepository(env.GatewayHost + "/" + repo)
	if err != nil {
		t.Fatal(err)
	}
	r.PlainHTTP = true
	r.Client = &auth.Client{
		Client:     http.DefaultClient,
		Cache:      auth.NewCache(),
		Credential: auth.StaticCredential(env.GatewayHost, auth.Credential{Username: "acme", Password: tok.Secret}),
	}
	return r
}

func TestOras(t *testing.T) {
	src, err := oci.New(layoutDir)
	if err != nil {
		t.Fatal(err)
	}

	t.Run("copies a multi-layer image in and back out with the same digest", func(t *testing.T) {
		desc, err := oras.Copy(t.Context(), src, refName, orasRepo(t, "acme/oras", pusher), refName, oras.DefaultCopyOptions)
		if err != nil {
			t.Fatalf("oras.Copy into the gateway: %v", err)
		}
		if got, want := desc.Digest.String(), digestOf(t, img); got != want {
			t.Errorf("pushed digest: got %s, want %s", got, want)
		}
		dst := memory.New()
		back, err := oras.Copy(t.Context(), orasRepo(t, "acme/oras", pusher), refName, dst, refName, oras.DefaultCopyOptions)
		if err != nil {
			t.Fatalf("oras.Copy out of the gateway: %v", err)
		}
		if got, want := back.Digest.String(), digestOf(t, img); got != want {
			t.Errorf("digest after the round trip: got %s, want %s", got, want)
		}
		for _, l := range layerDigests(t, img) {
			if ok, err := dst.Exists(t.Context(), descriptorOf(t, l)); err != nil || !ok {
				t.Errorf("layer %s after the round trip: exists %v (%v), want it copied", l, ok, err)
			}
		}
	})

	t.Run("a pull-only token's copy in fails with DENIED", func(t *testing.T) {
		_, err := oras.Copy(t.Context(), src, refName, orasRepo(t, "acme/oras-denied", puller), refName, oras.DefaultCopyOptions)
		var resp *errcode.ErrorResponse
		if !errors.As(err, &resp) {
			t.Fatalf("oras.Copy with a pull-only token: got %v, want an *errcode.ErrorResponse", err)
		}
		if resp.StatusCode != http.StatusForbidden || len(resp.Errors) == 0 || resp.Errors[0].Code != errcode.ErrorCodeDenied {
			t.Errorf("oras.Copy with a pull-only token: got %d %v, want 403 DENIED", resp.StatusCode, resp.Errors)
		}
		t.Logf("oras-go reports: %v", err)
	})
}
