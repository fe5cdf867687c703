package decide

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/oatgate/oatgate/caddymodule/credentials"
	"github.com/oatgate/oatgate/caddymodule/dockertoken"
	"github.com/oatgate/oatgate/caddymodule/idtoken"
	"github.com/oatgate/oatgate/caddymodule/registryreq"
	"github.com/oatgate/oatgate/caddymodule/storeapi"
	"github.com/oatgate/oatgate/caddymodule/verify"
)

// fakeIDTokens answers VerifyIDToken from a table keyed by (org, JWT), as
// the store keeps one federated token per pair, and records the questions
// it was asked. A pair not in the table is unknown; a token that is not a
// signed JWT is malformed, as *verify.Verifier answers it.
type fakeIDTokens struct {
	answers map[[2]string]fakeAnswer
	mu      sync.Mutex
	asked   [][3]string // org, jwt, client
}

func (f *fakeIDTokens) VerifyIDToken(_ context.Context, org, jwt, client string) (*verify.Identity, *verify.Refusal, error) {
	f.mu.Lock()
	f.asked = append(f.asked, [3]string{org, jwt, client})
	f.mu.Unlock()
	if err := idtoken.Check(jwt); err != nil {
		return nil, nil, fmt.Errorf("%w: %w", verify.ErrMalformedIDToken, err)
	}
	a, ok := f.answers[[2]string{org, jwt}]
	if !ok {
		return nil, &verify.Refusal{Reason: storeapi.ReasonUnknown}, nil
	}
	return a.id, a.refusal, a.err
}

// jwtOf is a compact JWS with the given JSON header; the payload and
// signature are placeholders, as the gateway never reads them.
func jwtOf(header, payload string) string {
	enc := base64.RawURLEncoding
	return enc.EncodeToString([]byte(header)) + "." + enc.EncodeToString([]byte(payload)) + ".c2lnbmF0dXJlLW9mLXRoZS1pc3N1ZXI"
}

// The ID tokens of the table.
var (
	jobJWT      = jwtOf(`{"alg":"RS256","kid":"k1"}`, `{"sub":"repo:acme/app:ref:refs/heads/main"}`)
	revokedJWT  = jwtOf(`{"alg":"RS256","kid":"k1"}`, `{"sub":"repo:acme/app:ref:refs/heads/old"}`)
	expiredJWT  = jwtOf(`{"alg":"ES256","kid":"k2"}`, `{"sub":"repo:acme/app:ref:refs/heads/done"}`)
	downJWT     = jwtOf(`{"alg":"RS256","kid":"k3"}`, `{"sub":"repo:acme/app:ref:refs/heads/down"}`)
	floodJWT    = jwtOf(`{"alg":"RS256","kid":"k4"}`, `{"sub":"repo:acme/app:ref:refs/heads/flood"}`)
	limitJWT    = jwtOf(`{"alg":"RS256","kid":"k6"}`, `{"sub":"repo:acme/app:ref:refs/heads/limit"}`)
	foreignJWT  = jwtOf(`{"alg":"RS256","kid":"k5"}`, `{"sub":"repo:acme/app:ref:refs/heads/foreign"}`)
	unsignedJWT = jwtOf(`{"alg":"none"}`, `{"sub":"repo:acme/app:ref:refs/heads/main"}`)
)

func newIDTokens(t testing.TB) *fakeIDTokens {
	t.Helper()
	fed := identity(t, "tok_fed", "acme", "repository:acme/app:pull,push")
	fed.Policy = "gha-main"
	return &fakeIDTokens{answers: map[[2]string]fakeAnswer{
		{"acme", jobJWT}:     {id: fed},
		{"acme", revokedJWT}: {refusal: &verify.Refusal{Reason: storeapi.ReasonRevoked, TokenID: "tok_fed_old", Org: "acme"}},
		{"acme", expiredJWT}: {refusal: &verify.Refusal{Reason: storeapi.ReasonExpired, TokenID: "tok_fed_done", Org: "acme"}},
		{"acme", downJWT}:    {err: verify.ErrUnavailable},
		{"acme", floodJWT}:   {err: verify.ErrTooManyUnknown},
		{"acme", limitJWT}:   {err: verify.ErrFederatedLimit},
		// A store that answered for another org than it was asked about.
		{"acme", foreignJWT}: {id: identity(t, "tok_globex", "globex", "repository:globex/**:pull")},
	}}
}

