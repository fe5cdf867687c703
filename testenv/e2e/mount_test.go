package e2e

import (
	"bytes"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/oatgate/oatgate/testenv"
)

func TestCrossRepositoryMount(t *testing.T) {
	owner := env.MintToken(t, "mntorg", "repository:mntorg/**:pull,push")
	img := randomImage(t, 1)
	if err := remote.Write(ref(t, "mntorg/private:v1"), img, auth("mntorg", owner.Secret)); err != nil {
		t.Fatal(err)
	}
	layers, _ := img.Layers()
	digest, _ := layers[0].Digest()
	mountPath := "/v2/mntorg/target/blobs/uploads/?mount=" + digest.String() + "&from=mntorg/private"

	t.Run("without pull on from the mount is dropped and a plain upload starts", func(t *testing.T) {
		pushOnly := env.MintToken(t, "mntorg", "repository:mntorg/target:push")
		before := len(env.Registry.Seen())
		resp := env.Call(t, "POST", mountPath, "mntorg", pushOnly.Secret, nil)
		if resp.StatusCode != http.StatusAccepted || resp.Header.Get("Location") == "" {
			t.Fatalf("status %d, Location %q; want 202 with a Location", resp.StatusCode, resp.Header.Get("Location"))
		}
		seen := env.Registry.Seen()[before:]
		if len(seen) != 1 || strings.Contains(seen[0].RawQuery, "mount") || strings.Contains(seen[0].RawQuery, "from") {
			t.Fatalf("the registry saw %+v, want one upload start without mount or from", seen)
		}
		// The source's blob did not become reachable through the target.
		if resp := env.Call(t, "HEAD", "/v2/mntorg/target/blobs/"+digest.String(), "mntorg", owner.Secret, nil); resp.StatusCode != http.StatusNotFound {
			t.Errorf("HEAD of the source blob in the target: status %d, want 404", resp.StatusCode)
		}
	})

	t.Run("with pull on from the mount happens", func(t *testing.T) {
		resp := env.Call(t, "POST", mountPath, "mntorg", owner.Secret, nil)
		if resp.StatusCode != http.StatusCreated {
			t.Fatalf("status %d, want 201 Created", resp.StatusCode)
		}
	})

	t.Run("mount and from in a form-encoded body are refused", func(t *testing.T) {
		before := env.Registry.Count()
		req, _ := http.NewRequestWithContext(testenv.Context(t, time.Minute), "POST", env.GatewayURL+"/v2/mntorg/target/blobs/uploads/",
			bytes.NewBufferString("mount="+digest.String()+"&from=mntorg/private"))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.SetBasicAuth("mntorg", owner.Secret)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if resp.StatusCode < 400 || resp.StatusCode >= 500 {
			t.Errorf("status %d, want a 4xx refusal", resp.StatusCode)
		}
		if env.Registry.Count() != before {
			t.Error("the form-encoded write reached the registry")
		}
	})

	t.Run("a repeated from is refused", func(t *testing.T) {
		before := env.Registry.Count()
		resp := env.Call(t, "POST", mountPath+"&from=mntorg/target", "mntorg", owner.Secret, nil)
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("status %d, want 400", resp.StatusCode)
		}
		if env.Registry.Count() != before {
			t.Error("the request with two from parameters reached the registry")
		}
	})
}
