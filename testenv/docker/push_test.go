package docker_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/oatgate/oatgate/testenv"
)

// deniedPush is what docker push prints when the gateway refuses the upload
// with 403 DENIED: the message Docker users know from Docker Hub.
const deniedPush = "denied: requested access to the resource is denied"

func TestDockerPushThenPullGivesBackTheSameImage(t *testing.T) {
	need(t)
	const layers = 3
	cli := loggedIn(t, "pushorg", "repository:pushorg/**:pull,push")
	image := ref("pushorg/app", "v1")
	build(t, cli, image, "scratch", layers)
	wantID := imageID(t, cli, image)

	mustDocker(t, cli, "push", image)
	pushed := repoDigest(t, cli, image)

	mustDocker(t, cli, "rmi", image)
	if out, err := cli.Docker(testenv.Context(t, clientLimit), "image", "inspect", image); err == nil {
		t.Fatalf("%s is still in the daemon after docker rmi:\n%s", image, out)
	}
	env.Registry.Reset()
	mustDocker(t, cli, "pull", image)

	if got := repoDigest(t, cli, image); got != pushed {
		t.Errorf("pulled digest = %s, want the pushed %s", got, pushed)
	}
	if got := imageID(t, cli, image); got != wantID {
		t.Errorf("pulled image id = %s, want the built %s", got, wantID)
	}
	// Every layer and the config came back through the gateway, not from a
	// local cache.
	if got := countSeen(http.MethodGet, "/v2/pushorg/app/blobs/"); got < layers+1 {
		t.Errorf("the registry served %d blobs for the pull, want at least %d (%d layers and the config)", got, layers+1, layers)
	}
}

func TestDockerPullOnlyTokenPullsButCannotPush(t *testing.T) {
	need(t)
	const org = "readorg"
	pusher := loggedIn(t, org, "repository:"+org+"/**:pull,push")
	image := ref(org+"/shared", "v1")
	build(t, pusher, image, "scratch", 2)
	mustDocker(t, pusher, "push", image)
	pushed := repoDigest(t, pusher, image)
	mustDocker(t, pusher, "rmi", image)

	reader := loggedIn(t, org, "repository:"+org+"/**:pull")

	t.Run("a pull-only token pulls the image", func(t *testing.T) {
		if out, err := reader.Docker(testenv.Context(t, clientLimit), "pull", image); err != nil {
			t.Fatalf("pull with a pull-only token: %v\n%s", err, out)
		}
		if got := repoDigest(t, reader, image); got != pushed {
			t.Errorf("pulled digest = %s, want %s", got, pushed)
		}
	})

	t.Run("a pull-only token's push is denied with Docker's usual message", func(t *testing.T) {
		next := ref(org+"/shared", "v2")
		build(t, reader, next, "scratch", 1)
		out, err := reader.Docker(testenv.Context(t, clientLimit), "push", next)
		if err == nil {
			t.Fatalf("push with a pull-only token succeeded; output:\n%s", out)
		}
		if !strings.Contains(out, deniedPush) {
			t.Errorf("output = %q, want it to contain %q", out, deniedPush)
		}
		// A refusal is final: dockerd retries what it takes for a
		// transient failure (for 50 s with a bare DENIED code).
		if strings.Contains(out, "Retrying") {
			t.Errorf("docker retried a denied upload; output:\n%s", out)
		}
	})
}

// countSeen counts the requests the registry received with method and a path
// starting with prefix.
func countSeen(method, prefix string) int {
	n := 0
	for _, r := range env.Registry.Seen() {
		if r.Method == method && strings.HasPrefix(r.Path, prefix) {
			n++
		}
	}
	return n
}
