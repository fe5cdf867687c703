package docker

import (
	"context"
	"crypto/rand"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Build makes an image offline: FROM base ("scratch" for none) plus one layer
// per ADD of a file of random bytes, so every build has layers no other image
// has. It tags the result tag.
func (c *CLI) Build(ctx context.Context, tag, base string, layers, layerSize int) error {
	dir, err := os.MkdirTemp(c.Daemon.Dir, "build-")
	if err != nil {
		return fmt.Errorf("creating a build context: %w", err)
	}
	defer os.RemoveAll(dir)
	var dockerfile strings.Builder
	fmt.Fprintf(&dockerfile, "FROM %s\n", base)
	buf := make([]byte, layerSize)
	for i := range layers {
		name := fmt.Sprintf("layer%d.bin", i)
		_, _ = rand.Read(buf)
		if err := os.WriteFile(filepath.Join(dir, name), buf, 0o600); err != nil {
			return fmt.Errorf("writing %s: %w", name, err)
		}
		fmt.Fprintf(&dockerfile, "ADD %s /%s\n", name, name)
	}
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte(dockerfile.String()), 0o600); err != nil {
		return fmt.Errorf("writing the Dockerfile: %w", err)
	}
	if _, err := c.Docker(ctx, "build", "-q", "-t", tag, dir); err != nil {
		return fmt.Errorf("building %s: %w", tag, err)
	}
	return nil
}
