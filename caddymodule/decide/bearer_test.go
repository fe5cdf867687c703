package decide

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/oatgate/oatgate/caddymodule/access"
	"github.com/oatgate/oatgate/caddymodule/dockertoken"
	"github.com/oatgate/oatgate/caddymodule/registryreq"
	"github.com/oatgate/oatgate/caddymodule/scope"
	"github.com/oatgate/oatgate/caddymodule/verify"
)

// fakeBearer answers VerifyBearer from a table of raw tokens.
type fakeBearer map[string]*dockertoken.Claims

func (f fakeBearer) VerifyBearer(raw string, _ time.Time) (*dockertoken.Claims, error) {
	if raw == "expired" {
		return nil, dockertoken.ErrExpired
	}
	c, ok := f[raw]
	if !ok {
		return nil, dockertoken.ErrSignature
	}
	return c, nil
}

// fakeIDs answers VerifyID from a table of token ids.
type fakeIDs map[string]fakeAnswer

func (f fakeIDs) VerifyID(_ context.Context, org, id string) (*verify.Identity, error) {
	a := f[id]
	if a.id != nil && a.id.Org != org {
		return nil, nil
	}
	return a.id, a.err
}

func claims(sub, org string, access ...dockertoken.Access) *dockertoken.Claims {
	c := &dockertoken.Claims{Access: access, Org: org}
	c.Subject = sub
	return c
}

func repo(name string, actions ...string) dockertoken.Access {
	return dockertoken.Access{Type: dockertoken.TypeRepository, Name: name, Actions: actions}
}

var catalogAccess = dockertoken.Access{Type: dockertoken.TypeRegistry, Name: dockertoken.NameCatalog, Actions: []string{dockertoken.ActionAll}}

