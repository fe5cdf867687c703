package decide

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/oatgate/oatgate/caddymodule/credentials"
	"github.com/oatgate/oatgate/caddymodule/oat"
	"github.com/oatgate/oatgate/caddymodule/registryreq"
	"github.com/oatgate/oatgate/caddymodule/scope"
	"github.com/oatgate/oatgate/caddymodule/storeapi"
	"github.com/oatgate/oatgate/caddymodule/verify"
)

// fakeVerifier answers VerifyFrom from a table, as caddyauth's provider
// tests fake their account stores: an identity, a refusal for an inactive
// token, or an error for a store that cannot be reached. A token not in the
// table is unknown.
type fakeVerifier map[string]fakeAnswer

type fakeAnswer struct {
	id      *verify.Identity
	refusal *verify.Refusal
	err     error
}

func (f fakeVerifier) VerifyFrom(_ context.Context, token, _ string) (*verify.Identity, *verify.Refusal, error) {
	a, ok := f[token]
	if !ok {
		return nil, &verify.Refusal{Reason: storeapi.ReasonUnknown}, nil
	}
	return a.id, a.refusal, a.err
}

// newToken returns a token of valid format, distinct on every call.
func newToken(t *testing.T) string {
	t.Helper()
	tok, err := oat.Generate()
	if err != nil {
		t.Fatalf("generating a token: %v", err)
	}
	return tok.Reveal()
}

// identity is a verified token of org with scopes.
func identity(t testing.TB, id, org string, scopes ...string) *verify.Identity {
	t.Helper()
	parsed, err := scope.ParseList(strings.Join(scopes, " "))
	if err != nil {
		t.Fatalf("scopes %q: %v", scopes, err)
	}
	return &verify.Identity{TokenID: id, Label: "label-" + id, Org: org, Grants: scope.Compile(org, parsed)}
}

// The tokens of the table, one per kind of holder.
type tokens struct {
	pull, push, del, narrow, globex, inactive, down, orgName string
}

func newTokens(t *testing.T) (tokens, fakeVerifier) {
	t.Helper()
	tk := tokens{
		pull: newToken(t), push: newToken(t), del: newToken(t), narrow: newToken(t),
		globex: newToken(t), inactive: newToken(t), down: newToken(t), orgName: newToken(t),
	}
	fv := fakeVerifier{
		tk.pull:     {id: identity(t, "tok_pull", "acme", "repository:acme/**:pull")},
		tk.push:     {id: identity(t, "tok_push", "acme", "repository:acme/**:push")},
		tk.del:      {id: identity(t, "tok_del", "acme", "repository:acme/**:delete")},
		tk.narrow:   {id: identity(t, "tok_narrow", "acme", "repository:acme/app:push")},
		tk.globex:   {id: identity(t, "tok_globex", "globex", "repository:globex/**:pull,push")},
		tk.orgName:  {id: identity(t, "tok_orgname", "acme", "repository:acme:pull", "repository:acme/**:pull")},
		tk.inactive: {refusal: &verify.Refusal{Reason: storeapi.ReasonRevoked, TokenID: "tok_inactive", Label: "label-tok_inactive", Org: "acme"}},
		tk.down:     {err: errors.New("store unreachable")},
	}
	return tk, fv
}

