package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/oatgate/oatgate/cmd/oatstore/store/sqlite"
)

const (
	testAdminKey   = "crash-test-admin-key-0123456789abcdef"
	testGatewayKey = "crash-test-gateway-key-0123456789abcdef"
)

var built struct {
	once sync.Once
	dir  string
	bin  string
	err  error
}

// buildBinary compiles oatstore once per test binary, with -race when the
// tests run with it so that the build reuses the test's compiled packages.
func buildBinary(t *testing.T) string {
	t.Helper()
	built.once.Do(func() {
		if built.dir, built.err = os.MkdirTemp("", "oatstore-bin"); built.err != nil {
			return
		}
		built.bin = filepath.Join(built.dir, "oatstore")
		args := []string{"build", "-o", built.bin}
		if raceEnabled {
			args = append(args, "-race")
		}
		out, err := exec.Command("go", append(args, ".")...).CombinedOutput()
		if err != nil {
			built.err = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if built.err != nil {
		t.Fatal(built.err)
	}
	return built.bin
}

func TestMain(m *testing.M) {
	code := m.Run()
	if built.dir != "" {
		os.RemoveAll(built.dir)
	}
	os.Exit(code)
}

// child is a running `oatstore serve`.
type child struct {
	cmd  *exec.Cmd
	url  string
	logs *bytes.Buffer
	mu   *sync.Mutex
	done chan struct{}
}

var listening = regexp.MustCompile(`"msg":"oatstore listening","addr":"([^"]+)"`)

// startChild runs oatstore serve on a free loopback port and waits until it
// listens.
func startChild(t *testing.T, bin, db string, extraArgs ...string) *child {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"serve", "--listen", "127.0.0.1:0", "--db", db, "--log-level", "debug"}, extraArgs...)...)
	cmd.Env = os.Environ()
	if len(extraArgs) == 0 {
		cmd.Env = append(cmd.Env, "OATSTORE_ADMIN_KEY="+testAdminKey, "OATSTORE_GATEWAY_KEY="+testGatewayKey)
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatalf("stderr pipe: %v", err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting oatstore: %v", err)
	}
	c := &child{cmd: cmd, logs: &bytes.Buffer{}, mu: &sync.Mutex{}, done: make(chan struct{})}
	addr := make(chan string, 1)
	go func() {
		defer close(c.done)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			line := sc.Text()
			c.mu.Lock()
			c.logs.WriteString(line + "\n")
			c.mu.Unlock()
			if m := listening.FindStringSubmatch(line); m != nil {
				addr <- m[1]
			}
		}
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	select {
	case a := <-addr:
		c.url = "http://" + a
	case <-time.After(15 * time.Second):
		t.Fatalf("oatstore did not start; log:\n%s", c.logText())
	}
	return c
}

func (c *child) logText() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.logs.String()
}

// stop ends the child with sig and waits for it and its log reader.
func (c *child) stop(t *testing.T, sig syscall.Signal) {
	t.Helper()
	if err := c.cmd.Process.Signal(sig); err != nil {
		t.Fatalf("signalling oatstore: %v", err)
	}
	_ = c.cmd.Wait()
	<-c.done
}

// call sends an admin or gateway request and decodes a 2xx answer.
func call(ctx context.Context, client *http.Client, method, u, key, ct string, body io.Reader, out any) (int, error) {
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+key)
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	res, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		return 0, err
	}
	if res.StatusCode < 300 && out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			return res.StatusCode, err
		}
	}
	return res.StatusCode, nil
}

type ackedToken struct {
	ID     string `json:"id"`
	Secret string `json:"token"`
	// revoking: a revoke was sent (it may have committed unacknowledged);
	// revoked: it was acknowledged.
	revoking, revoked bool
}

