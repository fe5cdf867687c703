// Package docker runs the clients people actually use — the Docker daemon and
// CLI, and containerd's ctr — against the gateway. Daemon starts a private
// dockerd (with its own containerd) whose data, sockets and state live in one
// folder, so tests never touch another daemon on the machine.
package docker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// ErrNoDockerd is returned by StartDaemon when no dockerd is installed.
var ErrNoDockerd = errors.New("dockerd not found in PATH (Debian: apt-get install docker.io)")

// maxSocketDir keeps unix socket paths under the kernel's 108-byte limit:
// containerd's deepest socket is 36 bytes below the daemon's folder.
const maxSocketDir = 60

// Daemon is a private dockerd. Everything it writes is under Dir except the
// empty /run/docker/plugins folder, whose path dockerd 20.10 hard-codes.
type Daemon struct {
	// Dir holds the daemon's data root, exec root, sockets, pid file,
	// daemon.json, trust key and log.
	Dir string
	// Host is the DOCKER_HOST value of the daemon (unix://Dir/docker.sock).
	Host string
	// ContainerdAddress is the socket of the containerd dockerd started, for
	// ctr --address.
	ContainerdAddress string
	// Log is the daemon's combined output.
	Log string

	cmd  *exec.Cmd
	done chan error
}

// StartDaemon starts dockerd with vfs storage and no networking set-up
// (no iptables, no bridge) in a new folder under parent ("" for the system's
// temporary folder, or /tmp when that path is too long for unix sockets), and
// waits until it answers. The caller must Stop it.
func StartDaemon(ctx context.Context, parent string) (*Daemon, error) {
	dockerd, err := exec.LookPath("dockerd")
	if err != nil {
		return nil, ErrNoDockerd
	}
	if parent == "" {
		parent = os.TempDir()
	}
	if len(parent) > maxSocketDir-20 {
		parent = "/tmp"
	}
	dir, err := os.MkdirTemp(parent, "oatgate-dockerd-")
	if err != nil {
		return nil, fmt.Errorf("creating the daemon's folder: %w", err)
	}
	d := &Daemon{
		Dir:               dir,
		Host:              "unix://" + filepath.Join(dir, "docker.sock"),
		ContainerdAddress: filepath.Join(dir, "exec", "containerd", "containerd.sock"),
		Log:               filepath.Join(dir, "dockerd.log"),
		done:              make(chan error, 1),
	}
	// Without a config file naming it, dockerd 20.10 writes its trust key to
	// /etc/docker/key.json; the option exists only in the file.
	conf, err := json.Marshal(map[string]any{"deprecated-key-path": filepath.Join(dir, "key.json")})
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, "daemon.json"), conf, 0o600); err != nil {
		return nil, fmt.Errorf("writing daemon.json: %w", err)
	}
	logFile, err := os.Create(d.Log)
	if err != nil {
		return nil, fmt.Errorf("creating the daemon's log: %w", err)
	}
	defer logFile.Close()

	d.cmd = exec.Command(dockerd,
		"--config-file", filepath.Join(dir, "daemon.json"),
		"--storage-driver=vfs",
		"--iptables=false", "--ip6tables=false", "--bridge=none",
		"--data-root", filepath.Join(dir, "data"),
		"--exec-root", filepath.Join(dir, "exec"),
		"--pidfile", filepath.Join(dir, "docker.pid"),
		"-H", d.Host,
	)
	d.cmd.Stdout, d.cmd.Stderr = logFile, logFile
	// Its own process group, so Stop can end whatever it started; and
	// killed with the test binary should that die without cleaning up.
	d.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
	if err := d.cmd.Start(); err != nil {
		_ = os.RemoveAll(dir)
		return nil, fmt.Errorf("starting dockerd: %w", err)
	}
	go func() { d.done <- d.cmd.Wait() }()

	if err := d.waitReady(ctx); err != nil {
		err = fmt.Errorf("%w\n%s", err, d.LogTail(20))
		return nil, errors.Join(err, d.Stop())
	}
	return d, nil
}

// waitReady polls the API's /_ping and containerd's socket until both
// answer, the daemon exits, or ctx ends.
func (d *Daemon) waitReady(ctx context.Context) error {
	client := d.HTTPClient()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		if d.ping(ctx, client) == nil {
			if _, err := os.Stat(d.ContainerdAddress); err == nil {
				return nil
			}
		}
		select {
		case err := <-d.done:
			d.done <- err
			return fmt.Errorf("dockerd exited while starting: %v", err)
		case <-ctx.Done():
			return fmt.Errorf("dockerd did not answer on %s: %w", d.Host, ctx.Err())
		case <-tick.C:
		}
	}
}