func basic(user, password string) []string {
	return []string{"Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+password))}
}

// want is what a row expects of the decision.
type want struct {
	challenge bool   // a 401 challenge, not a denial
	reason    Reason // ReasonNone: allowed
	status    int    // the refusal's HTTP status; 0 when allowed
	tokenID   string // the identity's token id; "" for none
	drop      bool   // the mount is dropped
	pageSize  int    // the page the client gets (catalog and tags lists)
	setPage   bool   // the registry is told n=pageSize
}

func allowed(tokenID string) want { return want{tokenID: tokenID} }
func dropped(tokenID string) want { return want{tokenID: tokenID, drop: true} }
func paged(tokenID string, n int, set bool) want {
	return want{tokenID: tokenID, pageSize: n, setPage: set}
}
func challenged() want { return want{challenge: true, status: 401} }
func refused(r Reason, status int, tokenID string) want {
	return want{reason: r, status: status, tokenID: tokenID}
}

const (
	sha   = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	upl   = "/v2/acme/app/blobs/uploads/"
	sess  = upl + "0f3b2e7c-1a2b-4c3d-8e9f-0a1b2c3d4e5f"
	man   = "/v2/acme/app/manifests/latest"
	blob  = "/v2/acme/app/blobs/" + sha
	pub   = "/v2/acme/public/app/manifests/latest"
	other = "/v2/globex/base/manifests/latest"
)

func TestDecide(t *testing.T) {
	tk, fv := newTokens(t)
	const anon, named = true, false
	tests := []struct {
		name   string
		anon   bool // anonymous_pull "acme/public/**" and "globex/base"
		method string
		target string
		auth   []string
		want   want
	}{
		// The README's request table.
		{"docker login with any valid token is allowed", named, "GET", "/v2/", basic("acme", tk.pull), allowed("tok_pull")},
		{"a HEAD of /v2/ with a valid token is allowed", named, "HEAD", "/v2/", basic("acme", tk.pull), allowed("tok_pull")},
		{"login with a token granting one repository is allowed", named, "GET", "/v2/", basic("acme", tk.narrow), allowed("tok_narrow")},
		{"a manifest GET needs pull", named, "GET", man, basic("acme", tk.pull), allowed("tok_pull")},
		{"a manifest HEAD needs pull", named, "HEAD", man, basic("acme", tk.pull), allowed("tok_pull")},
		{"a blob GET needs pull", named, "GET", blob, basic("acme", tk.pull), allowed("tok_pull")},
		{"a blob HEAD needs pull", named, "HEAD", blob, basic("acme", tk.pull), allowed("tok_pull")},
		{"a tags list needs pull and gets the full page", named, "GET", "/v2/acme/app/tags/list", basic("acme", tk.pull), paged("tok_pull", 1000, false)},
		{"referrers need pull", named, "GET", "/v2/acme/app/referrers/" + sha, basic("acme", tk.pull), allowed("tok_pull")},
		{"a manifest PUT needs push", named, "PUT", man, basic("acme", tk.push), allowed("tok_push")},
		{"a manifest PUT with a pull token is denied", named, "PUT", man, basic("acme", tk.pull), refused(ReasonScope, 403, "tok_pull")},
		{"an upload start needs push", named, "POST", upl, basic("acme", tk.push), allowed("tok_push")},
		{"an upload start with a pull token is denied", named, "POST", upl, basic("acme", tk.pull), refused(ReasonScope, 403, "tok_pull")},
		{"an upload session GET needs push", named, "GET", sess, basic("acme", tk.push), allowed("tok_push")},
		{"an upload session HEAD needs push", named, "HEAD", sess, basic("acme", tk.push), allowed("tok_push")},
		{"an upload PATCH needs push", named, "PATCH", sess, basic("acme", tk.push), allowed("tok_push")},
		{"an upload closing PUT needs push", named, "PUT", sess + "?digest=" + sha, basic("acme", tk.push), allowed("tok_push")},
		{"an upload cancel needs push", named, "DELETE", sess, basic("acme", tk.push), allowed("tok_push")},
		{"an upload PATCH with a pull token is denied", named, "PATCH", sess, basic("acme", tk.pull), refused(ReasonScope, 403, "tok_pull")},
		{"a manifest DELETE needs delete", named, "DELETE", man, basic("acme", tk.del), allowed("tok_del")},
		{"a manifest DELETE with a push token is denied", named, "DELETE", man, basic("acme", tk.push), refused(ReasonScope, 403, "tok_push")},
		{"a blob DELETE needs delete", named, "DELETE", blob, basic("acme", tk.del), allowed("tok_del")},
		{"delete includes push", named, "PUT", man, basic("acme", tk.del), allowed("tok_del")},
		{"push includes pull", named, "GET", blob, basic("acme", tk.push), allowed("tok_push")},
		{"the catalog is open to any valid token with the full page", named, "GET", "/v2/_catalog", basic("acme", tk.narrow), paged("tok_narrow", 1000, false)},

		// Mounts.
		{"a mount from a pullable repository is kept", named, "POST", upl + "?mount=" + sha + "&from=acme%2Fbase", basic("acme", tk.push), allowed("tok_push")},
		{"a mount from another org is dropped", named, "POST", upl + "?mount=" + sha + "&from=globex%2Fbase", basic("acme", tk.push), dropped("tok_push")},
		{"a mount from an unscoped repository of the org is dropped", named, "POST", upl + "?mount=" + sha + "&from=acme%2Fbase", basic("acme", tk.narrow), dropped("tok_narrow")},
		{"a mount without from is dropped", named, "POST", upl + "?mount=" + sha, basic("acme", tk.push), dropped("tok_push")},
		{"a mount with a pull token is denied, not dropped", named, "POST", upl + "?mount=" + sha + "&from=acme%2Fbase", basic("acme", tk.pull), refused(ReasonScope, 403, "tok_pull")},
		{"a mount into a repository the token may not push is denied", named, "POST", "/v2/acme/other/blobs/uploads/?mount=" + sha + "&from=acme%2Fapp", basic("acme", tk.narrow), refused(ReasonScope, 403, "tok_narrow")},
		{"a plain upload start drops nothing", named, "POST", upl, basic("acme", tk.narrow), allowed("tok_narrow")},
		{"a mount from a public repository is kept", anon, "POST", upl + "?mount=" + sha + "&from=globex%2Fbase", basic("acme", tk.push), allowed("tok_push")},

		// Page sizes.
		{"a catalog n within the maximum is the page", named, "GET", "/v2/_catalog?n=10", basic("acme", tk.pull), paged("tok_pull", 10, false)},
		{"a catalog n above the maximum is clamped", named, "GET", "/v2/_catalog?n=5000", basic("acme", tk.pull), paged("tok_pull", 1000, false)},
		{"a catalog n=0 gets an empty page, as from the registry", named, "GET", "/v2/_catalog?n=0", basic("acme", tk.pull), paged("tok_pull", 0, false)},
		{"a tags list n=0 goes as sent", named, "GET", "/v2/acme/app/tags/list?n=0", basic("acme", tk.pull), paged("tok_pull", 0, false)},
		{"a tags list n within the maximum goes as sent", named, "GET", "/v2/acme/app/tags/list?n=10", basic("acme", tk.pull), paged("tok_pull", 10, false)},
		{"a tags list n above the maximum is rewritten", named, "GET", "/v2/acme/app/tags/list?n=5000", basic("acme", tk.pull), paged("tok_pull", 1000, true)},
		{"a huge tags list n is rewritten", named, "GET", "/v2/acme/app/tags/list?n=99999999999999999999", basic("acme", tk.pull), paged("tok_pull", 1000, true)},

		// Every refusal reason.
		{"no credentials are challenged", named, "GET", man, nil, refused(ReasonNoCredentials, 401, "")},
		{"a ping of /v2/ without credentials is a challenge, not a denial", named, "GET", "/v2/", nil, challenged()},
		{"a HEAD ping of /v2/ without credentials is a challenge", named, "HEAD", "/v2/", nil, challenged()},
		{"bad credentials on /v2/ are a denial", named, "GET", "/v2/", []string{"Basic !!!"}, refused(ReasonBadCredentials, 401, "")},
		{"bad base64 is bad credentials", named, "GET", man, []string{"Basic !!!"}, refused(ReasonBadCredentials, 401, "")},
		{"a bearer token is bad credentials", named, "GET", man, []string{"Bearer " + tk.pull}, refused(ReasonBadCredentials, 401, "")},
		{"two Authorization headers are bad credentials", named, "GET", man, append(basic("acme", tk.pull), basic("acme", tk.pull)...), refused(ReasonBadCredentials, 401, "")},
		{"an empty password is bad credentials", named, "GET", man, basic("acme", ""), refused(ReasonBadCredentials, 401, "")},
		{"a password that is no token is a bad token format", named, "GET", man, basic("acme", "hunter2"), refused(ReasonBadToken, 401, "")},
		{"a token with a broken checksum is a bad token format", named, "GET", man, basic("acme", tk.pull[:len(tk.pull)-1]+flip(tk.pull[len(tk.pull)-1])), refused(ReasonBadToken, 401, "")},
		{"an inactive token is refused", named, "GET", man, basic("acme", tk.inactive), refused(ReasonInactiveToken, 401, "")},
		{"an unknown token is refused", named, "GET", man, basic("acme", newToken(t)), refused(ReasonInactiveToken, 401, "")},
		{"an unreachable store is unavailable, not unauthorized", named, "GET", man, basic("acme", tk.down), refused(ReasonUnavailable, 503, "")},
		{"a username that is not the token's org is refused with the token known", named, "GET", man, basic("globex", tk.pull), refused(ReasonWrongOrg, 401, "tok_pull")},
		{"the username's case must match the org", named, "GET", man, basic("ACME", tk.pull), refused(ReasonWrongOrg, 401, "tok_pull")},
		{"a username that only starts like the org is refused", named, "GET", man, basic("acm", tk.pull), refused(ReasonWrongOrg, 401, "tok_pull")},
		{"a token of another org pulls in its own namespace", named, "GET", other, basic("globex", tk.globex), allowed("tok_globex")},
		{"a token never reaches another org's repository", named, "GET", "/v2/acme/app/manifests/latest", basic("globex", tk.globex), refused(ReasonScope, 403, "tok_globex")},
		{"a repository outside a narrow scope is denied", named, "GET", "/v2/acme/other/manifests/latest", basic("acme", tk.narrow), refused(ReasonScope, 403, "tok_narrow")},
		{"a repository named like the org is outside acme/**", named, "GET", "/v2/acme/manifests/latest", basic("acme", tk.pull), refused(ReasonScope, 403, "tok_pull")},
		{"a repository named like the org is outside every scope of the org", named, "GET", "/v2/acme/manifests/latest", basic("acme", tk.orgName), refused(ReasonScope, 403, "tok_orgname")},

		// Anonymous access on and off.
		{"anonymous pull of a public repository is allowed", anon, "GET", pub, nil, allowed("")},
		{"anonymous HEAD of a public blob is allowed", anon, "HEAD", "/v2/acme/public/app/blobs/" + sha, nil, allowed("")},
		{"anonymous tags list of a public repository is allowed", anon, "GET", "/v2/acme/public/app/tags/list", nil, paged("", 1000, false)},
		{"anonymous pull of an exact public name in another org is allowed", anon, "GET", other, nil, allowed("")},
		{"anonymous pull of a private repository is challenged", anon, "GET", man, nil, refused(ReasonNoCredentials, 401, "")},
		{"anonymous push to a public repository is challenged", anon, "PUT", pub, nil, refused(ReasonNoCredentials, 401, "")},
		{"anonymous /v2/ is challenged so clients log in", anon, "GET", "/v2/", nil, challenged()},
		{"the anonymous catalog is challenged", anon, "GET", "/v2/_catalog", nil, refused(ReasonNoCredentials, 401, "")},
		{"bad credentials on a public repository are still refused", anon, "GET", pub, []string{"Basic !!!"}, refused(ReasonBadCredentials, 401, "")},
		{"a token may pull a public repository of another org", anon, "GET", other, basic("acme", tk.pull), allowed("tok_pull")},
		{"a token may not push a public repository of another org", anon, "PUT", other, basic("acme", tk.push), refused(ReasonScope, 403, "tok_push")},
		{"without anonymous_pull a public name needs credentials", named, "GET", pub, nil, refused(ReasonNoCredentials, 401, "")},
		{"without anonymous_pull another org's name is out of scope", named, "GET", other, basic("acme", tk.pull), refused(ReasonScope, 403, "tok_pull")},
	}
	policies := map[bool]*Policy{
		named: mustPolicy(t, Config{Verifier: fv}),
		anon:  mustPolicy(t, Config{Verifier: fv, AnonymousPull: []string{"acme/public/**", "globex/base"}}),
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := classify(t, tt.method, tt.target)
			cred, credErr := credentials.FromRequest(http.Header{"Authorization": tt.auth})
			if tt.auth == nil {
				cred, credErr = credentials.FromRequest(http.Header{})
			}
			d := policies[tt.anon].Decide(context.Background(), &req, cred, credErr, "192.0.2.1")
			checkDecision(t, d, tt.want)
		})
	}
}

