package testenv

import (
	"os"
	"os/exec"
	"testing"
)

// Tool returns the path of a client binary a test drives (skopeo,
// podman). Without it the test skips, loudly, on a developer's machine and
// fails under CI=true (.ci/run sets it and installs every tool), so that a
// missing install step never passes as a skip.
func Tool(t testing.TB, name string) string {
	t.Helper()
	bin, err := exec.LookPath(name)
	if err == nil {
		return bin
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s is not installed, and CI must run this test: .ci/run installs Debian's %s", name, name)
	}
	t.Skipf("SKIPPED, NOTHING TESTED: %s is not installed (apt-get install %s); CI installs it and runs this test", name, name)
	return ""
}
