package caddymodule

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/oatgate/oatgate/caddymodule/usage"
	"github.com/oatgate/oatgate/caddymodule/verify"
)

// replica is one provisioned registry_auth, as one gateway replica runs it,
// with its usage events kept for the test.
type replica struct {
	ra     *RegistryAuth
	events *observer.ObservedLogs
}

// replicas numbers the replicas newReplica builds: each gets a cache size of
// its own, so that replicas in one process do not share the pooled
// verifier, as replicas in separate processes do not.
var replicas atomic.Int64

func newReplica(t *testing.T, bs *benchStore, challenge string) *replica {
	t.Helper()
	ctx, cancel := caddy.NewContext(caddy.Context{Context: context.Background()})
	t.Cleanup(cancel)
	ra := &RegistryAuth{
		Store: StoreURLs{bs.URL}, StoreKey: bs.gatewayKey, Challenge: challenge,
		RevocationPoll: caddy.Duration(100 * time.Millisecond), AnonymousPull: []string{"public/**"},
		CacheSize: verify.DefaultCacheSize + replicas.Add(1),
	}
	if err := ra.Provision(ctx); err != nil {
		t.Fatalf("Provision: %v", err)
	}
	t.Cleanup(func() { _ = ra.Cleanup() })
	core, logs := observer.New(zap.InfoLevel)
	ra.usage = newUsageLog(zap.New(core).Named(usage.LoggerName))
	return &replica{ra: ra, events: logs}
}

// serve sends one request through the replica to a registry that answers
// 200 to anything it gets.
func (rp *replica) serve(t *testing.T, method, target string, header http.Header) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest(method, target, nil)
	r.Host = "gw.example:5080"
	maps := context.WithValue(r.Context(), caddy.ReplacerCtxKey, caddy.NewReplacer())
	maps = context.WithValue(maps, caddyhttp.VarsCtxKey, map[string]any{caddyhttp.ClientIPVarKey: "127.0.0.1"})
	r = r.WithContext(maps)
	for k, v := range header {
		r.Header[k] = v
	}
	w := httptest.NewRecorder()
	next := caddyhttp.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		if r.Header.Get("Authorization") != "" {
			t.Errorf("the registry got an Authorization header")
		}
		w.WriteHeader(http.StatusOK)
		return nil
	})
	if err := rp.ra.ServeHTTP(w, r, next); err != nil {
		t.Fatalf("ServeHTTP: %v", err)
	}
	return w
}

