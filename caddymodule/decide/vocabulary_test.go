package decide

import (
	"errors"
	"testing"

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