func TestDecideBearer(t *testing.T) {
	grants := func(org string, scopes ...string) *scope.Grants {
		parsed, err := scope.ParseList(strings.Join(scopes, " "))
		if err != nil {
			t.Fatal(err)
		}
		return scope.Compile(org, parsed)
	}
	ids := fakeIDs{
		"tok_push": {id: verify.NewIdentity("tok_push", "ci", "acme", grants("acme", "repository:acme/**:pull,push"), time.Time{})},
		"tok_pull": {id: verify.NewIdentity("tok_pull", "ro", "acme", grants("acme", "repository:acme/app:pull"), time.Time{})},
		"tok_gone": {},
		"tok_down": {err: errors.New("store unreachable")},
	}
	bearer := fakeBearer{
		"push-token-pull-only": claims("tok_push", "acme", repo("acme/app", "pull")),
		"push-token-push":      claims("tok_push", "acme", repo("acme/app", "pull", "push"), repo("acme/base", "pull")),
		"push-token-catalog":   claims("tok_push", "acme", catalogAccess),
		"pull-token-push":      claims("tok_pull", "acme", repo("acme/app", "pull", "push")),
		"gone-token":           claims("tok_gone", "acme", repo("acme/app", "pull")),
		"down-token":           claims("tok_down", "acme", repo("acme/app", "pull")),
		"foreign-org":          claims("tok_push", "globex", repo("acme/app", "pull")),
		"anonymous":            claims(dockertoken.Anonymous, "", repo("public/app", "pull"), repo("acme/app", "pull")),
	}
	p, err := New(Config{Verifier: fakeVerifier{}, AnonymousPull: []string{"public/**"}, Bearer: bearer, IDs: ids})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, method, target, raw string
		reason                    Reason
		status                    int
		bearerErr                 BearerError
		drop                      bool
	}{
		{"a token and its OAT that both allow a pull allow it", "GET", man, "push-token-pull-only", ReasonNone, 0, BearerNone, false},
		{"a ping with a valid token is allowed", "GET", "/v2/", "push-token-pull-only", ReasonNone, 0, BearerNone, false},
		{"a push the OAT allows but the token lacks is 401 insufficient_scope", "PUT", man, "push-token-pull-only", ReasonScope, 401, BearerInsufficientScope, false},
		{"a push both allow is allowed", "PUT", man, "push-token-push", ReasonNone, 0, BearerNone, false},
		{"a push the token claims but the OAT no longer allows is 403", "PUT", man, "pull-token-push", ReasonScope, 403, BearerNone, false},
		{"a mount the OAT may pull from but the token does not carry asks for the source", "POST", upl + "?mount=" + sha + "&from=acme%2Fother", "push-token-push", ReasonScope, 401, BearerInsufficientScope, false},
		{"a mount the OAT may not pull from is dropped", "POST", upl + "?mount=" + sha + "&from=globex%2Fother", "push-token-push", ReasonNone, 0, BearerNone, true},
		{"a mount both allow is kept", "POST", upl + "?mount=" + sha + "&from=acme%2Fbase", "push-token-push", ReasonNone, 0, BearerNone, false},
		{"the catalog needs the catalog in the token", "GET", "/v2/_catalog", "push-token-pull-only", ReasonScope, 401, BearerInsufficientScope, false},
		{"the catalog with it is allowed", "GET", "/v2/_catalog", "push-token-catalog", ReasonNone, 0, BearerNone, false},
		{"a token whose OAT is gone is invalid", "GET", man, "gone-token", ReasonInactiveToken, 401, BearerInvalidToken, false},
		{"a token whose OAT the store cannot confirm is 503", "GET", man, "down-token", ReasonUnavailable, 503, BearerNone, false},
		{"a token naming another org than its OAT's is invalid", "GET", man, "foreign-org", ReasonInactiveToken, 401, BearerInvalidToken, false},
		{"a token that does not verify is invalid", "GET", man, "forged", ReasonBadToken, 401, BearerInvalidToken, false},
		{"an expired token is invalid", "GET", man, "expired", ReasonInactiveToken, 401, BearerInvalidToken, false},
		{"an anonymous token pulls a public repository", "GET", "/v2/public/app/manifests/latest", "anonymous", ReasonNone, 0, BearerNone, false},
		{"an anonymous token claiming a private repository is told to log in", "GET", man, "anonymous", ReasonScope, 401, BearerInsufficientScope, false},
		{"an anonymous token may not list the catalog", "GET", "/v2/_catalog", "anonymous", ReasonNoCredentials, 401, BearerNone, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := classify(t, tt.method, tt.target)
			d := p.DecideBearer(context.Background(), &req, tt.raw, time.Now())
			status := 0
			if d.Err != nil {
				status = d.Err.Code.Status
			}
			if d.Reason != tt.reason || status != tt.status || d.Bearer != tt.bearerErr || d.Rewrite.DropMount != tt.drop {
				t.Fatalf("got reason %v, status %d, bearer %q, drop %v (%v); want %v, %d, %q, %v",
					d.Reason, status, d.Bearer, d.Rewrite.DropMount, d.Err, tt.reason, tt.status, tt.bearerErr, tt.drop)
			}
			if (d.Reason == ReasonNone) != d.Allowed() {
				t.Fatalf("outcome %v with reason %v", d.Outcome, d.Reason)
			}
		})
	}
	t.Run("without a bearer verifier bearer tokens are refused", func(t *testing.T) {
		p, err := New(Config{Verifier: fakeVerifier{}})
		if err != nil {
			t.Fatal(err)
		}
		req := classify(t, "GET", man)
		if d := p.DecideBearer(context.Background(), &req, "push-token-push", time.Now()); d.Err == nil || d.Err.Code.Status != http.StatusUnauthorized || d.Bearer != BearerInvalidToken {
			t.Fatalf("got %+v, want 401 invalid_token", d)
		}
	})
}

func TestChallengeScope(t *testing.T) {
	tests := []struct{ name, method, target, want string }{
		{"a pull asks for pull", "GET", man, "repository:acme/app:pull"},
		{"a push asks for pull and push", "PUT", man, "repository:acme/app:pull,push"},
		{"a mount also asks for pull on its source", "POST", upl + "?mount=" + sha + "&from=acme%2Fbase", "repository:acme/app:pull,push repository:acme/base:pull"},
		{"a delete asks for delete", "DELETE", man, "repository:acme/app:delete"},
		{"the catalog asks for the catalog", "GET", "/v2/_catalog", "registry:catalog:*"},
		{"the ping asks for nothing", "GET", "/v2/", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := classify(t, tt.method, tt.target)
			var got []string
			for _, a := range ChallengeScope(&req) {
				got = append(got, a.Scope())
			}
			if s := strings.Join(got, " "); s != tt.want {
				t.Fatalf("got %q, want %q", s, tt.want)
			}
		})
	}
}

