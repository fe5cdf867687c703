// Package servertest runs oatstore's HTTP behaviours that depend on the
// store under them against any backend: the server package runs them on
// SQLite, the postgres package on PostgreSQL,
//
//	func TestEscalationMatrix(t *testing.T) { servertest.EscalationMatrix(t, openStore(t)) }
//
// so that an authorization decided inside a store transaction is checked
// where the transaction really runs.
package servertest

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/oatgate/oatgate/cmd/oatstore/adminkeys"
	"github.com/oatgate/oatgate/cmd/oatstore/server"
	"github.com/oatgate/oatgate/cmd/oatstore/store"
	"github.com/oatgate/oatgate/cmd/oatstore/webhook"
)

// The admin keys of every server this package starts: two named keys, so
// that the audit can show which one acted.
const (
	AliceKey     = "alice-admin-key-for-servertest-0123456789"
	BootstrapKey = "bootstrap-admin-key-for-servertest-0123456789"
	// GatewayKey is the gateway key of every server, for usage reports.
	GatewayKey = "gateway-key-for-servertest-0123456789abcdef"
)

// T0 is where the server's clock starts.
var T0 = time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)

// clock is the server's settable clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// env is one oatstore server over a store, on a loopback port.
type env struct {
	t     *testing.T
	url   string
	clock *clock
}

// start runs a server over st with the two named admin keys; configure
// may change the rest of its config.
func start(t *testing.T, st store.Store, configure ...func(*server.Config)) *env {
	t.Helper()
	return startWith(t, st, &clock{t: T0}, webhook.Options{}, configure...)
}

// startWith runs a server over st on clock clk with webhook options
// hooks: replicas share one clock, as synchronized hosts do.
func startWith(t *testing.T, st store.Store, clk *clock, hooks webhook.Options, configure ...func(*server.Config)) *env {
	t.Helper()
	keys, err := adminkeys.Load(adminkeys.Sources{List: "alice=" + AliceKey + ",bootstrap=" + BootstrapKey})
	if err != nil {
		t.Fatalf("loading admin keys: %v", err)
	}
	cfg := server.Config{Store: st, AdminKeys: keys, GatewayKeys: []string{GatewayKey}, Now: clk.now, Webhooks: hooks}
	for _, c := range configure {
		c(&cfg)
	}
	srv, err := server.New(cfg)
	if err != nil {
		t.Fatalf("server.New: %v", err)
	}
	hs := httptest.NewServer(srv)
	t.Cleanup(func() {
		hs.Close()
		srv.Close()
	})
	return &env{t: t, url: hs.URL, clock: clk}
}

// answer is a status, the headers and a body.
type answer struct {
	status int
	header http.Header
	body   []byte
}

// decode reads a's JSON body into v.
func (a answer) decode(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(a.body, v); err != nil {
		t.Fatalf("decoding %s: %v", a.body, err)
	}
}

// message returns the message of an error answer, or "".
func (a answer) message() string {
	var e struct {
		Error struct{ Code, Message string }
	}
	_ = json.Unmarshal(a.body, &e)
	return e.Error.Code + ": " + e.Error.Message
}

// do sends a request with credential as the bearer and body (a string
// sent as is, or a value encoded as JSON). hdr are name, value pairs.
func (e *env) do(t *testing.T, credential, method, path string, body any, hdr ...string) answer {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			t.Fatalf("encoding body: %v", err)
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, e.url+path, rd)
	if err != nil {
		t.Fatalf("building request: %v", err)
	}
	if credential != "" {
		req.Header.Set("Authorization", "Bearer "+credential)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	return e.send(t, req)
}

// send sends req and reads the whole answer.
func (e *env) send(t *testing.T, req *http.Request) answer {
	t.Helper()
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("reading answer: %v", err)
	}
	return answer{status: res.StatusCode, header: res.Header, body: b}
}

// must sends a request and fails unless it answers want.
func (e *env) must(t *testing.T, want int, credential, method, path string, body any) answer {
	t.Helper()
	a := e.do(t, credential, method, path, body)
	if a.status != want {
		t.Fatalf("%s %s = %d %s, want %d", method, path, a.status, a.body, want)
	}
	return a
}

// issued is a created token with its secret.
type issued struct {
	store.Token
	Secret string `json:"token"`
}

// create makes a token of org as credential and returns it.
func (e *env) create(t *testing.T, credential, org, label, expiresIn string, scopes ...string) issued {
	t.Helper()
	body := map[string]any{"label": label, "scopes": scopes}
	if expiresIn != "" {
		body["expires_in"] = expiresIn
	}
	var tok issued
	e.must(t, http.StatusCreated, credential, "POST", "/v1/orgs/"+org+"/tokens", body).decode(t, &tok)
	return tok
}
