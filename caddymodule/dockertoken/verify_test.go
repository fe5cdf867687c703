package dockertoken

import (
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// segments splits a compact JWS.
func segments(t *testing.T, raw string) (header, payload, sig string) {
	t.Helper()
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		t.Fatalf("token has %d segments; want 3", len(parts))
	}
	return parts[0], parts[1], parts[2]
}

// hs256 signs header.payload with secret, as a forger holding it would.
func hs256(secret []byte, header, payload string) string {
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(header + "." + payload))
	return header + "." + payload + "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

func b64json(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// claimsJSON decodes a token's payload into a map a test can change.
func claimsJSON(t *testing.T, payload string) map[string]any {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(payload)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestVerifyRefuses(t *testing.T) {
	k := mustKey(t, storeKey)
	signer := mustSigner(t, k, 0)
	good := mint(t, signer, oat, []Access{repo("acme/app", "pull")}, t0).Raw
	header, payload, sig := segments(t, good)
	kid := k.ID()

	// withClaims re-signs good's claims changed by edit, with the right key.
	withClaims := func(edit func(map[string]any)) string {
		m := claimsJSON(t, payload)
		edit(m)
		return hs256(k.secret, header, b64json(t, m))
	}
	tampered := func() string {
		m := claimsJSON(t, payload)
		m["access"] = []Access{repo("acme/app", "pull", "push", "delete")}
		return header + "." + b64json(t, m) + "." + sig
	}()
	otherSigner, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.HS512, Key: append(k.secret, k.secret...)},
		(&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", kid))
	if err != nil {
		t.Fatal(err)
	}
	hs512, err := jwt.Signed(otherSigner).Claims(claimsJSON(t, payload)).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	_, edPriv, _ := ed25519.GenerateKey(nil)
	edSigner, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.EdDSA, Key: edPriv}, (&jose.SignerOptions{}).WithHeader("kid", kid))
	if err != nil {
		t.Fatal(err)
	}
	eddsa, err := jwt.Signed(edSigner).Claims(claimsJSON(t, payload)).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	noneHeader := b64json(t, map[string]string{"alg": "none", "typ": "JWT", "kid": kid})
	otherReplica := mint(t, mustSigner(t, mustKey(t, "another-deployment-store-key"), 0), oat, nil, t0).Raw
	otherService, err := signer.Mint(oat, "other.example", nil, t0)
	if err != nil {
		t.Fatal(err)
	}
	otherIssuer, err := NewSigner(k, "someone-else", 0)
	if err != nil {
		t.Fatal(err)
	}
	fromOtherIssuer := mint(t, otherIssuer, oat, nil, t0).Raw

	tests := []struct {
		name    string
		raw     string
		now     time.Time
		wantErr error
	}{
		{"an empty token", "", t0, ErrMalformed},
		{"garbage", "not-a-jwt", t0, ErrMalformed},
		{"an OAT sent as a bearer token", "oat_" + strings.Repeat("A", 49), t0, ErrMalformed},
		{"a token over MaxTokenLen", strings.Repeat("a", MaxTokenLen+1), t0, ErrMalformed},
		{"alg none without a signature", noneHeader + "." + payload + ".", t0, ErrMalformed},
		{"alg none with the real signature", noneHeader + "." + payload + "." + sig, t0, ErrMalformed},
		{"HS512", hs512, t0, ErrMalformed},
		{"EdDSA with a key in its kid", eddsa, t0, ErrMalformed},
		{"a tampered payload", tampered, t0, ErrSignature},
		{"a cut signature", header + "." + payload + "." + sig[:len(sig)-4], t0, ErrSignature},
		{"a missing signature", header + "." + payload + ".", t0, ErrSignature},
		{"a token of another deployment's key", otherReplica, t0, ErrUnknownKey},
		{"an unknown kid", hs256(k.secret, b64json(t, map[string]string{"alg": "HS256", "kid": "nope"}), payload), t0, ErrUnknownKey},
		{"no kid", hs256(k.secret, b64json(t, map[string]string{"alg": "HS256"}), payload), t0, ErrUnknownKey},
		{"a token for another service", otherService.Raw, t0, ErrAudience},
		{"a token of another issuer", fromOtherIssuer, t0, ErrIssuer},
		{"a token past its expiry and the leeway", good, t0.Add(DefaultTTL + Leeway + time.Second), ErrExpired},
		{"a token before its nbf and the leeway", good, t0.Add(-Leeway - time.Second), ErrNotYetValid},
		{"a token without exp", withClaims(func(m map[string]any) { delete(m, "exp") }), t0, ErrClaims},
		{"a token without sub", withClaims(func(m map[string]any) { delete(m, "sub") }), t0, ErrClaims},
		{"a token without iat", withClaims(func(m map[string]any) { delete(m, "iat") }), t0, ErrClaims},
		{"a token without jti", withClaims(func(m map[string]any) { delete(m, "jti") }), t0, ErrClaims},
		{"an OAT's token without org", withClaims(func(m map[string]any) { delete(m, "org") }), t0, ErrClaims},
		{"an anonymous token with an org", withClaims(func(m map[string]any) { m["sub"] = Anonymous }), t0, ErrClaims},
		{"a token with an invalid org", withClaims(func(m map[string]any) { m["org"] = "ACME/x" }), t0, ErrClaims},
		{"a payload that is not JSON", hs256(k.secret, header, base64.RawURLEncoding.EncodeToString([]byte("{"))), t0, ErrMalformed},
	}
	v := mustVerifier(t, k)
	for _, tt := range tests {
		t.Run("it refuses "+tt.name, func(t *testing.T) {
			c, err := v.Verify(tt.raw, tt.now)
			if c != nil || !errors.Is(err, tt.wantErr) {
				t.Fatalf("Verify = %+v, %v; want nil, %v", c, err, tt.wantErr)
			}
		})
	}
}

func TestVerifyToleratesSkewWithinTheLeeway(t *testing.T) {
	k := mustKey(t, storeKey)
	good := mint(t, mustSigner(t, k, 0), oat, nil, t0).Raw
	v := mustVerifier(t, k)
	for _, now := range []time.Time{t0.Add(-Leeway), t0.Add(DefaultTTL + Leeway)} {
		if _, err := v.Verify(good, now); err != nil {
			t.Errorf("Verify at %v: %v; want accepted within the leeway", now, err)
		}
	}
}