// TestCrashLosesNothingAcknowledged kills oatstore with SIGKILL in the middle
// of a burst of concurrent creates and revokes, restarts it, and checks that
// everything it acknowledged is there, that the database is sound, and that
// neither the database nor the logs hold a token secret.
func TestCrashLosesNothingAcknowledged(t *testing.T) {
	bin := buildBinary(t)
	db := filepath.Join(t.TempDir(), "oatstore.db")
	first := startChild(t, bin, db)
	ctx := context.Background()
	client := &http.Client{Timeout: 10 * time.Second}

	if st, err := call(ctx, client, "PUT", first.url+"/v1/orgs/acme", testAdminKey, "application/json", strings.NewReader(`{"max_tokens":100000}`), nil); err != nil || st != http.StatusCreated {
		t.Fatalf("creating org: status %d, %v", st, err)
	}

	const (
		workers   = 8
		killAfter = 120 // acknowledged operations before the kill
		maxOps    = 60  // per worker, so the burst is bounded even if the kill is late
	)
	var (
		mu     sync.Mutex
		acked  []*ackedToken
		ops    atomic.Int64
		killed = make(chan struct{})
		once   sync.Once
		wg     sync.WaitGroup
	)
	for w := range workers {
		wg.Go(func() {
			var mine []*ackedToken
			for i := range maxOps {
				var tok ackedToken
				body := fmt.Sprintf(`{"label":"w%d-%d","scopes":["repository:acme/app:pull"],"expires_in":"30d"}`, w, i)
				st, err := call(ctx, client, "POST", first.url+"/v1/orgs/acme/tokens", testAdminKey, "application/json", strings.NewReader(body), &tok)
				if err != nil || st != http.StatusCreated {
					return // the server is gone
				}
				mu.Lock()
				acked = append(acked, &tok)
				mu.Unlock()
				mine = append(mine, &tok)
				if i%2 == 1 {
					victim := mine[len(mine)-2]
					mu.Lock()
					victim.revoking = true
					mu.Unlock()
					st, err := call(ctx, client, "POST", first.url+"/v1/orgs/acme/tokens/"+victim.ID+"/revoke", testAdminKey, "", nil, nil)
					if err != nil || st != http.StatusOK {
						return
					}
					mu.Lock()
					victim.revoked = true
					mu.Unlock()
				}
				if ops.Add(1) >= killAfter {
					once.Do(func() {
						_ = first.cmd.Process.Signal(syscall.SIGKILL)
						close(killed)
					})
				}
			}
		})
	}
	wg.Wait()
	select {
	case <-killed:
	default:
		t.Fatalf("the burst ended after %d operations, before the kill", ops.Load())
	}
	first.stop(t, syscall.SIGKILL)

	second := startChild(t, bin, db)
	revokes := 0
	for _, tok := range acked {
		var got struct {
			ID        string     `json:"id"`
			RevokedAt *time.Time `json:"revoked_at"`
		}
		st, err := call(ctx, client, "GET", second.url+"/v1/orgs/acme/tokens/"+tok.ID, testAdminKey, "", nil, &got)
		if err != nil || st != http.StatusOK {
			t.Errorf("acknowledged token %s lost after the crash: status %d, %v", tok.ID, st, err)
			continue
		}
		if tok.revoked {
			revokes++
			if got.RevokedAt == nil {
				t.Errorf("acknowledged revoke of %s lost after the crash", tok.ID)
			}
		}
		var in struct{ Active bool }
		form := url.Values{"token": {tok.Secret}}.Encode()
		if st, err := call(ctx, client, "POST", second.url+"/v1/introspect", testGatewayKey, "application/x-www-form-urlencoded", strings.NewReader(form), &in); err != nil || st != http.StatusOK {
			t.Fatalf("introspecting: status %d, %v", st, err)
		}
		switch {
		case tok.revoked && in.Active:
			t.Errorf("token %s introspects active after its acknowledged revoke", tok.ID)
		case !tok.revoking && !in.Active:
			t.Errorf("token %s introspects inactive though it was never revoked", tok.ID)
		}
	}
	t.Logf("%d creates and %d revokes acknowledged before SIGKILL, all present after restart", len(acked), revokes)
	second.stop(t, syscall.SIGTERM)

	st, err := sqlite.Open(ctx, db)
	if err != nil {
		t.Fatalf("reopening: %v", err)
	}
	verdict, err := st.IntegrityCheck(ctx)
	st.Close()
	if err != nil || verdict != "ok" {
		t.Errorf("integrity_check = %q, %v; want ok", verdict, err)
	}

	t.Run("neither the database nor the logs hold a token secret", func(t *testing.T) {
		files, _ := filepath.Glob(db + "*")
		blobs := map[string][]byte{"log of the killed run": []byte(first.logText()), "log of the restarted run": []byte(second.logText())}
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatalf("reading %s: %v", f, err)
			}
			blobs[filepath.Base(f)] = b
		}
		for _, tok := range acked {
			for name, b := range blobs {
				if bytes.Contains(b, []byte(tok.Secret)) || bytes.Contains(b, []byte(tok.Secret[4:])) {
					t.Fatalf("%s contains the secret of %s", name, tok.ID)
				}
			}
		}
		if !strings.Contains(second.logText(), `"msg":"request"`) {
			t.Errorf("restarted run logged no requests at debug level; the leak check would prove nothing")
		}
	})
}