// token asks the replica's token endpoint for scopes, with Basic
// credentials when user is set, and returns the token ("" when refused)
// and the status.
func (rp *replica) token(t *testing.T, user, secret string, scopes ...string) (string, int) {
	t.Helper()
	q := "service=oatgate"
	for _, s := range scopes {
		q += "&scope=" + s
	}
	h := http.Header{}
	if user != "" {
		h.Set("Authorization", basicAuth(user, secret))
	}
	w := rp.serve(t, http.MethodGet, "/token?"+q, h)
	if w.Code != http.StatusOK {
		return "", w.Code
	}
	var body struct {
		Token       string `json:"token"`
		AccessToken string `json:"access_token"`
		ExpiresIn   int    `json:"expires_in"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil || body.Token == "" || body.Token != body.AccessToken || body.ExpiresIn <= 0 {
		t.Fatalf("token answer %s: want token = access_token and expires_in > 0 (%v)", w.Body.Bytes(), err)
	}
	return body.Token, w.Code
}

// waitForFeed waits until the replicas started so far have read the
// revocation feed: until then each distrusts what it cached, and asks the
// store again. Each polls every 100 ms and once at its start, so four polls
// in all mean every replica's first one is done.
func waitForFeed(t *testing.T, bs *benchStore) {
	t.Helper()
	for i := 0; bs.feedPolls.Load() < 4; i++ {
		if i == 100 {
			t.Fatalf("the revocation feed was read %d times in 5 s, want 4", bs.feedPolls.Load())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func basicAuth(user, secret string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+secret))
}

func bearerHeader(tok string) http.Header {
	return http.Header{"Authorization": {"Bearer " + tok}}
}

// createToken makes an OAT of acme with scopes and returns its secret and id.
func createToken(t *testing.T, bs *benchStore, label string, scopes ...string) (secret, id string) {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"label": label, "scopes": scopes, "expires_in": "30d"})
	var tok struct {
		ID    string `json:"id"`
		Token string `json:"token"`
	}
	bs.admin(t, http.MethodPost, "/v1/orgs/acme/tokens", string(body), &tok)
	return tok.Token, tok.ID
}

func TestBearerTokens(t *testing.T) {
	bs := startBenchStore(t)
	bs.admin(t, http.MethodPut, "/v1/orgs/acme", `{"max_tokens":20}`, nil)
	push, _ := createToken(t, bs, "pusher", "repository:acme/**:pull,push")
	pull, _ := createToken(t, bs, "puller", "repository:acme/app:pull")
	a := newReplica(t, bs, "")
	b := newReplica(t, bs, "")
	waitForFeed(t, bs)

	t.Run("a logged-in client's token pulls on the replica that minted it", func(t *testing.T) {
		tok, code := a.token(t, "acme", pull, "repository:acme/app:pull")
		if code != http.StatusOK {
			t.Fatalf("token endpoint: %d, want 200", code)
		}
		if w := a.serve(t, http.MethodGet, "/v2/acme/app/manifests/latest", bearerHeader(tok)); w.Code != http.StatusOK {
			t.Fatalf("pull: %d %s, want 200", w.Code, w.Body)
		}
	})
	t.Run("a token minted by replica A pulls on replica B, which asks the store by id once", func(t *testing.T) {
		tok, _ := a.token(t, "acme", push, "repository:acme/app:pull")
		before := bs.introspections.Load()
		for range 3 {
			if w := b.serve(t, http.MethodGet, "/v2/acme/app/manifests/latest", bearerHeader(tok)); w.Code != http.StatusOK {
				t.Fatalf("pull on B: %d %s, want 200", w.Code, w.Body)
			}
		}
		if n := bs.introspections.Load() - before; n != 1 {
			t.Errorf("replica B asked the store %d times, want once (then cached)", n)
		}
	})
	t.Run("a pull-only OAT's token may not push, and is told so at once with 403 DENIED", func(t *testing.T) {
		tok, _ := a.token(t, "acme", pull, "repository:acme/app:pull,push")
		w := a.serve(t, http.MethodPut, "/v2/acme/app/manifests/latest", bearerHeader(tok))
		if w.Code != http.StatusForbidden || !strings.Contains(w.Body.String(), `"DENIED"`) || !strings.Contains(w.Body.String(), "push on acme/app") {
			t.Fatalf("push: %d %s, want 403 DENIED naming push on acme/app", w.Code, w.Body)
		}
	})
	t.Run("a token that lacks what its OAT allows gets 401 insufficient_scope with the scope needed", func(t *testing.T) {
		tok, _ := a.token(t, "acme", push, "repository:acme/app:pull")
		w := a.serve(t, http.MethodPut, "/v2/acme/app/manifests/latest", bearerHeader(tok))
		want := `Bearer realm="http://gw.example:5080/token",service="oatgate",scope="repository:acme/app:pull,push",error="insufficient_scope"`
		if got := w.Header().Get("WWW-Authenticate"); w.Code != http.StatusUnauthorized || !strings.HasPrefix(got, want) {
			t.Fatalf("push: %d, challenge %q, want 401 starting %q", w.Code, got, want)
		}
		if !strings.Contains(w.Body.String(), `"DENIED"`) {
			t.Errorf("body %s, want DENIED, which clients print", w.Body)
		}
	})
	t.Run("a token is never granted more than its OAT allows", func(t *testing.T) {
		tok, _ := a.token(t, "acme", pull, "repository:acme/other:pull", "repository:acme/app:pull")
		if w := a.serve(t, http.MethodGet, "/v2/acme/other/manifests/latest", bearerHeader(tok)); w.Code != http.StatusForbidden {
			t.Fatalf("pull of acme/other: %d, want 403", w.Code)
		}
		if w := a.serve(t, http.MethodGet, "/v2/acme/app/manifests/latest", bearerHeader(tok)); w.Code != http.StatusOK {
			t.Fatalf("pull of acme/app: %d, want 200", w.Code)
		}
	})
	t.Run("an anonymous token pulls anonymous_pull repositories and nothing else", func(t *testing.T) {
		tok, code := a.token(t, "", "", "repository:public/hello:pull", "repository:acme/app:pull")
		if code != http.StatusOK {
			t.Fatalf("anonymous token: %d, want 200", code)
		}
		if w := b.serve(t, http.MethodGet, "/v2/public/hello/manifests/1", bearerHeader(tok)); w.Code != http.StatusOK {
			t.Fatalf("anonymous pull of public/hello: %d %s, want 200", w.Code, w.Body)
		}
		w := b.serve(t, http.MethodGet, "/v2/acme/app/manifests/latest", bearerHeader(tok))
		if w.Code != http.StatusUnauthorized || !strings.Contains(w.Body.String(), "log in") || !strings.Contains(w.Header().Get("WWW-Authenticate"), `error="insufficient_scope"`) {
			t.Fatalf("anonymous pull of acme/app: %d %s %q, want 401 insufficient_scope that says to log in", w.Code, w.Body, w.Header().Get("WWW-Authenticate"))
		}
	})
	t.Run("bad credentials at the token endpoint get 401", func(t *testing.T) {
		mistyped := pull[:len(pull)-1] + "A"
		if mistyped == pull {
			mistyped = pull[:len(pull)-1] + "B"
		}
		if _, code := a.token(t, "acme", mistyped, "repository:acme/app:pull"); code != http.StatusUnauthorized {
			t.Fatalf("mistyped token: %d, want 401", code)
		}
		if _, code := a.token(t, "globex", pull, "repository:acme/app:pull"); code != http.StatusUnauthorized {
			t.Fatalf("wrong org: %d, want 401", code)
		}
	})
	t.Run("a refresh token grant is refused: none are issued", func(t *testing.T) {
		r := httptest.NewRequest(http.MethodPost, "/token", strings.NewReader("grant_type=refresh_token&refresh_token=x&service=oatgate"))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		w := httptest.NewRecorder()
		if err := a.ra.ServeHTTP(w, r, nil); err != nil || w.Code != http.StatusBadRequest || !strings.Contains(w.Body.String(), "invalid_grant") {
			t.Fatalf("refresh grant: %d %s %v, want 400 invalid_grant", w.Code, w.Body, err)
		}
	})
	t.Run("containerd's password grant gets a token", func(t *testing.T) {
		form := "client_id=containerd-client&grant_type=password&username=acme&password=" + pull + "&scope=repository%3Aacme%2Fapp%3Apull&service=oatgate"
		r := httptest.NewRequest(http.MethodPost, "/token", strings.NewReader(form))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
		w := httptest.NewRecorder()
		if err := a.ra.ServeHTTP(w, r, nil); err != nil || w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `"access_token"`) {
			t.Fatalf("password grant: %d %s %v, want 200 with access_token", w.Code, w.Body, err)
		}
	})
	t.Run("a tampered token is refused with invalid_token", func(t *testing.T) {
		tok, _ := a.token(t, "acme", pull, "repository:acme/app:pull")
		bad := tok[:len(tok)-3] + "AAA"
		w := a.serve(t, http.MethodGet, "/v2/acme/app/manifests/latest", bearerHeader(bad))
		if w.Code != http.StatusUnauthorized || !strings.Contains(w.Header().Get("WWW-Authenticate"), `error="invalid_token"`) {
			t.Fatalf("tampered: %d %q, want 401 invalid_token", w.Code, w.Header().Get("WWW-Authenticate"))
		}
	})
	t.Run("Basic credentials sent to the registry still work in bearer mode", func(t *testing.T) {
		h := http.Header{"Authorization": {basicAuth("acme", pull)}}
		if w := a.serve(t, http.MethodGet, "/v2/acme/app/manifests/latest", h); w.Code != http.StatusOK {
			t.Fatalf("Basic pull: %d %s, want 200", w.Code, w.Body)
		}
	})
}

func TestBearerChallenges(t *testing.T) {
	bs := startBenchStore(t)
	bearer := newReplica(t, bs, "")
	basic := newReplica(t, bs, "basic")
	tests := []struct {
		name   string
		rp     *replica
		path   string
		status int
		want   string
	}{
		{"the /v2/ ping gets a Bearer challenge without scope", bearer, "/v2/", 401, `Bearer realm="http://gw.example:5080/token",service="oatgate"`},
		{"a private repository without credentials gets the scope it needs", bearer, "/v2/acme/app/manifests/latest", 401, `Bearer realm="http://gw.example:5080/token",service="oatgate",scope="repository:acme/app:pull"`},
		{"the catalog without credentials asks for the catalog", bearer, "/v2/_catalog", 401, `Bearer realm="http://gw.example:5080/token",service="oatgate",scope="registry:catalog:*"`},
		{"challenge basic keeps the Basic challenge on the ping", basic, "/v2/", 401, `Basic realm="oatgate", charset="UTF-8"`},
		{"challenge basic keeps the Basic challenge on a repository", basic, "/v2/acme/app/manifests/latest", 401, `Basic realm="oatgate", charset="UTF-8"`},
		{"an anonymous_pull repository needs no credentials in bearer mode", bearer, "/v2/public/hello/manifests/1", 200, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := tt.rp.serve(t, http.MethodGet, tt.path, nil)
			if got := w.Header().Get("WWW-Authenticate"); w.Code != tt.status || got != tt.want {
				t.Fatalf("got %d %q, want %d %q", w.Code, got, tt.status, tt.want)
			}
		})
	}
	t.Run("the ping is still logged as a challenge, not a denial", func(t *testing.T) {
		bearer.events.TakeAll()
		bearer.serve(t, http.MethodGet, "/v2/", nil)
		got := bearer.events.TakeAll()
		if len(got) != 1 || got[0].ContextMap()["decision"] != usage.Challenge || got[0].ContextMap()["event"] != usage.EventLogin {
			t.Fatalf("events %+v, want one login challenge", got)
		}
	})
}

func TestBearerUsageEvents(t *testing.T) {
	bs := startBenchStore(t)
	bs.admin(t, http.MethodPut, "/v1/orgs/acme", `{"max_tokens":5}`, nil)
	secret, id := createToken(t, bs, "ci", "repository:acme/**:pull,push")
	rp := newReplica(t, bs, "")

	rp.events.TakeAll()
	tok, _ := rp.token(t, "acme", secret, "repository:acme/app:push,pull", "repository:other/x:pull")
	ev := rp.events.TakeAll()
	if len(ev) != 1 {
		t.Fatalf("token request logged %d events, want 1", len(ev))
	}
	want := map[string]any{"event": "token", "decision": "allow", "grant": "basic", "token_id": id, "token_label": "ci", "org": "acme", "scope": "repository:acme/app:push,pull", "status": int64(200)}
	for k, v := range want {
		if got := ev[0].ContextMap()[k]; got != v {
			t.Errorf("token event %s = %v, want %v", k, got, v)
		}
	}
	for _, f := range ev[0].Context {
		if strings.Contains(f.String, secret) || strings.Contains(f.String, tok) {
			t.Errorf("token event field %s holds a secret", f.Key)
		}
	}

	rp.serve(t, http.MethodGet, "/v2/acme/app/manifests/latest", bearerHeader(tok))
	ev = rp.events.TakeAll()
	if len(ev) != 1 || ev[0].ContextMap()["token_id"] != id || ev[0].ContextMap()["token_label"] != "ci" || ev[0].ContextMap()["event"] != "pull" {
		t.Fatalf("bearer pull events %+v, want one pull with token id %s and label ci", ev, id)
	}

	rp.token(t, "acme", "oat_wrong", "repository:acme/app:pull")
	ev = rp.events.TakeAll()
	if len(ev) != 1 || ev[0].ContextMap()["decision"] != "deny" || ev[0].ContextMap()["reason"] != "bad_credentials" {
		t.Fatalf("refused token request events %+v, want one deny for bad_credentials", ev)
	}
}

// TestABearerTokenDiesWithItsOAT: revoking, or deactivating, the OAT makes
// its bearer tokens refused within 2 s on every replica, including one that
// never saw the OAT before the token.
func TestABearerTokenDiesWithItsOAT(t *testing.T) {
	for _, change := range []string{"revoke", "deactivate"} {
		t.Run("after "+change, func(t *testing.T) {
			bs := startBenchStore(t)
			bs.admin(t, http.MethodPut, "/v1/orgs/acme", `{"max_tokens":5}`, nil)
			secret, id := createToken(t, bs, "ci", "repository:acme/**:pull,push")
			a := newReplica(t, bs, "")
			b := newReplica(t, bs, "")
			tok, _ := a.token(t, "acme", secret, "repository:acme/app:pull")
			for _, rp := range []*replica{a, b} {
				if w := rp.serve(t, http.MethodGet, "/v2/acme/app/manifests/latest", bearerHeader(tok)); w.Code != http.StatusOK {
					t.Fatalf("before: %d %s, want 200", w.Code, w.Body)
				}
			}
			bs.admin(t, http.MethodPost, "/v1/orgs/acme/tokens/"+id+"/"+change, "", nil)
			changed := time.Now()
			for name, rp := range map[string]*replica{"minting replica": a, "other replica": b} {
				for {
					w := rp.serve(t, http.MethodGet, "/v2/acme/app/manifests/latest", bearerHeader(tok))
					if w.Code == http.StatusUnauthorized && strings.Contains(w.Header().Get("WWW-Authenticate"), `error="invalid_token"`) {
						break
					}
					if time.Since(changed) > 2*time.Second {
						t.Fatalf("%s: the bearer token still answers %d 2 s after its OAT's %s", name, w.Code, change)
					}
					time.Sleep(20 * time.Millisecond)
				}
			}
			if _, code := a.token(t, "acme", secret, "repository:acme/app:pull"); code != http.StatusUnauthorized {
				t.Errorf("a new token for the OAT: %d, want 401", code)
			}
		})
	}
}
