package bench

import (
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/oatgate/oatgate/testenv"
)

// GatewayProcess is the oatgate binary running as a process of its own in
// front of a testenv's registry and token store, with a gateway server
// (registry_auth + reverse_proxy) and a bare one (reverse_proxy alone): its
// memory is then the gateway's alone, not the test process's.
type GatewayProcess struct {
	GatewayURL, BareURL string
	cmd                 *exec.Cmd
	exited              chan error
}

// StartGatewayProcess runs bin (a build of ./cmd/oatgate) with a config
// written to dir.
func StartGatewayProcess(bin, dir string, env *testenv.Env) (*GatewayProcess, error) {
	gatewayAddr, err := testenv.FreeAddr("")
	if err != nil {
		return nil, err
	}
	bareAddr, err := testenv.FreeAddr("")
	if err != nil {
		return nil, err
	}
	data, err := testenv.GatewayConfig{
		GatewayAddr: gatewayAddr, BareAddr: bareAddr,
		RegistryAddr: env.Registry.Addr, StoreURL: env.Store.URL, GatewayKey: env.GatewayKey,
		UsageLog: filepath.Join(dir, "usage.log"), CaddyLog: filepath.Join(dir, "caddy.log"), StorageDir: filepath.Join(dir, "caddy"),
	}.JSON()
	if err != nil {
		return nil, err
	}
	// The config holds the gateway key: readable by this user only.
	cfgPath := filepath.Join(dir, "oatgate.json")
	if err := os.WriteFile(cfgPath, data, 0o600); err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, "run", "--config", cfgPath)
	out, err := os.Create(filepath.Join(dir, "oatgate.out"))
	if err != nil {
		return nil, err
	}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		out.Close()
		return nil, fmt.Errorf("starting %s: %w", bin, err)
	}
	p := &GatewayProcess{GatewayURL: "http://" + gatewayAddr, BareURL: "http://" + bareAddr, cmd: cmd, exited: make(chan error, 1)}
	go func() { p.exited <- cmd.Wait(); out.Close() }()
	for _, u := range []string{p.GatewayURL, p.BareURL} {
		var (
			gone            bool
			exitErr, getErr error
		)
		_, err := testenv.Poll(30*time.Second, func() bool {
			select {
			case exitErr = <-p.exited:
				gone = true
				return true
			default:
			}
			resp, err := http.Get(u + "/v2/")
			if err == nil {
				resp.Body.Close()
			}
			getErr = err
			return err == nil
		})
		switch {
		case gone:
			return nil, fmt.Errorf("%s exited before answering (see %s): %v", bin, out.Name(), exitErr)
		case err != nil:
			p.Close()
			return nil, fmt.Errorf("%s did not answer: %w (last try: %w)", u, err, getErr)
		}
	}
	return p, nil
}

// Close stops the process.
func (p *GatewayProcess) Close() {
	if p.cmd.Process == nil {
		return
	}
	_ = p.cmd.Process.Signal(os.Interrupt)
	select {
	case <-p.exited:
	case <-time.After(10 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.exited
	}
}

// ResetPeakRSS makes the kernel restart the process's peak resident set
// size (VmHWM) from its current size.
func (p *GatewayProcess) ResetPeakRSS() error {
	return os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", p.cmd.Process.Pid), []byte("5"), 0)
}

// PeakRSS is the process's peak resident set size in bytes since it started
// or since ResetPeakRSS.
func (p *GatewayProcess) PeakRSS() (int64, error) { return p.status("VmHWM:") }

// RSS is the process's resident set size in bytes.
func (p *GatewayProcess) RSS() (int64, error) { return p.status("VmRSS:") }

func (p *GatewayProcess) status(field string) (int64, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.cmd.Process.Pid))
	if err != nil {
		return 0, err
	}
	for line := range strings.SplitSeq(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, field); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb << 10, err
		}
	}
	return 0, errors.New("no " + field + " in /proc status")
}