func TestDecideAnIDTokenAsThePassword(t *testing.T) {
	tk, fv := newTokens(t)
	ids := newIDTokens(t)
	p := mustPolicy(t, Config{Verifier: fv, IDTokens: ids})
	off := mustPolicy(t, Config{Verifier: fv})
	tests := []struct {
		name    string
		p       *Policy
		method  string
		target  string
		auth    []string
		want    want
		message string
	}{
		{"a job whose ID token matches a policy of the org pulls", p, "GET", man, basic("acme", jobJWT), allowed("tok_fed"), ""},
		{"it pushes within the policy's scopes", p, "PUT", man, basic("acme", jobJWT), allowed("tok_fed"), ""},
		{"it logs in", p, "GET", "/v2/", basic("acme", jobJWT), allowed("tok_fed"), ""},
		{"it is refused beyond the policy's scopes", p, "DELETE", blob, basic("acme", jobJWT), refused(ReasonScope, 403, "tok_fed"), "does not grant delete on acme/app"},
		{"it is refused outside the policy's repositories", p, "GET", "/v2/acme/other/manifests/latest", basic("acme", jobJWT), refused(ReasonScope, 403, "tok_fed"), "does not grant pull on acme/other"},
		{"the org's JWT under another org's name is refused", p, "GET", other, basic("globex", jobJWT), refused(ReasonInactiveToken, 401, ""), "ID token not accepted"},
		{"a JWT no policy accepts is refused", p, "GET", man, basic("acme", jwtOf(`{"alg":"RS256"}`, `{"sub":"repo:evil/app"}`)), refused(ReasonInactiveToken, 401, ""), "matches no trust policy of the organization given as username"},
		{"the JWT of a revoked federated token is refused", p, "GET", man, basic("acme", revokedJWT), refused(ReasonInactiveToken, 401, ""), "revoked, or its trust policy deleted"},
		{"the JWT of an expired federated token says to log in again", p, "GET", man, basic("acme", expiredJWT), refused(ReasonInactiveToken, 401, ""), "log in again with a fresh ID token"},
		{"an unsigned JWT is refused as unsigned", p, "GET", man, basic("acme", unsignedJWT), refused(ReasonBadToken, 401, ""), "unsigned JWT (alg none)"},
		{"a JWT-looking password that is no JWT is refused as malformed", p, "GET", man, basic("acme", "eyJhbGciOiJSUzI1NiJ9.only-two"), refused(ReasonBadToken, 401, ""), "looks like an ID token but is not a signed JWT"},
		{"a store that cannot verify the JWT is a 503", p, "GET", man, basic("acme", downJWT), refused(ReasonUnavailable, 503, ""), ""},
		{"an address that sent too many unknown tokens gets 429", p, "GET", man, basic("acme", floodJWT), refused(ReasonTooManyUnknown, 429, ""), "too many unknown tokens"},
		{"an org at its limit of federated tokens gets 429", p, "GET", man, basic("acme", limitJWT), refused(ReasonFederatedLimit, 429, ""), "max_federated_tokens"},
		{"an answer for another org than the username is refused", p, "GET", man, basic("acme", foreignJWT), refused(ReasonWrongOrg, 401, "tok_globex"), "the username is not the token's organization"},
		{"access tokens work as before beside federation", p, "GET", man, basic("acme", tk.pull), allowed("tok_pull"), ""},
		{"without federation a JWT is no access token", off, "GET", man, basic("acme", jobJWT), refused(ReasonBadToken, 401, ""), "the password is not an access token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := classify(t, tt.method, tt.target)
			cred, credErr := credentials.FromRequest(http.Header{"Authorization": tt.auth})
			d := tt.p.Decide(context.Background(), &req, cred, credErr, "192.0.2.7")
			checkDecision(t, d, tt.want)
			if tt.message != "" && (d.Err == nil || !strings.Contains(d.Err.Message(), tt.message)) {
				t.Errorf("message: got %v, want one saying %q", d.Err, tt.message)
			}
			if d.Err != nil && strings.Contains(d.Err.Message(), strings.SplitN(jobJWT, ".", 2)[0][3:]) {
				t.Errorf("message %q holds part of the JWT", d.Err.Message())
			}
		})
	}
	t.Run("the store is asked with the username as org and the client's address", func(t *testing.T) {
		for _, q := range ids.asked {
			if q[2] != "192.0.2.7" {
				t.Fatalf("asked %q from %q, want the client's address", q[0], q[2])
			}
		}
		if len(ids.asked) == 0 || ids.asked[0][0] != "acme" || ids.asked[0][1] != jobJWT {
			t.Fatalf("first question: got %v, want acme with the job's JWT", ids.asked)
		}
	})
	t.Run("a refused federated token is named in the decision", func(t *testing.T) {
		req := classify(t, "GET", man)
		cred, _ := credentials.FromRequest(http.Header{"Authorization": basic("acme", revokedJWT)})
		if d := p.Decide(context.Background(), &req, cred, nil, ""); d.Refusal == nil || d.Refusal.TokenID != "tok_fed_old" {
			t.Fatalf("refusal: got %+v, want tok_fed_old", d.Refusal)
		}
	})
	t.Run("the identity names its trust policy", func(t *testing.T) {
		req := classify(t, "GET", man)
		cred, _ := credentials.FromRequest(http.Header{"Authorization": basic("acme", jobJWT)})
		if d := p.Decide(context.Background(), &req, cred, nil, ""); d.Identity == nil || d.Identity.Policy != "gha-main" {
			t.Fatalf("identity: got %+v, want policy gha-main", d.Identity)
		}
	})
}