func (d *Daemon) ping(ctx context.Context, client *http.Client) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://docker/_ping", nil)
	if err != nil {
		return err
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("ping: %s", resp.Status)
	}
	return nil
}

// HTTPClient speaks to the daemon's API socket.
func (d *Daemon) HTTPClient() *http.Client {
	sock := strings.TrimPrefix(d.Host, "unix://")
	return &http.Client{
		Timeout: 10 * time.Second,
		Transport: &http.Transport{
			DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
				var dialer net.Dialer
				return dialer.DialContext(ctx, "unix", sock)
			},
		},
	}
}

// LogTail returns the last n lines of the daemon's log, for failure messages.
func (d *Daemon) LogTail(n int) string {
	data, err := os.ReadFile(d.Log)
	if err != nil {
		return "(no dockerd log: " + err.Error() + ")"
	}
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// Stop ends dockerd (SIGTERM, then SIGKILL to its process group after 20 s),
// then the containerd it started should that outlive it, unmounts anything
// left under Dir and removes Dir. It only signals processes it started.
func (d *Daemon) Stop() error {
	var errs []error
	if d.cmd != nil && d.cmd.Process != nil {
		errs = append(errs, d.stopDockerd())
	}
	errs = append(errs, d.stopContainerd(), d.unmountAll())
	if err := os.RemoveAll(d.Dir); err != nil {
		errs = append(errs, fmt.Errorf("removing %s: %w", d.Dir, err))
	}
	return errors.Join(errs...)
}

func (d *Daemon) stopDockerd() error {
	pid := d.cmd.Process.Pid
	_ = syscall.Kill(pid, syscall.SIGTERM)
	select {
	case <-d.done:
		return nil
	case <-time.After(20 * time.Second):
	}
	// The group is dockerd's own (Setpgid), so this reaches nobody else.
	if err := syscall.Kill(-pid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("killing dockerd's process group %d: %w", pid, err)
	}
	<-d.done
	return fmt.Errorf("dockerd %d ignored SIGTERM for 20s and was killed", pid)
}

// stopContainerd ends the containerd dockerd started if it is still running:
// dockerd puts it in a process group of its own. The pid is only trusted if
// that process's command line names this daemon's folder.
func (d *Daemon) stopContainerd() error {
	data, err := os.ReadFile(filepath.Join(d.Dir, "exec", "containerd", "containerd.pid"))
	if err != nil {
		return nil // never started, or removed on a clean exit
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil || pid <= 1 {
		return nil
	}
	deadline := time.Now().Add(10 * time.Second)
	for sig := syscall.SIGTERM; d.isOurs(pid); time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			if sig == syscall.SIGKILL {
				return fmt.Errorf("containerd %d survived SIGKILL", pid)
			}
			sig, deadline = syscall.SIGKILL, time.Now().Add(5*time.Second)
		}
		_ = syscall.Kill(pid, sig)
	}
	return nil
}

// isOurs reports whether pid is alive and was started for this daemon.
func (d *Daemon) isOurs(pid int) bool {
	cmdline, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "cmdline"))
	if err != nil {
		return false
	}
	stat, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err == nil && strings.Contains(string(stat), ") Z ") {
		return false // a zombie: already dead, waiting for its parent
	}
	return strings.Contains(string(cmdline), d.Dir)
}

// unmountAll detaches mounts left under Dir (a killed daemon can leave
// snapshot mounts behind), deepest first, so that Dir can be removed.
func (d *Daemon) unmountAll() error {
	data, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return nil
	}
	var mounts []string
	for line := range strings.SplitSeq(string(data), "\n") {
		fields := strings.Fields(line)
		if len(fields) > 4 && (fields[4] == d.Dir || strings.HasPrefix(fields[4], d.Dir+"/")) {
			mounts = append(mounts, fields[4])
		}
	}
	var errs []error
	for i := len(mounts) - 1; i >= 0; i-- {
		if err := syscall.Unmount(mounts[i], syscall.MNT_DETACH); err != nil {
			errs = append(errs, fmt.Errorf("unmounting %s: %w", mounts[i], err))
		}
	}
	return errors.Join(errs...)
}
