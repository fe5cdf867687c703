package decide

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/oatgate/oatgate/caddymodule/credentials"
	"github.com/oatgate/oatgate/caddymodule/verify"
)

// TestDecideAtTheExpiryBoundary runs the policy with the real verifier
// against a stub store whose token expires at exp, at clock readings around
// exp: a token works up to the second before its expiry and not from it on.
func TestDecideAtTheExpiryBoundary(t *testing.T) {
	exp := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
	store := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"active":true,"token_id":"tok_exp","org":"acme","scope":"repository:acme/**:pull","exp":%d}`, exp.Unix())
	}))
	t.Cleanup(store.Close)
	token := newToken(t)

	tests := []struct {
		name string
		now  time.Time
		want want
	}{
		{"an hour before expiry the token works", exp.Add(-time.Hour), allowed("tok_exp")},
		{"a second before expiry the token works", exp.Add(-time.Second), allowed("tok_exp")},
		{"a nanosecond before expiry the token works", exp.Add(-time.Nanosecond), allowed("tok_exp")},
		{"at expiry the token is refused", exp, refused(ReasonInactiveToken, 401, "")},
		{"after expiry the token is refused", exp.Add(time.Second), refused(ReasonInactiveToken, 401, "")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := verify.New(verify.Config{StoreURL: store.URL, StoreKey: "k", Now: func() time.Time { return tt.now }})
			if err != nil {
				t.Fatalf("verify.New: %v", err)
			}
			t.Cleanup(func() { _ = v.Close() })
			p := mustPolicy(t, Config{Verifier: v})
			req := classify(t, "GET", man)
			cred, credErr := credentials.FromRequest(http.Header{"Authorization": basic("acme", token)})
			checkDecision(t, p.Decide(context.Background(), &req, cred, credErr, ""), tt.want)
		})
	}
}