// checkDecision compares d with w, printing got and want.
func checkDecision(t *testing.T, d Decision, w want) {
	t.Helper()
	gotID := ""
	if d.Identity != nil {
		gotID = d.Identity.TokenID
	}
	status := 0
	if d.Err != nil {
		status = d.Err.Code.Status
	}
	wantOutcome := Allow
	switch {
	case w.challenge:
		wantOutcome = Challenge
	case w.reason != ReasonNone:
		wantOutcome = Deny
	}
	if d.Outcome != wantOutcome || d.Reason != w.reason || status != w.status || gotID != w.tokenID {
		t.Errorf("got %v/%q status %d token %q, want %v/%q status %d token %q",
			d.Outcome, d.Reason, status, gotID, wantOutcome, w.reason, w.status, w.tokenID)
	}
	if (d.Err == nil) != d.Allowed() {
		t.Errorf("Err = %v with outcome %v: a refusal needs an error, an allowed request none", d.Err, d.Outcome)
	}
	if d.Rewrite.DropMount != w.drop {
		t.Errorf("DropMount = %v, want %v", d.Rewrite.DropMount, w.drop)
	}
	if d.PageSize != w.pageSize || d.Rewrite.SetPageSize != w.setPage {
		t.Errorf("PageSize = %d (set %v), want %d (set %v)", d.PageSize, d.Rewrite.SetPageSize, w.pageSize, w.setPage)
	}
}

func mustPolicy(t *testing.T, cfg Config) *Policy {
	t.Helper()
	p, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return p
}

// classify is the request a client sends as method and target.
func classify(t *testing.T, method, target string) registryreq.Request {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatalf("parsing %q: %v", target, err)
	}
	req, err := registryreq.Classify(registryreq.Input{Method: method, Path: u.Path, RawPath: u.RawPath, RawQuery: u.RawQuery})
	if err != nil {
		t.Fatalf("classifying %s %s: %v", method, target, err)
	}
	return req
}

// flip returns a base62 character other than c.
func flip(c byte) string {
	if c == 'a' {
		return "b"
	}
	return "a"
}
