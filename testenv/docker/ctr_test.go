package docker_test

import (
	"context"
	"strings"
	"testing"

	"github.com/oatgate/oatgate/testenv"
)

// forbiddenPull is how ctr 1.6 reports the gateway's 403 on the manifest.
const forbiddenPull = "403 Forbidden"

func TestContainerdPullsThroughTheGateway(t *testing.T) {
	need(t)
	const org = "ctrorg"
	pusher := loggedIn(t, org, "repository:"+org+"/**:pull,push")
	image := ref(org+"/app", "v1")
	build(t, pusher, image, "scratch", 2)
	mustDocker(t, pusher, "push", image)
	pushed := repoDigest(t, pusher, image)

	reader := env.MintToken(t, org, "repository:"+org+"/**:pull")
	stranger := env.MintToken(t, "ctrother", "repository:ctrother/**:pull")

	t.Run("a pull-only token of the org pulls and unpacks the image", func(t *testing.T) {
		out, err := daemon.Ctr(testenv.Context(t, clientLimit), "images", "pull", "--user", org+":"+reader.Secret, "--plain-http", image)
		if err != nil {
			t.Fatalf("ctr pull: %v", err)
		}
		t.Cleanup(func() { _, _ = daemon.Ctr(context.Background(), "images", "rm", image) })
		if !strings.Contains(out, "unpacking") {
			t.Errorf("ctr pull output = %q, want it to unpack the image", out)
		}
		listed, err := daemon.Ctr(testenv.Context(t, clientLimit), "images", "ls")
		if err != nil {
			t.Fatal(err)
		}
		if !hasLine(listed, image, pushed) {
			t.Errorf("ctr images ls = %q, want %s at %s", listed, image, pushed)
		}
	})

	t.Run("a pull-only token of another org is refused", func(t *testing.T) {
		out, err := daemon.Ctr(testenv.Context(t, clientLimit), "images", "pull", "--user", "ctrother:"+stranger.Secret, "--plain-http", image)
		if err == nil {
			t.Fatalf("ctr pull with another org's token succeeded; output:\n%s", out)
		}
		if !strings.Contains(out, forbiddenPull) {
			t.Errorf("output = %q, want it to contain %q", out, forbiddenPull)
		}
	})
}

// hasLine reports whether one line of text holds every one of words.
func hasLine(text string, words ...string) bool {
	for line := range strings.SplitSeq(text, "\n") {
		all := true
		for _, w := range words {
			all = all && strings.Contains(line, w)
		}
		if all {
			return true
		}
	}
	return false
}
