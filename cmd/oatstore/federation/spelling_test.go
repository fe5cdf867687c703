package federation_test

import (
	"crypto/elliptic"
	"encoding/base64"
	"math/big"
	"strings"
	"testing"

	"github.com/oatgate/oatgate/cmd/oatstore/federation"
	"github.com/oatgate/oatgate/testenv/oidcissuer"
)

// twinSignature returns jwt with its ES256 signature (r, s) replaced by
// (r, n−s), which verifies as well.
func twinSignature(t *testing.T, jwt string) string {
	t.Helper()
	i := strings.LastIndexByte(jwt, '.')
	raw, err := base64.RawURLEncoding.DecodeString(jwt[i+1:])
	if err != nil || len(raw) != 64 {
		t.Fatalf("ES256 signature: %d bytes, %v", len(raw), err)
	}
	n := elliptic.P256().Params().N
	s := new(big.Int).SetBytes(raw[32:])
	new(big.Int).Sub(n, s).FillBytes(raw[32:])
	return jwt[:i+1] + base64.RawURLEncoding.EncodeToString(raw)
}

func TestAnES256TokenWithItsTwinSignatureIsTheSameLoginAndTheSameIDToken(t *testing.T) {
	f := newFixture(t, oidcissuer.ES256)
	for i := range 8 { // both a low and a high s among them, almost surely
		jwt := f.mint(t, f.iss.Mint, oidcissuer.GitHub("acme", "app", "refs/heads/main"))
		twin := twinSignature(t, jwt)
		if twin == jwt {
			t.Fatal("the twin is the token itself")
		}
		if _, err := f.verify(t, twin); err != nil {
			t.Fatalf("token %d: the twin does not verify (%v), so the test proves nothing", i, err)
		}
		if federation.LoginHash("acme", jwt) != federation.LoginHash("acme", twin) {
			t.Errorf("token %d: the twin signature is another login", i)
		}
		if federation.IDTokenHash(jwt) != federation.IDTokenHash(twin) {
			t.Errorf("token %d: the twin signature is another ID token", i)
		}
	}
}

func TestDistinctTokensStayDistinctLogins(t *testing.T) {
	for _, alg := range oidcissuer.Algorithms {
		t.Run(string(alg), func(t *testing.T) {
			f := newFixture(t, alg)
			a := f.mint(t, f.iss.Mint, oidcissuer.GitHub("acme", "app", "refs/heads/main"))
			b := f.mint(t, f.iss.Mint, oidcissuer.GitHub("acme", "app", "refs/heads/dev"))
			if federation.LoginHash("acme", a) == federation.LoginHash("acme", b) {
				t.Error("two tokens are one login")
			}
			if federation.LoginHash("acme", a) == federation.LoginHash("globex", a) {
				t.Error("one token under two orgs is one login")
			}
			if federation.IDTokenHash(a) == federation.IDTokenHash(b) {
				t.Error("two tokens are one ID token")
			}
		})
	}
}
