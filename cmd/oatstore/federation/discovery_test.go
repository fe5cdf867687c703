package federation_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/oatgate/oatgate/cmd/oatstore/federation"
	"github.com/oatgate/oatgate/testenv/oidcissuer"
)

// A misbehaving issuer is never trusted: each answer below makes the
// token unverifiable (unavailable: the keys could not be had), never
// accepted.
func TestAMisbehavingIssuerIsUnavailableNeverTrusted(t *testing.T) {
	honest, err := oidcissuer.New(oidcissuer.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer honest.Close()
	tests := []struct {
		name      string
		discovery func(self string) string
		why       string // in the logged fetch failure
	}{
		{"a discovery document naming another issuer", func(string) string {
			return `{"issuer":"` + honest.URL() + `","jwks_uri":"` + honest.URL() + `/jwks"}`
		}, "did not match"},
		{"a discovery document of 2 MiB", func(self string) string {
			return `{"issuer":"` + self + `","jwks_uri":"` + honest.URL() + `/jwks","x":"` + strings.Repeat("x", 2<<20) + `"}`
		}, "larger than 1 MiB"},
		{"a jwks_uri over plain http elsewhere than loopback", func(self string) string {
			return `{"issuer":"` + self + `","jwks_uri":"http://keys.example/jwks"}`
		}, "jwks_uri"},
		{"a discovery document that is not JSON", func(string) string { return `<html>` }, "discovery"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var self string
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				_, _ = w.Write([]byte(tt.discovery(self)))
			}))
			defer srv.Close()
			self = srv.URL
			// The token is signed by the honest issuer's key but names the
			// misbehaving one: only its keys could verify it.
			jwt, err := honest.Mint(oidcissuer.Claims{"iss": self})
			if err != nil {
				t.Fatal(err)
			}
			core, logs := observer.New(zap.WarnLevel)
			v := federation.NewVerifier(federation.VerifierConfig{Options: federation.Options{AllowLoopbackHTTP: true}, Logger: zap.New(core)})
			ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
			defer cancel()
			if _, err := v.Verify(ctx, self, jwt); !errors.Is(err, federation.ErrUnavailable) {
				t.Fatalf("Verify = %v, want ErrUnavailable", err)
			}
			entries := logs.All()
			if len(entries) != 1 || !strings.Contains(entries[0].ContextMap()["error"].(string), tt.why) {
				t.Errorf("logged %+v, want one fetch failure mentioning %q", entries, tt.why)
			}
		})
	}
}