func TestAuthenticate(t *testing.T) {
	tk, fv := newTokens(t)
	p, err := New(Config{Verifier: fv, AnonymousPull: []string{"public/**"}})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, user, secret string
		wantRefusal        bool
		wantErr            bool
	}{
		{"a valid token of the org checks out", "acme", tk.pull, false, false},
		{"a token under another org's name is refused", "globex", tk.pull, true, false},
		{"an inactive token is refused", "acme", tk.inactive, true, false},
		{"a password that is no token is refused", "acme", "hunter2", true, false},
		{"a store outage is an error, not a refusal", "acme", tk.down, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id, refusal, err := p.Authenticate(context.Background(), tt.user, tt.secret, time.Now())
			if (refusal != nil) != tt.wantRefusal || (err != nil) != tt.wantErr {
				t.Fatalf("got (%+v, %v, %v); want refusal %v, error %v", id, refusal, err, tt.wantRefusal, tt.wantErr)
			}
			if refusal != nil && refusal.Status != http.StatusUnauthorized {
				t.Errorf("refusal status %d, want 401", refusal.Status)
			}
		})
	}
	t.Run("what a token may do is its grants plus anonymous access", func(t *testing.T) {
		id, _, _ := p.Authenticate(context.Background(), "acme", tk.pull, time.Now())
		if id.Subject.TokenID != "tok_pull" || id.Subject.Org != "acme" {
			t.Fatalf("subject %+v, want tok_pull of acme", id.Subject)
		}
		if !id.Allows("acme/app", access.Pull) || !id.Allows("public/x", access.Pull) || id.Allows("globex/app", access.Pull) {
			t.Errorf("allows: acme/app %v, public/x %v, globex/app %v; want true, true, false",
				id.Allows("acme/app", access.Pull), id.Allows("public/x", access.Pull), id.Allows("globex/app", access.Pull))
		}
	})
}

// FuzzDecideBearer: whatever a client sends as a bearer token, only one the
// gateway signed allows anything; everything else is a 401 invalid_token,
// and nothing panics.
func FuzzDecideBearer(f *testing.F) {
	key, err := dockertoken.DeriveKey("a store key long enough to derive from")
	if err != nil {
		f.Fatal(err)
	}
	signer, err := dockertoken.NewSigner(key, "oatgate", time.Minute)
	if err != nil {
		f.Fatal(err)
	}
	v, err := dockertoken.NewVerifier("oatgate", "oatgate", key)
	if err != nil {
		f.Fatal(err)
	}
	cache, err := dockertoken.NewCache(v, 100)
	if err != nil {
		f.Fatal(err)
	}
	defer cache.Close()
	parsed, _ := scope.ParseList("repository:acme/**:pull,push")
	ids := fakeIDs{"tok_push": {id: verify.NewIdentity("tok_push", "ci", "acme", scope.Compile("acme", parsed), time.Time{})}}
	p, err := New(Config{Verifier: fakeVerifier{}, Bearer: cache, IDs: ids})
	if err != nil {
		f.Fatal(err)
	}
	m, err := signer.Mint(dockertoken.Subject{TokenID: "tok_push", Org: "acme"}, "oatgate", []dockertoken.Access{repo("acme/app", "pull")}, time.Now())
	if err != nil {
		f.Fatal(err)
	}
	f.Add(m.Raw)
	f.Add(m.Raw[:len(m.Raw)-1])
	f.Add(unsignedFuzz(m.Raw))
	f.Add("")
	f.Add("a.b.c")
	req := registryreq.Request{}
	f.Fuzz(func(t *testing.T, raw string) {
		req = classify(t, "GET", man)
		now := time.Now()
		d := p.DecideBearer(context.Background(), &req, raw, now)
		// Only a token signed with the key verifies (each fuzz worker
		// mints its own seed token with the same key).
		if _, err := v.Verify(raw, now); err == nil {
			if !d.Allowed() {
				t.Fatalf("a signed token was refused: %+v", d)
			}
			return
		}
		if d.Allowed() {
			t.Fatalf("a token that does not verify, %q, was allowed", raw)
		}
		if d.Err == nil || d.Err.Code.Status != http.StatusUnauthorized || d.Bearer != BearerInvalidToken {
			t.Fatalf("token %q: got %+v, want 401 invalid_token", raw, d)
		}
	})
}

// unsignedFuzz is tok with alg none and no signature.
func unsignedFuzz(tok string) string {
	parts := strings.SplitN(tok, ".", 3)
	return "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0." + parts[1] + "."
}
