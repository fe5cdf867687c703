package clients

import (
	"errors"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"oras.land/oras-go/v2"
	"oras.land/oras-go/v2/content/memory"
	orasremote "oras.land/oras-go/v2/registry/remote"
	"oras.land/oras-go/v2/registry/remote/auth"
)

// publicRepo is where publish puts the test image: anyone may pull it
// (anonymous_pull public/**).
const publicRepo = "public/hello"

// publish pushes image to publicRepo with the publisher's token, so that
// logged-out clients have something to pull; and to acme/private, which
// they may not pull.
func publish(image v1.Image) error {
	for repo, tok := range map[string]string{publicRepo: publisher.Secret, "acme/private": pusher.Secret} {
		org, _, _ := strings.Cut(repo, "/")
		r, err := name.NewTag(env.GatewayHost+"/"+repo+":"+refName, name.Insecure)
		if err != nil {
			return err
		}
		if err := remote.Write(r, image, remote.WithAuth(&authn.Basic{Username: org, Password: tok})); err != nil {
			return err
		}
	}
	return nil
}

// The logged-out cells of issue 13's client table, for the library clients
// and skopeo: a pull of an anonymous_pull repository works without
// credentials, and a pull of a private one is refused in words a user can
// act on.
func TestLoggedOutPulls(t *testing.T) {
	want := digestOf(t, img)

	t.Run("go-containerregistry pulls a public repository logged out", func(t *testing.T) {
		back, err := remote.Image(ref(t, publicRepo), remote.WithAuth(authn.Anonymous))
		if err != nil {
			t.Fatalf("remote.Image logged out: %v", err)
		}
		if got := digestOf(t, back); got != want {
			t.Errorf("digest: got %s, want %s", got, want)
		}
	})
	t.Run("go-containerregistry is refused a private repository logged out", func(t *testing.T) {
		_, err := remote.Image(ref(t, "acme/private"), remote.WithAuth(authn.Anonymous))
		var terr *transport.Error
		if !errors.As(err, &terr) || terr.StatusCode != http.StatusUnauthorized {
			t.Fatalf("remote.Image logged out: got %v, want a 401", err)
		}
		t.Logf("go-containerregistry reports: %v", err)
	})
	t.Run("oras-go pulls a public repository logged out", func(t *testing.T) {
		back, err := oras.Copy(t.Context(), anonymousOras(t, publicRepo), refName, memory.New(), refName, oras.DefaultCopyOptions)
		if err != nil {
			t.Fatalf("oras.Copy logged out: %v", err)
		}
		if got := back.Digest.String(); got != want {
			t.Errorf("digest: got %s, want %s", got, want)
		}
	})
	t.Run("oras-go is refused a private repository logged out", func(t *testing.T) {
		_, err := oras.Copy(t.Context(), anonymousOras(t, "acme/private"), refName, memory.New(), refName, oras.DefaultCopyOptions)
		// Bearer: the registry's 401 after the anonymous token. Basic:
		// oras stops at the Basic challenge it has no credential for.
		wantText := map[string]string{"basic": "basic credential not found", "bearer": "401"}[mode]
		if err == nil || !strings.Contains(err.Error(), wantText) {
			t.Fatalf("oras.Copy logged out: got %v, want an error with %q", err, wantText)
		}
		t.Logf("oras-go reports: %v", err)
	})
	t.Run("skopeo copies a public repository out logged out", func(t *testing.T) {
		out, err := runSkopeo(t, "copy", "--src-no-creds", "--src-tls-verify=false",
			"docker://"+env.GatewayHost+"/"+publicRepo+":"+refName, "oci:"+filepath.Join(t.TempDir(), "public")+":"+refName)
		if mode == "basic" {
			// skopeo answers a Basic challenge with empty credentials,
			// which are not anonymous: Basic mode cannot serve it (issue
			// 13), Bearer mode can.
			if err == nil {
				t.Fatalf("skopeo --no-creds in basic mode: got success, want the empty credentials refused (the README says to use challenge bearer)\n%s", out)
			}
			return
		}
		if err != nil {
			t.Fatalf("skopeo copy --src-no-creds: %v\n%s", err, out)
		}
	})
	t.Run("skopeo is refused a private repository logged out, readably", func(t *testing.T) {
		out, err := runSkopeo(t, "copy", "--src-no-creds", "--src-tls-verify=false",
			"docker://"+env.GatewayHost+"/acme/private:"+refName, "oci:"+filepath.Join(t.TempDir(), "private")+":"+refName)
		if err == nil {
			t.Fatalf("skopeo copy --src-no-creds of a private repository: got success\n%s", out)
		}
		wantText := map[string]string{"basic": "unauthorized", "bearer": "log in with the organization name"}[mode]
		if !strings.Contains(strings.ToLower(out), wantText) {
			t.Errorf("skopeo's output: got\n%s\nwant it to contain %q", out, wantText)
		}
		t.Logf("skopeo reports: %s", lastLine(out))
	})
}

// anonymousOras is a repository client without credentials.
func anonymousOras(t *testing.T, repo string) *orasremote.Repository {
	t.Helper()
	r, err := orasremote.NewRepository(env.GatewayHost + "/" + repo)
	if err != nil {
		t.Fatal(err)
	}
	r.PlainHTTP = true
	r.Client = &auth.Client{Client: http.DefaultClient, Cache: auth.NewCache()}
	return r
}
