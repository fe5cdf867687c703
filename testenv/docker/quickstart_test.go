package docker_test

import (
	"strings"
	"testing"

	"github.com/oatgate/oatgate/testenv"
)

// The Docker lines `make run` prints are run here exactly as printed (with
// only the <image> placeholder filled in), so the quick start cannot rot.
func TestMakeRunDockerLinesWorkAsPrinted(t *testing.T) {
	need(t)
	const org = "quickorg"
	tok, err := testenv.QuickStart(testenv.Context(t, clientLimit), env, org)
	if err != nil {
		t.Fatalf("quick start: %v", err)
	}
	lines := dockerLines(testenv.Instructions(env, org, tok))
	if len(lines) != 2 {
		t.Fatalf("make run prints %d Docker lines %q, want 2 (login, then tag and push)", len(lines), lines)
	}
	if want := "| " + testenv.DockerLogin(env, org); !strings.HasSuffix(lines[0], want) {
		t.Errorf("login line = %q, want it to end with %q", lines[0], want)
	}
	if !strings.Contains(lines[1], "<image>") {
		t.Fatalf("push line = %q, want an <image> placeholder to fill in", lines[1])
	}

	cli := newCLI(t)
	const local = "quickstart-source:latest"
	build(t, cli, local, "scratch", 1)
	for _, line := range []string{lines[0], strings.ReplaceAll(lines[1], "<image>", local)} {
		if _, err := cli.Shell(testenv.Context(t, clientLimit), line, ""); err != nil {
			t.Fatalf("a line make run prints fails: %v", err)
		}
	}
	if layers := manifestLayers(t, org+"/app", "latest"); len(layers) != 1 {
		t.Errorf("%s/app:latest has %d layers in the registry, want the 1 pushed", org, len(layers))
	}
}

// dockerLines returns the command lines of the Docker section of make run's
// instructions.
func dockerLines(text string) []string {
	var lines []string
	in := false
	for line := range strings.SplitSeq(text, "\n") {
		switch {
		case strings.HasPrefix(line, "Docker"):
			in = true
		case in && strings.TrimSpace(line) == "":
			return lines
		case in:
			lines = append(lines, strings.TrimSpace(line))
		}
	}
	return lines
}
