package decide

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/oatgate/oatgate/caddymodule/credentials"
	"github.com/oatgate/oatgate/caddymodule/registryreq"
)

// The enums print exactly the values usage events and metrics have always
// carried; the usage-report reader and dashboards match on them.
func TestEnumsPrintTheLoggedValues(t *testing.T) {
	tests := []struct {
		name string
		got  string
		want string
	}{
		{"deny", Deny.String(), "deny"},
		{"allow", Allow.String(), "allow"},
		{"challenge", Challenge.String(), "challenge"},
		{"an unknown outcome reads as deny", Outcome(200).String(), "deny"},
		{"invalid", EventInvalid.String(), "invalid"},
		{"login", EventLogin.String(), "login"},
		{"catalog", EventCatalog.String(), "catalog"},
		{"pull", EventPull.String(), "pull"},
		{"push", EventPush.String(), "push"},
		{"delete", EventDelete.String(), "delete"},
		{"no reason is empty", ReasonNone.String(), ""},
		{"invalid_request", ReasonInvalidRequest.String(), "invalid_request"},
		{"no_credentials", ReasonNoCredentials.String(), "no_credentials"},
		{"bad_credentials", ReasonBadCredentials.String(), "bad_credentials"},
		{"bad_token_format", ReasonBadToken.String(), "bad_token_format"},
		{"inactive_token", ReasonInactiveToken.String(), "inactive_token"},
		{"wrong_org_username", ReasonWrongOrg.String(), "wrong_org_username"},
		{"scope", ReasonScope.String(), "scope"},
		{"store_unavailable", ReasonUnavailable.String(), "store_unavailable"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.got != tt.want {
				t.Errorf("got %q, want %q", tt.got, tt.want)
			}
		})
	}
}

func TestInvalidAnswersTheClassifiersRefusal(t *testing.T) {
	_, nameErr := registryreq.Classify(registryreq.Input{Method: "GET", Path: "/v2/Acme/app/manifests/latest"})
	tests := []struct {
		name     string
		err      error
		wantCode string
		status   int
	}{
		{"an invalid name is NAME_INVALID", nameErr, "NAME_INVALID", 400},
		{"a route the registry lacks is NOT_FOUND", registryreq.ErrUnknownRoute, "NOT_FOUND", 404},
		{"an error that is no registry error is UNSUPPORTED", errors.New("boom"), "UNSUPPORTED", 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := Invalid(tt.err)
			if d.Allowed() || d.Event != EventInvalid || d.Reason != ReasonInvalidRequest {
				t.Fatalf("got %v %v %v, want deny invalid invalid_request", d.Outcome, d.Event, d.Reason)
			}
			if d.Err.Code.Value != tt.wantCode || d.Err.Code.Status != tt.status {
				t.Errorf("got %s %d, want %s %d", d.Err.Code.Value, d.Err.Code.Status, tt.wantCode, tt.status)
			}
		})
	}
	if d := Invalid(errors.New("internal detail")); d.Err.Message() == "internal detail" {
		t.Errorf("an internal error's text reached the client: %q", d.Err.Message())
	}
	var zero Decision
	if zero.Allowed() {
		t.Error("the zero Decision allows; it must refuse")
	}
}

func TestNewRefusesWhatCannotWork(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
	}{
		{"no verifier", Config{}},
		{"an anonymous pattern that does not parse", Config{Verifier: fakeVerifier{}, AnonymousPull: []string{"Acme/**"}}},
		{"a negative page size", Config{Verifier: fakeVerifier{}, MaxPageSize: -1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := New(tt.cfg); err == nil {
				t.Error("New succeeded, want an error")
			}
		})
	}
	p := mustPolicy(t, Config{Verifier: fakeVerifier{}})
	if got := p.MaxPageSize(); got != DefaultMaxPageSize {
		t.Errorf("default MaxPageSize() = %d, want %d", got, DefaultMaxPageSize)
	}
}

// Each 401 says which check failed, and a 403 names what was needed
// (issue 12 item 14).
func TestRefusalsSayWhich(t *testing.T) {
	tk, fv := newTokens(t)
	p := mustPolicy(t, Config{Verifier: fv})
	tests := []struct {
		name   string
		target string
		method string
		auth   []string
		want   string
	}{
		{"no credentials", man, "GET", nil, "no credentials were sent"},
		{"malformed credentials", man, "GET", []string{"Basic !!!"}, "malformed credentials"},
		{"a password that is no token", man, "GET", basic("acme", "hunter2"), "the password is not an access token"},
		{"an unknown token", man, "GET", basic("acme", newToken(t)), "unknown token: the token store has no such token"},
		{"the wrong username", man, "GET", basic("globex", tk.pull), "the username is not the token's organization"},
		{"a push with a pull token", man, "PUT", basic("acme", tk.pull), "requested access to the resource is denied: the token does not grant push on acme/app"},
		{"a delete with a push token", blob, "DELETE", basic("acme", tk.push), "the token does not grant delete on acme/app"},
		{"a mount into a repository not granted", "/v2/acme/other/blobs/uploads/?mount=" + sha + "&from=acme%2Fapp", "POST", basic("acme", tk.narrow), "the token does not grant push on acme/other"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := classify(t, tt.method, tt.target)
			h := http.Header{}
			if tt.auth != nil {
				h["Authorization"] = tt.auth
			}
			cred, credErr := credentials.FromRequest(h)
			d := p.Decide(context.Background(), &req, cred, credErr, "")
			if d.Err == nil || !strings.Contains(d.Err.Message(), tt.want) {
				t.Errorf("got %v, want a message saying %q", d.Err, tt.want)
			}
		})
	}
}
