package docker

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
)

// CLI runs docker commands against a Daemon as one user would: with a
// configuration folder of its own, so logins never reach ~/.docker and two
// CLIs hold different credentials for the same registry.
type CLI struct {
	Daemon *Daemon
	// ConfigDir is DOCKER_CONFIG: where docker login stores credentials.
	ConfigDir string
}

// NewCLI returns a CLI with a new, empty configuration folder under the
// daemon's folder.
func (d *Daemon) NewCLI() (*CLI, error) {
	dir, err := os.MkdirTemp(d.Dir, "cli-")
	if err != nil {
		return nil, fmt.Errorf("creating a docker config folder: %w", err)
	}
	return &CLI{Daemon: d, ConfigDir: dir}, nil
}

// Env is the environment docker commands run with.
func (c *CLI) Env() []string {
	return append(os.Environ(),
		"DOCKER_HOST="+c.Daemon.Host,
		"DOCKER_CONFIG="+c.ConfigDir,
		// The legacy builder builds FROM scratch offline; BuildKit's
		// front-end image would have to be pulled.
		"DOCKER_BUILDKIT=0",
		"DOCKER_CLI_HINTS=false",
	)
}

// Docker runs docker with args and returns its combined output; the error
// says how it failed and repeats the output.
func (c *CLI) Docker(ctx context.Context, args ...string) (string, error) {
	return run(exec.CommandContext(ctx, "docker", args...), c.Env(), "")
}

// Shell runs line with sh -c, stdin fed from stdin, as a user pasting it
// would.
func (c *CLI) Shell(ctx context.Context, line, stdin string) (string, error) {
	return run(exec.CommandContext(ctx, "sh", "-c", line), c.Env(), stdin)
}

// Ctr runs containerd's ctr against the daemon's containerd.
func (d *Daemon) Ctr(ctx context.Context, args ...string) (string, error) {
	args = append([]string{"--address", d.ContainerdAddress}, args...)
	return run(exec.CommandContext(ctx, "ctr", args...), os.Environ(), "")
}

func run(cmd *exec.Cmd, env []string, stdin string) (string, error) {
	var out bytes.Buffer
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.Stdin = strings.NewReader(stdin)
	err := cmd.Run()
	if err != nil {
		return out.String(), fmt.Errorf("%s: %w\n%s", redact(strings.Join(cmd.Args, " ")), err, out.String())
	}
	return out.String(), nil
}

// redact hides tokens given on a command line (ctr --user org:oat_...), so
// that failure messages never carry a secret.
func redact(s string) string {
	var b strings.Builder
	for {
		i := strings.Index(s, "oat_")
		if i < 0 {
			return b.String() + s
		}
		b.WriteString(s[:i] + "oat_***")
		s = s[i+4:]
		if j := strings.IndexAny(s, " \t'\""); j >= 0 {
			s = s[j:]
		} else {
			s = ""
		}
	}
}
