package dockertoken

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"reflect"
	"testing"
	"time"
)

// fakeAuth knows three tokens of acme and can be down.
type fakeAuth struct {
	down bool
	ids  map[string]Identity
}

var errStoreDown = errors.New("token store unreachable")

func (f fakeAuth) Authenticate(_ context.Context, username, secret string, _ time.Time) (Identity, *Error, error) {
	if f.down {
		return Identity{}, nil, errStoreDown
	}
	id, ok := f.ids[username+":"+secret]
	if !ok {
		return Identity{}, BadCredentials("unknown access token"), nil
	}
	return id, nil, nil
}

func TestEndpointServe(t *testing.T) {
	rw := Identity{Subject: Subject{TokenID: "tok_rw", Org: "acme"}, Allows: compiled(t, "acme", "repository:acme/**:push"), Catalog: true}
	ro := Identity{Subject: Subject{TokenID: "tok_ro", Org: "acme"}, Allows: compiled(t, "acme", "repository:acme/**:pull")}
	soon := Identity{Subject: Subject{TokenID: "tok_soon", Org: "acme", Expires: t0.Add(90 * time.Second)}, Allows: ro.Allows}
	gone := Identity{Subject: Subject{TokenID: "tok_gone", Org: "acme", Expires: t0.Add(-time.Hour)}, Allows: ro.Allows}
	nameless := Identity{Allows: rw.Allows}
	auth := fakeAuth{ids: map[string]Identity{
		"acme:" + oatSecret: rw, "acme:readonly": ro, "acme:soon": soon, "acme:gone": gone, "acme:nameless": nameless,
	}}
	public := compiled(t, "public", "repository:public/**:pull")
	pushApp := "scope=repository%3Aacme%2Fapp%3Apush%2Cpull&service=registry.example"

	tests := []struct {
		name        string
		r           *http.Request
		auth        Authenticator
		anonymous   Allows
		wantStatus  int
		wantCode    string // OAuth2 error code when refused
		wantSub     string
		wantGranted []Access
		wantTTL     int
		wantErr     bool
	}{
		{"docker login gets a token without access", getRequest("account=acme&client_id=docker&offline_token=true&service=registry.example", basic("acme", oatSecret)),
			auth, nil, 200, "", "tok_rw", []Access{}, 300, false},
		{"a push token is granted push and pull", getRequest(pushApp, basic("acme", oatSecret)),
			auth, nil, 200, "", "tok_rw", []Access{repo("acme/app", "push", "pull")}, 300, false},
		{"a pull-only OAT asking to push is granted pull only", getRequest(pushApp, basic("acme", "readonly")),
			auth, nil, 200, "", "tok_ro", []Access{repo("acme/app", "pull")}, 300, false},
		{"containerd's password grant is served", postRequest("grant_type=password&username=acme&password=readonly&scope=repository%3Aacme%2Fapp%3Apull&service=registry.example&client_id=containerd-client", formType),
			auth, nil, 200, "", "tok_ro", []Access{repo("acme/app", "pull")}, 300, false},
		{"the catalog is granted to an identity that may list it", getRequest("scope=registry%3Acatalog%3A*", basic("acme", oatSecret)),
			auth, nil, 200, "", "tok_rw", []Access{catalogAccess}, 300, false},
		{"a token never outlives its OAT", getRequest("service=registry.example", basic("acme", "soon")),
			auth, nil, 200, "", "tok_soon", []Access{}, 90, false},
		{"anonymous pull of a public repository is granted", getRequest("scope=repository%3Apublic%2Fhello%3Apull&service=registry.example"),
			auth, public, 200, "", Anonymous, []Access{repo("public/hello", "pull")}, 300, false},
		{"anonymous pull of a private repository gets a token without it", getRequest("scope=repository%3Aacme%2Fapp%3Apull&service=registry.example"),
			auth, public, 200, "", Anonymous, []Access{}, 300, false},
		{"anonymous without anonymous_pull gets a token without access", getRequest("scope=repository%3Apublic%2Fhello%3Apull"),
			auth, nil, 200, "", Anonymous, []Access{}, 300, false},
		{"anonymous never gets the catalog unless allowed", getRequest("scope=registry%3Acatalog%3A*"),
			auth, public, 200, "", Anonymous, []Access{}, 300, false},
		{"bad credentials get 401", getRequest(pushApp, basic("acme", "wrong")),
			auth, nil, 401, CodeInvalidClient, "", nil, 0, false},
		{"an expired OAT gets 401", getRequest("", basic("acme", "gone")),
			auth, nil, 401, CodeInvalidClient, "", nil, 0, false},
		{"a store outage gets 503, not 401", getRequest(pushApp, basic("acme", oatSecret)),
			fakeAuth{down: true}, nil, 503, CodeTemporarilyUnavailable, "", nil, 0, true},
		{"a refresh grant gets invalid_grant", postRequest("grant_type=refresh_token&refresh_token=abc", formType),
			auth, nil, 400, CodeInvalidGrant, "", nil, 0, false},
		{"another service gets 400", getRequest("service=other.example", basic("acme", oatSecret)),
			auth, nil, 400, CodeInvalidRequest, "", nil, 0, false},
		{"credentials accepted without a token id are a server error, never anonymous", getRequest("", basic("acme", "nameless")),
			auth, nil, 500, CodeServerError, "", nil, 0, true},
	}
	k := mustKey(t, storeKey)
	v := mustVerifier(t, k)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := &Endpoint{Signer: mustSigner(t, k, 0), Service: service, Realm: "oatgate", Auth: tt.auth, Anonymous: tt.anonymous}
			w := httptest.NewRecorder()
			out := e.Serve(w, tt.r, t0)
			if w.Code != tt.wantStatus {
				t.Fatalf("status %d (%s); want %d", w.Code, w.Body, tt.wantStatus)
			}
			if (out.Err != nil) != tt.wantErr {
				t.Fatalf("Outcome.Err = %v; want an error: %v", out.Err, tt.wantErr)
			}
			if tt.wantCode != "" {
				var body errorBody
				if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil || body.Error != tt.wantCode || out.Refusal == nil || out.Refusal.Code != tt.wantCode {
					t.Fatalf("body %s, refusal %v; want code %s", w.Body, out.Refusal, tt.wantCode)
				}
				return
			}
			var resp Response
			if err := json.Unmarshal(w.Body.Bytes(), &resp); err != nil {
				t.Fatalf("answer %s: %v", w.Body, err)
			}
			c, err := v.Verify(resp.Token, t0)
			if err != nil {
				t.Fatalf("the minted token does not verify: %v", err)
			}
			if c.Subject != tt.wantSub || !reflect.DeepEqual(c.Access, tt.wantGranted) || resp.ExpiresIn != tt.wantTTL {
				t.Fatalf("sub %q, access %+v, expires_in %d; want %q, %+v, %d", c.Subject, c.Access, resp.ExpiresIn, tt.wantSub, tt.wantGranted, tt.wantTTL)
			}
			if len(out.Granted) != len(tt.wantGranted) {
				t.Fatalf("Outcome.Granted = %+v; want %+v", out.Granted, tt.wantGranted)
			}
		})
	}
}