func TestAuthenticateAnIDToken(t *testing.T) {
	_, fv := newTokens(t)
	ids := newIDTokens(t)
	p := mustPolicy(t, Config{Verifier: fv, IDTokens: ids})
	tests := []struct {
		name, user, secret string
		wantRefusal        string
		wantErr            bool
	}{
		{"a job's ID token of the org checks out", "acme", jobJWT, "", false},
		{"the ID token under another org's name is refused", "globex", jobJWT, "ID token not accepted", false},
		{"an unsigned JWT is refused", "acme", unsignedJWT, "unsigned JWT", false},
		{"an expired federated token says to log in again", "acme", expiredJWT, "fresh ID token", false},
		{"a store that cannot verify it is an error, not a refusal", "acme", downJWT, "", true},
		{"an address past its budget of unknown tokens is told to slow down", "acme", floodJWT, "too many unknown tokens", false},
		{"an org at its limit of federated tokens is told to wait", "acme", limitJWT, "max_federated_tokens", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id, refusal, err := p.Authenticate(WithClient(context.Background(), "192.0.2.8"), tt.user, tt.secret, time.Now())
			if (err != nil) != tt.wantErr {
				t.Fatalf("error: got %v, want error %v", err, tt.wantErr)
			}
			switch {
			case tt.wantRefusal == "" && refusal != nil:
				t.Fatalf("got refusal %v, want none", refusal)
			case tt.wantRefusal != "" && (refusal == nil || !strings.Contains(refusal.Description, tt.wantRefusal)):
				t.Fatalf("got refusal %+v, want one saying %q", refusal, tt.wantRefusal)
			case refusal != nil && refusal.Status != http.StatusUnauthorized && refusal.Status != http.StatusTooManyRequests:
				t.Fatalf("refusal status %d, want 401 (429 for the flood)", refusal.Status)
			case tt.wantRefusal == "" && !tt.wantErr && (id.Subject.TokenID != "tok_fed" || id.Subject.Org != "acme"):
				t.Fatalf("subject: got %+v, want tok_fed of acme: the bearer token names the federated token", id.Subject)
			}
			if tt.wantErr && !errors.Is(err, verify.ErrUnavailable) {
				t.Fatalf("error %v, want verify.ErrUnavailable", err)
			}
		})
	}
	t.Run("the token request's address reaches the verifier, which bounds unknown tokens by it", func(t *testing.T) {
		for _, q := range ids.asked {
			if q[2] != "192.0.2.8" {
				t.Fatalf("asked about %s from %q, want 192.0.2.8", q[0], q[2])
			}
		}
	})
	t.Run("the flood's refusal is a 429", func(t *testing.T) {
		_, refusal, _ := p.Authenticate(context.Background(), "acme", floodJWT, time.Now())
		if refusal == nil || refusal.Status != http.StatusTooManyRequests {
			t.Fatalf("got %+v, want 429", refusal)
		}
	})
}

func TestTokenRefusalReason(t *testing.T) {
	tests := []struct {
		name    string
		refusal *dockertoken.Error
		want    Reason
	}{
		{"no refusal", nil, ReasonNone},
		{"too many unknown tokens", tokenTooManyUnknown, ReasonTooManyUnknown},
		{"the org's federated token limit", tokenFederatedLimit, ReasonFederatedLimit},
		{"another value with the same words is not mistaken for the limit", dockertoken.TooManyRequests("max_federated_tokens"), ReasonBadCredentials},
		{"bad credentials", dockertoken.BadCredentials("unknown token"), ReasonBadCredentials},
		{"the store unavailable", dockertoken.Unavailable(), ReasonUnavailable},
		{"a malformed request", dockertoken.BadRequest("scope"), ReasonInvalidRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := TokenRefusalReason(tt.refusal); got != tt.want {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
		})
	}
}

// FuzzDecidePassword: whatever the username and password, a request is
// allowed only with credentials the verifiers accepted for that very org,
// and a refusal always says why with a registry error.
func FuzzDecidePassword(f *testing.F) {
	for _, s := range [][2]string{
		{"acme", jobJWT}, {"globex", jobJWT}, {"acme", unsignedJWT}, {"acme", "eyJ"}, {"acme", "eyJ.."},
		{"acme", "oat_x"}, {"", jobJWT}, {"acme", jobJWT + "."}, {"acme", strings.ToUpper(jobJWT)}, {"acme", jobJWT + "\n"},
	} {
		f.Add(s[0], s[1])
	}
	p, err := New(Config{Verifier: fakeVerifier{}, IDTokens: newIDTokens(f)})
	if err != nil {
		f.Fatal(err)
	}
	req, err := registryreq.Classify(registryreq.Input{Method: "GET", Path: man})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, user, password string) {
		cred, credErr := credentials.ParseBasic(basic(user, password)[0])
		d := p.Decide(context.Background(), &req, cred, credErr, "192.0.2.9")
		if d.Allowed() {
			// What the header carried, as read: a password pasted with its
			// newline is still the token.
			if cred.Username != "acme" || cred.Password() != jobJWT || d.Identity == nil || d.Identity.Org != cred.Username {
				t.Fatalf("allowed %q with password %q as %+v", cred.Username, cred.Password(), d.Identity)
			}
			return
		}
		if d.Err == nil || d.Reason == ReasonNone {
			t.Fatalf("refused %q without a reason or an error: %+v", user, d)
		}
	})
}
