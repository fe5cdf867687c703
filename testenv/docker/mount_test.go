package docker_test

import (
	"net/http"
	"net/url"
	"slices"
	"testing"

	"github.com/oatgate/oatgate/testenv"
)

// Docker tries a cross-repository mount for layers it knows from another
// repository of the same registry. A token that may push the target but not
// pull the source must not get a 403 there (Docker and containerd fail the
// whole push): the gateway drops mount and from, and the layer is uploaded.
func TestDockerPushWithoutAccessToTheMountSourceUploadsTheLayer(t *testing.T) {
	need(t)
	const org = "mountorg"
	owner := loggedIn(t, org, "repository:"+org+"/**:pull,push")
	base := ref(org+"/base", "v1")
	build(t, owner, base, "scratch", 2)
	mustDocker(t, owner, "push", base)
	baseLayers := manifestLayers(t, org+"/base", "v1")

	target := ref(org+"/target", "v1")
	build(t, owner, target, base, 1)
	pusher := loggedIn(t, org, "repository:"+org+"/target:pull,push")

	env.Registry.Reset()
	offset := usageOffset(t)
	if out, err := pusher.Docker(testenv.Context(t, clientLimit), "push", target); err != nil {
		t.Fatalf("push of a layer shared with a repository the token may not pull failed: %v\n%s", err, out)
	}
	events, _ := usageSince(t, offset)

	// The gateway saw Docker ask to mount the base's layers...
	var mounts []string
	for _, ev := range events {
		if ev.Method == http.MethodPost && ev.Path == "/v2/"+org+"/target/blobs/uploads/" && ev.Digest != "" {
			mounts = append(mounts, ev.Digest)
			if ev.Decision != "allow" || ev.Status != http.StatusAccepted {
				t.Errorf("mount of %s: decision %s, status %d; want allow, 202 (a plain upload)", ev.Digest, ev.Decision, ev.Status)
			}
		}
	}
	for _, layer := range baseLayers {
		if !slices.Contains(mounts, layer) {
			t.Errorf("docker did not try to mount %s from %s/base (mount attempts: %v): the case under test did not happen", layer, org, mounts)
		}
	}

	// ...the registry never saw mount or from...
	for _, r := range env.Registry.Seen() {
		q, err := url.ParseQuery(r.RawQuery)
		if err != nil {
			t.Fatalf("registry request %s %s?%s: %v", r.Method, r.Path, r.RawQuery, err)
		}
		if q.Has("mount") || q.Has("from") {
			t.Errorf("the registry received %s %s?%s, want mount and from removed", r.Method, r.Path, r.RawQuery)
		}
	}
	// ...and the layers were uploaded into the target instead.
	for _, layer := range baseLayers {
		if !registryHasBlob(t, org+"/target", layer) {
			t.Errorf("the registry has no %s in %s/target after the push", layer, org)
		}
	}
}
