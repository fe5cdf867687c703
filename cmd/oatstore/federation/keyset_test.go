package federation_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/oatgate/oatgate/cmd/oatstore/federation"
)

// hostileIssuer serves a JWKS of many P-256 keys with the kids given.
type hostileIssuer struct {
	srv  *httptest.Server
	keys []*ecdsa.PrivateKey
}

func newHostileIssuer(t *testing.T, kids []string) *hostileIssuer {
	t.Helper()
	h := &hostileIssuer{}
	var set jose.JSONWebKeySet
	for _, kid := range kids {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		h.keys = append(h.keys, k)
		set.Keys = append(set.Keys, jose.JSONWebKey{Key: &k.PublicKey, KeyID: kid, Algorithm: string(jose.ES256), Use: "sig"})
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]string{"issuer": h.srv.URL, "jwks_uri": h.srv.URL + "/jwks"})
	})
	mux.HandleFunc("/jwks", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(set)
	})
	h.srv = httptest.NewServer(mux)
	t.Cleanup(h.srv.Close)
	return h
}

// mint signs a token with key i, naming kid in the header (none if empty).
func (h *hostileIssuer) mint(t *testing.T, i int, kid string) string {
	t.Helper()
	opts := (&jose.SignerOptions{}).WithType("JWT")
	if kid != "" {
		opts = opts.WithHeader("kid", kid)
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: h.keys[i]}, opts)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	payload, _ := json.Marshal(map[string]any{"iss": h.srv.URL, "sub": "job", "aud": "oatgate", "iat": now.Unix(), "exp": now.Add(5 * time.Minute).Unix()})
	jws, err := signer.Sign(payload)
	if err != nil {
		t.Fatal(err)
	}
	out, err := jws.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func kidsOf(n int, same bool) []string {
	out := make([]string, n)
	for i := range out {
		if same {
			out[i] = "k"
		} else {
			out[i] = fmt.Sprintf("k%d", i)
		}
	}
	return out
}

// A JWKS chosen by whoever runs the issuer cannot make one token cost
// many signature checks: at most 32 keys are kept, a kid names one key,
// and a token without a kid is tried against at most 3.
func TestAHostileJWKSBoundsTheKeysATokenIsTriedAgainst(t *testing.T) {
	tests := []struct {
		name   string
		kids   []string
		signer int    // the index of the signing key
		kid    string // the token's kid header
		ok     bool
	}{
		{"a token of the first of 40 keys verifies", kidsOf(40, false), 0, "k0", true},
		{"a token of the 32nd of 40 keys verifies", kidsOf(40, false), 31, "k31", true},
		{"a token of the 33rd of 40 keys is refused: only 32 are kept", kidsOf(40, false), 32, "k32", false},
		{"a token of the first of keys sharing a kid verifies", kidsOf(5, true), 0, "k", true},
		{"a token of the second of keys sharing a kid is refused: a kid names the first", kidsOf(5, true), 1, "k", false},
		{"a token without kid of the 3rd of 5 keys verifies", kidsOf(5, false), 2, "", true},
		{"a token without kid of the 4th of 5 keys is refused: 3 are tried", kidsOf(5, false), 3, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHostileIssuer(t, tt.kids)
			v := federation.NewVerifier(federation.VerifierConfig{Options: federation.Options{AllowLoopbackHTTP: true}})
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			_, err := v.Verify(ctx, h.srv.URL, h.mint(t, tt.signer, tt.kid))
			switch {
			case tt.ok && err != nil:
				t.Errorf("Verify = %v, want accepted", err)
			case !tt.ok && !errors.Is(err, federation.ErrRefused):
				t.Errorf("Verify = %v, want ErrRefused", err)
			}
		})
	}
}
