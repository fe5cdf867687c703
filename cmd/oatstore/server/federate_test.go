package server

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/oatgate/oatgate/cmd/oatstore/federation"
)

func TestFederatedTokenFieldsStayWithinTheirBounds(t *testing.T) {
	id := "tok_abcdefghijklmnopqrstuvwxyz"
	tests := []struct {
		name string
		got  string
		want string
	}{
		{"a label is the policy and part of the id", federatedLabel("gha", id), "gha/abcdefghij"},
		{"a long policy name is cut to fit the label", federatedLabel(strings.Repeat("p", 64), id), strings.Repeat("p", 53) + "/abcdefghij"},
		{"a description names the issuer", federatedDescription("https://token.actions.githubusercontent.com"), "federated: https://token.actions.githubusercontent.com"},
		{"a long issuer is cut to fit the description", federatedDescription("https://" + strings.Repeat("i", 300)), ("federated: https://" + strings.Repeat("i", 300))[:maxDescription]},
		{"a subject keeps printable ASCII", cleanSubject("repo:acme/app:ref:refs/heads/main"), "repo:acme/app:ref:refs/heads/main"},
		{"a subject loses controls and non-ASCII", cleanSubject("repo:acme\n/app\x1b[31m é"), "repo:acme?/app?[31m ??"},
		{"a long subject is cut", cleanSubject(strings.Repeat("s", 300)), strings.Repeat("s", maxSubject)},
		{"a long logged value is cut and marked", cut(strings.Repeat("i", 600)), strings.Repeat("i", maxLogged) + "..."},
		{"a short logged value is kept", cut("https://issuer.example"), "https://issuer.example"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.got != tt.want {
				t.Errorf("got %q, want %q", tt.got, tt.want)
			}
			if strings.HasPrefix(tt.name, "a long policy") && len(tt.got) > maxLabel {
				t.Errorf("label %q is longer than %d", tt.got, maxLabel)
			}
		})
	}
	if err := checkLabel(federatedLabel("gha.main_2", id)); err != nil {
		t.Errorf("a federated label fails the label rules: %v", err)
	}
}

// A token that found every signature check busy is told to slow down: 429
// with Retry-After, RFC 6749's JSON shape.
func TestABusyVerifierAnswersSlowDown(t *testing.T) {
	rec := httptest.NewRecorder()
	writeOAuth(rec, federation.Busy())
	if rec.Code != http.StatusTooManyRequests || rec.Header().Get("Retry-After") != "1" || !strings.Contains(rec.Body.String(), `"error":"slow_down"`) {
		t.Errorf("answer = %d, Retry-After %q, %s; want 429, 1, slow_down", rec.Code, rec.Header().Get("Retry-After"), rec.Body)
	}
}
