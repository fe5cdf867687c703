package caddymodule

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/oatgate/oatgate/caddymodule/decide"
	"github.com/oatgate/oatgate/caddymodule/registryerr"
	"github.com/oatgate/oatgate/caddymodule/registryreq"
)

// TestRefuse checks the one response path for refusals: the status of the
// decision's error, the headers clients expect with it, and a closed
// connection when a body was left unread.
func TestRefuse(t *testing.T) {
	ra := &RegistryAuth{challenge: `Basic realm="oatgate"`}
	tests := []struct {
		name       string
		d          decide.Decision
		body       string // request body; "" for none
		wantStatus int
		wantHeader map[string]string
	}{
		{"a zero decision still refuses, as DENIED", decide.Decision{}, "", 403, map[string]string{"Connection": ""}},
		{"a 401 carries the Basic challenge", decide.Decision{Err: registryerr.New(registryerr.Unauthorized, "x")}, "", 401, map[string]string{"WWW-Authenticate": `Basic realm="oatgate"`}},
		{"a 503 carries Retry-After", decide.Decision{Err: registryerr.New(registryerr.Unavailable, "")}, "", 503, map[string]string{"Retry-After": "5"}},
		{"a 400 carries neither", decide.Invalid(nil), "", 400, map[string]string{"WWW-Authenticate": "", "Retry-After": ""}},
		{"a refusal with an unread body closes the connection", decide.Decision{}, "{}", 403, map[string]string{"Connection": "close"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var body *strings.Reader
			r := httptest.NewRequest(http.MethodPut, "/v2/acme/app/manifests/v1", nil)
			if tt.body != "" {
				body = strings.NewReader(tt.body)
				r = httptest.NewRequest(http.MethodPut, "/v2/acme/app/manifests/v1", body)
			}
			rec := httptest.NewRecorder()
			ra.refuse(rec, r, &registryreq.Request{}, &tt.d)
			if rec.Code != tt.wantStatus {
				t.Errorf("status: got %d, want %d", rec.Code, tt.wantStatus)
			}
			for k, v := range tt.wantHeader {
				if got := rec.Header().Get(k); got != v {
					t.Errorf("%s: got %q, want %q", k, got, v)
				}
			}
		})
	}
}
