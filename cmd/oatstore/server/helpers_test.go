package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/oatgate/oatgate/caddymodule/storeapi"
	"github.com/oatgate/oatgate/cmd/oatstore/adminkeys"
	"github.com/oatgate/oatgate/cmd/oatstore/server"
	"github.com/oatgate/oatgate/cmd/oatstore/store"
	"github.com/oatgate/oatgate/cmd/oatstore/store/sqlite"
)

const (
	// adminKey is OATSTORE_ADMIN_KEY, the key named "admin"; aliceKey is a
	// second named key.
	adminKey   = "admin-key-for-tests-0123456789abcdef"
	aliceKey   = "alice-key-for-tests-0123456789abcdef"
	gatewayKey = "gateway-key-for-tests-0123456789abcdef"
)

// testKeys is the admin key ring of every test server.
func testKeys(t testing.TB) *adminkeys.Ring {
	t.Helper()
	ring, err := adminkeys.Load(adminkeys.Sources{List: "alice=" + aliceKey, Single: adminKey})
	if err != nil {
		t.Fatalf("loading admin keys: %v", err)
	}
	return ring
}

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// syncBuffer collects log output from several goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) Sync() error { return nil }

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// env is one oatstore on a loopback port with a temp database.
type env struct {
	t      testing.TB
	url    string
	dbPath string
	clock  *clock
	logs   *syncBuffer
	srv    *server.Server
	st     *sqlite.Store
	http   *httptest.Server
}

// newEnv starts a server on a fresh database (or dbPath, if given) with a
// debug-level logger writing to env.logs; each of with may change the
// server's config first.
func newEnv(t testing.TB, dbPath string, with ...func(*server.Config)) *env {
	t.Helper()
	if dbPath == "" {
		dbPath = filepath.Join(t.TempDir(), "oatstore.db")
	}
	st, err := sqlite.Open(context.Background(), dbPath)
	if err != nil {
		t.Fatalf("opening store: %v", err)
	}
	logs := &syncBuffer{}
	core := zapcore.NewCore(zapcore.NewJSONEncoder(zap.NewProductionEncoderConfig()), logs, zap.DebugLevel)
	clk := &clock{t: time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)}
	cfg := server.Config{
		Store:       st,
		AdminKeys:   testKeys(t),
		GatewayKeys: []string{"old-gateway-key-being-rotated-out", gatewayKey},
		Logger:      zap.New(core),
		Now:         clk.Now,
		// Test issuers (testenv/oidcissuer) serve http on loopback.
		Federation: server.FederationConfig{AllowLoopbackHTTP: true},
	}
	for _, f := range with {
		f(&cfg)
	}
	srv, err := server.New(cfg)
	if err != nil {
		t.Fatalf("server.New: %v", err)
	}
	e := &env{t: t, dbPath: dbPath, clock: clk, logs: logs, srv: srv, st: st, http: httptest.NewServer(srv)}
	e.url = e.http.URL
	t.Cleanup(e.stop)
	return e
}

// on returns a view of e that reports failures to t (a subtest).
func (e *env) on(t testing.TB) *env {
	c := *e
	c.t = t
	return &c
}

// stop shuts the server down and closes the store; safe to call twice.
func (e *env) stop() {
	if e.http == nil {
		return
	}
	e.srv.Close()
	e.http.Close()
	e.st.Close()
	e.http = nil
}

// response is a decoded answer.
type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) json(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decoding %s: %v", r.body, err)
	}
}

// errorCode returns the code of a JSON error answer.
func (r response) errorCode(t testing.TB) (code, msg string) {
	t.Helper()
	var e struct {
		Error struct{ Code, Message string }
	}
	r.json(t, &e)
	if e.Error.Code == "" {
		t.Fatalf("answer %d %s is not a JSON error", r.status, r.body)
	}
	return e.Error.Code, e.Error.Message
}

func (e *env) do(method, path, key, contentType string, body io.Reader, hdr ...string) response {
	e.t.Helper()
	req, err := http.NewRequest(method, e.url+path, body)
	if err != nil {
		e.t.Fatalf("building request: %v", err)
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		e.t.Fatalf("reading answer: %v", err)
	}
	return response{status: res.StatusCode, header: res.Header, body: b}
}

// admin sends an admin call with a JSON body (a string is sent verbatim).
func (e *env) admin(method, path string, body any, hdr ...string) response {
	e.t.Helper()
	var r io.Reader
	ct := ""
	switch b := body.(type) {
	case nil:
	case string:
		r, ct = strings.NewReader(b), "application/json"
	default:
		j, err := json.Marshal(b)
		if err != nil {
			e.t.Fatalf("encoding body: %v", err)
		}
		r, ct = bytes.NewReader(j), "application/json"
	}
	return e.do(method, path, adminKey, ct, r, hdr...)
}

func (e *env) mustStatus(r response, want int) {
	e.t.Helper()
	if r.status != want {
		e.t.Fatalf("status = %d, want %d; body %s", r.status, want, r.body)
	}
}

func (e *env) putOrg(org string, body any) {
	e.t.Helper()
	r := e.admin("PUT", "/v1/orgs/"+org, body)
	if r.status != http.StatusCreated && r.status != http.StatusOK {
		e.t.Fatalf("PUT org %s: status %d %s", org, r.status, r.body)
	}
}

// issued is a create answer.
type issued struct {
	store.Token
	Secret string `json:"token"`
}

func (e *env) create(org string, body any) issued {
	e.t.Helper()
	r := e.admin("POST", "/v1/orgs/"+org+"/tokens", body)
	e.mustStatus(r, http.StatusCreated)
	var out issued
	r.json(e.t, &out)
	return out
}

// introspection is the gateway's view of a token, read the way the gateway
// reads it.
type introspection = storeapi.Introspection

func (e *env) introspect(secret string) introspection {
	e.t.Helper()
	r := e.do("POST", "/v1/introspect", gatewayKey, "application/x-www-form-urlencoded", strings.NewReader(url.Values{"token": {secret}}.Encode()))
	e.mustStatus(r, http.StatusOK)
	out, err := storeapi.ParseIntrospection(r.body)
	if err != nil {
		e.t.Fatalf("the gateway cannot read the introspection answer %s: %v", r.body, err)
	}
	return out
}

// feedAnswer is a revocation feed page.
type feedAnswer = storeapi.RevocationPage

func (e *env) feed(query string) feedAnswer {
	e.t.Helper()
	r := e.do("GET", "/v1/revocations"+query, gatewayKey, "", nil)
	e.mustStatus(r, http.StatusOK)
	out, err := storeapi.ParseRevocationPage(r.body)
	if err != nil {
		e.t.Fatalf("the gateway cannot read the feed page %s: %v", r.body, err)
	}
	return out
}

func ciToken(label string) map[string]any {
	return map[string]any{"label": label, "scopes": []string{"repository:acme/app:pull,push"}}
}

func newServer(e *env, adminKeys *adminkeys.Ring) (*server.Server, error) {
	return server.New(server.Config{Store: e.st, AdminKeys: adminKeys})
}

// reopen opens a stopped env's database again.
func reopen(t *testing.T, path string) *sqlite.Store {
	t.Helper()
	st, err := sqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatalf("reopening %s: %v", path, err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}
