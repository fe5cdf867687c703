package decide

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/oatgate/oatgate/caddymodule/credentials"
	"github.com/oatgate/oatgate/caddymodule/registryerr"
	"github.com/oatgate/oatgate/caddymodule/storeapi"
	"github.com/oatgate/oatgate/caddymodule/verify"
)

// An inactive token's 401 says why, and the decision names a token the
// store knows, so that the gateway can log and count it (issue 12 items 14
// and 16).
func TestAnInactiveTokenIsRefusedSayingWhyAndNamingIt(t *testing.T) {
	known := func(reason storeapi.Reason) *verify.Refusal {
		return &verify.Refusal{Reason: reason, TokenID: "tok_x", Label: "ci", Org: "acme"}
	}
	tests := []struct {
		name        string
		answer      fakeAnswer
		wantReason  Reason
		wantCode    registryerr.Code
		wantMessage string
		wantTokenID string
	}{
		{"an unknown token is refused as unknown, naming no token", fakeAnswer{refusal: &verify.Refusal{}},
			ReasonInactiveToken, registryerr.Unauthorized, "unknown token", ""},
		{"a revoked token is refused as revoked, naming it", fakeAnswer{refusal: known(storeapi.ReasonRevoked)},
			ReasonInactiveToken, registryerr.Unauthorized, "revoked token: it will not work again", "tok_x"},
		{"a deactivated token is refused as deactivated, naming it", fakeAnswer{refusal: known(storeapi.ReasonDeactivated)},
			ReasonInactiveToken, registryerr.Unauthorized, "deactivated token: it works again once the organization activates it", "tok_x"},
		{"an expired token is refused as expired, naming it", fakeAnswer{refusal: known(storeapi.ReasonExpired)},
			ReasonInactiveToken, registryerr.Unauthorized, "expired token", "tok_x"},
		{"a known token the store gave no reason for is refused as inactive, naming it", fakeAnswer{refusal: known(storeapi.ReasonUnknown)},
			ReasonInactiveToken, registryerr.Unauthorized, "unknown or inactive token", "tok_x"},
		{"a refusal without details is refused as inactive", fakeAnswer{},
			ReasonInactiveToken, registryerr.Unauthorized, "unknown or inactive token", ""},
		{"an address past its budget of unknown tokens is told to slow down", fakeAnswer{err: verify.ErrTooManyUnknown},
			ReasonTooManyUnknown, registryerr.TooManyRequests, "too many unknown tokens from this address", ""},
		{"a wrapped unavailable store is still unavailable", fakeAnswer{err: errors.Join(verify.ErrUnavailable)},
			ReasonUnavailable, registryerr.Unavailable, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			token := newToken(t)
			p := mustPolicy(t, Config{Verifier: fakeVerifier{token: tt.answer}})
			req := classify(t, "GET", man)
			cred, credErr := credentials.FromRequest(http.Header{"Authorization": basic("acme", token)})
			d := p.Decide(context.Background(), &req, cred, credErr, "192.0.2.1")
			if d.Outcome != Deny || d.Reason != tt.wantReason || d.Err == nil || d.Err.Code != tt.wantCode {
				t.Fatalf("got %v/%v %v, want deny/%v %s", d.Outcome, d.Reason, d.Err, tt.wantReason, tt.wantCode.Value)
			}
			if !strings.Contains(d.Err.Message(), tt.wantMessage) {
				t.Errorf("message %q, want it to say %q", d.Err.Message(), tt.wantMessage)
			}
			gotID := ""
			if d.Refusal != nil {
				gotID = d.Refusal.TokenID
			}
			if gotID != tt.wantTokenID || d.Identity != nil {
				t.Errorf("refused token %q (identity %v), want %q and no identity", gotID, d.Identity, tt.wantTokenID)
			}
		})
	}
}

// recordingVerifier remembers the client address it was asked for.
type recordingVerifier struct{ client *string }

func (r recordingVerifier) VerifyFrom(_ context.Context, _, client string) (*verify.Identity, *verify.Refusal, error) {
	*r.client = client
	return nil, &verify.Refusal{}, nil
}

func TestTheClientAddressReachesTheVerifier(t *testing.T) {
	var got string
	p := mustPolicy(t, Config{Verifier: recordingVerifier{&got}})
	req := classify(t, "GET", man)
	cred, credErr := credentials.FromRequest(http.Header{"Authorization": basic("acme", newToken(t))})
	p.Decide(context.Background(), &req, cred, credErr, "198.51.100.7")
	if got != "198.51.100.7" {
		t.Fatalf("the verifier was asked for client %q, want 198.51.100.7", got)
	}
}
