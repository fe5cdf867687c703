package docker_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"sync"
	"testing"
	"time"

	"github.com/oatgate/oatgate/testenv"
	"github.com/oatgate/oatgate/testenv/docker"
)

// The package shares one stack and one dockerd: starting dockerd is the
// slow part, and Caddy is one per process anyway. Both start on the first
// test that needs them, so that fuzz workers and runs of the plain unit
// tests start nothing.
//
// Every test runs twice, once with each challenge option (modes): the
// stack is started again for each, the daemon is kept.
var (
	env    *testenv.Env
	daemon *docker.Daemon
	// mode is the gateway's challenge option in this run.
	mode string
	// envOnce starts this run's stack.
	envOnce sync.Once
	// unavailable says why the clients cannot run here ("" when they can);
	// notRoot is set when that is because the tests are not root.
	unavailable string
	notRoot     bool
	// startErr is a failure to start what is installed: always a failure.
	startErr  error
	startOnce sync.Once
	// envErr is a failure to start this run's stack.
	envErr error
)

// clientLimit bounds one docker, ctr or HTTP call of a test.
const clientLimit = 2 * time.Minute

func TestMain(m *testing.M) {
	os.Exit(runTests(m))
}

func runTests(m *testing.M) int {
	unavailable, notRoot = missingPrerequisite()
	if unavailable != "" {
		fmt.Fprintf(os.Stderr, "\n!!! testenv/docker: real docker and ctr cannot run: %s; every test skips (fails under CI=true unless not root) !!!\n\n", unavailable)
	}
	code := 0
	for _, mode = range modes {
		fmt.Fprintf(os.Stderr, "=== testenv/docker: challenge %s\n", mode)
		if c := m.Run(); c != 0 {
			fmt.Fprintf(os.Stderr, "=== testenv/docker: FAILED with challenge %s\n", mode)
			code = c
		}
		if env != nil {
			if err := env.Close(); err != nil {
				fmt.Fprintln(os.Stderr, "stopping testenv:", err)
			}
		}
		env, envOnce = nil, sync.Once{}
	}
	if daemon != nil {
		if err := daemon.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "stopping dockerd:", err)
		}
	}
	return code
}

// modes are the challenge options every test runs with: bearer (the
// default) and basic.
var modes = []string{"bearer", "basic"}

func startStack() {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	daemon, startErr = docker.StartDaemon(ctx, "")
}

// startEnv starts this run's stack, with anyone allowed to pull public/**.
func startEnv() {
	env, envErr = testenv.Start(testenv.Options{Gateway: map[string]any{
		"challenge": mode, "anonymous_pull": []string{"public/**"},
	}})
}

// missingPrerequisite names what is missing for real clients to run here.
func missingPrerequisite() (reason string, notRoot bool) {
	if os.Geteuid() != 0 {
		return "dockerd needs root and these tests do not run as root", true
	}
	for _, bin := range []string{"dockerd", "docker", "ctr"} {
		if _, err := exec.LookPath(bin); err != nil {
			return bin + " is not installed (apt-get install docker.io; .ci/run does)", false
		}
	}
	return "", false
}

// need stops a test that cannot run: loudly skipped when not root or, outside
// CI, when Docker is not installed; failed under CI=true, where .ci/run
// installs it and a skip would hide that nothing was tested.
func need(t *testing.T) {
	t.Helper()
	switch {
	case unavailable == "":
		startOnce.Do(startStack)
		if startErr != nil {
			t.Fatalf("starting dockerd: %v", startErr)
		}
		envOnce.Do(startEnv)
		if envErr != nil {
			t.Fatalf("starting the stack (challenge %s): %v", mode, envErr)
		}
	case notRoot:
		t.Skipf("SKIPPED, NOTHING TESTED: %s; run as root to test real docker and ctr against the gateway", unavailable)
	case os.Getenv("CI") == "true":
		t.Fatalf("CI=true but %s", unavailable)
	default:
		t.Skipf("SKIPPED, NOTHING TESTED: %s", unavailable)
	}
}
