package adversarial

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// bearerFor asks the gateway's token endpoint for a token with scopes, as
// role (anonymously when role is "").
func bearerFor(t *testing.T, role string, scopes ...string) string {
	t.Helper()
	q := url.Values{"service": {"oatgate"}, "scope": scopes}
	r, err := http.NewRequest(http.MethodGet, fx.env.GatewayURL+"/token?"+q.Encode(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if role != "" {
		r.Header.Set("Authorization", fx.auth(role))
	}
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		t.Fatalf("token endpoint: %v", err)
	}
	defer resp.Body.Close()
	var body struct {
		Token string `json:"token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || resp.StatusCode != http.StatusOK || body.Token == "" {
		t.Fatalf("token endpoint: status %d, %v; want 200 with a token", resp.StatusCode, err)
	}
	return body.Token
}

// unsigned is tok with its header replaced by alg "none" and no signature.
func unsigned(tok string) string {
	parts := strings.Split(tok, ".")
	head := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`))
	return head + "." + parts[1] + "."
}

// bearerRows are requests with Docker bearer tokens: only a token the
// gateway signed, for this service, whose OAT allows the access, reaches
// the registry.
func bearerRows() []row {
	pullTok := func(t *testing.T) string { return bearerFor(t, acmePull, "repository:acme/app:pull") }
	return []row{
		{reason: "a bearer token from the token endpoint pulls", build: func(t *testing.T) wire {
			return pull().with("Authorization", "Bearer "+pullTok(t))
		}, status: 200, reaches: true},
		{reason: "a bearer token with its signature changed is refused", build: func(t *testing.T) wire {
			tok := pullTok(t)
			return pull().with("Authorization", "Bearer "+tok[:len(tok)-4]+"AAAA")
		}, status: 401, code: "UNAUTHORIZED"},
		{reason: "a bearer token rewritten as unsigned (alg none) is refused", build: func(t *testing.T) wire {
			return pull().with("Authorization", "Bearer "+unsigned(pullTok(t)))
		}, status: 401, code: "UNAUTHORIZED"},
		{reason: "a bearer token whose claims were edited to grant push is refused", build: func(t *testing.T) wire {
			parts := strings.Split(pullTok(t), ".")
			claims, _ := base64.RawURLEncoding.DecodeString(parts[1])
			parts[1] = base64.RawURLEncoding.EncodeToString([]byte(strings.Replace(string(claims), `"pull"`, `"push"`, 1)))
			return req(http.MethodPut, manifestPath).with("Content-Type", ociManifest).with("Authorization", "Bearer "+strings.Join(parts, "."))
		}, status: 401, code: "UNAUTHORIZED"},
		{reason: "an OAT sent as a bearer token is not a bearer token", build: func(t *testing.T) wire {
			return pull().with("Authorization", "Bearer "+fx.tokens[acmeAll].Secret)
		}, status: 401, code: "UNAUTHORIZED"},
		{reason: "an empty bearer token is refused", build: fixed(func() wire {
			return pull().with("Authorization", "Bearer ")
		}), status: 401, code: "UNAUTHORIZED"},
		{reason: "a pull-only OAT's bearer token may not push", build: func(t *testing.T) wire {
			tok := bearerFor(t, acmePull, "repository:acme/app:pull,push")
			return req(http.MethodPut, manifestPath).with("Content-Type", ociManifest).with("Authorization", "Bearer "+tok)
		}, status: 403, code: "DENIED"},
		{reason: "a bearer token for acme may not pull globex", build: func(t *testing.T) wire {
			tok := bearerFor(t, acmeAll, "repository:globex/app:pull")
			return req(http.MethodGet, "/v2/globex/app/manifests/latest").with("Authorization", "Bearer "+tok)
		}, status: 403, code: "DENIED"},
		{reason: "an anonymous bearer token may not pull a private repository", build: func(t *testing.T) wire {
			return pull().with("Authorization", "Bearer "+bearerFor(t, "", "repository:acme/app:pull"))
		}, status: 401, code: "DENIED"},
		{reason: "a bearer token beside Basic credentials is refused, not chosen between", build: func(t *testing.T) wire {
			return pull().with("Authorization", "Bearer "+pullTok(t)).with("Authorization", fx.auth(acmeAll))
		}, status: 401, code: "UNAUTHORIZED"},
		{reason: "a token endpoint request never reaches the registry", build: fixed(func() wire {
			return req(http.MethodGet, "/token?service=oatgate&scope=repository:acme/app:pull").with("Authorization", fx.auth(acmePull))
		}), status: 200},
		{reason: "a token endpoint request for another service is refused", build: fixed(func() wire {
			return req(http.MethodGet, "/token?service=evil&scope=repository:acme/app:pull").with("Authorization", fx.auth(acmePull))
		}), status: 400},
	}
}
