package dockertoken

import (
	"crypto"
	"testing"
	"time"

	"github.com/distribution/distribution/v3/registry/auth/token"
	"github.com/go-jose/go-jose/v4"
)

// TestDistributionAcceptsOurTokens checks our tokens against the reference
// implementation of the token spec: distribution's own verifier, given our
// key by its id, accepts them and reads the same access claim. A registry
// behind the gateway could therefore check them too.
func TestDistributionAcceptsOurTokens(t *testing.T) {
	k := mustKey(t, storeKey)
	granted := []Access{
		repo("acme/app", "pull", "push"),
		{Type: TypeRepository, Class: "plugin", Name: "acme/plug", Actions: []string{"pull"}},
		catalogAccess,
	}
	m := mint(t, mustSigner(t, k, 0), oat, granted, time.Now())
	tok, err := token.NewToken(m.Raw, []jose.SignatureAlgorithm{jose.HS256})
	if err != nil {
		t.Fatalf("distribution cannot parse our token: %v", err)
	}
	claims, err := tok.Verify(token.VerifyOptions{
		TrustedIssuers:    []string{issuer},
		AcceptedAudiences: []string{service},
		TrustedKeys:       map[string]crypto.PublicKey{k.ID(): k.secret},
	})
	if err != nil {
		t.Fatalf("distribution refuses our token: %v", err)
	}
	if claims.Subject != oat.TokenID {
		t.Errorf("distribution reads sub %q; want %q", claims.Subject, oat.TokenID)
	}
	if len(claims.Access) != len(granted) {
		t.Fatalf("distribution reads %d access entries; want %d", len(claims.Access), len(granted))
	}
	for i, ra := range claims.Access {
		got := Access{Type: ra.Type, Class: ra.Class, Name: ra.Name, Actions: ra.Actions}
		if got.Scope() != granted[i].Scope() {
			t.Errorf("distribution reads access %d as %q; want %q", i, got.Scope(), granted[i].Scope())
		}
	}
}

// TestDistributionRefusesWhatWeRefuse checks that a token for another
// service or signed with another key fails distribution's verifier as it
// fails ours.
func TestDistributionRefusesWhatWeRefuse(t *testing.T) {
	k := mustKey(t, storeKey)
	other := mustKey(t, "another-deployment-store-key")
	m := mint(t, mustSigner(t, other, 0), oat, nil, time.Now())
	tok, err := token.NewToken(m.Raw, []jose.SignatureAlgorithm{jose.HS256})
	if err != nil {
		t.Fatalf("NewToken: %v", err)
	}
	_, err = tok.Verify(token.VerifyOptions{
		TrustedIssuers:    []string{issuer},
		AcceptedAudiences: []string{service},
		TrustedKeys:       map[string]crypto.PublicKey{k.ID(): k.secret},
	})
	if err == nil {
		t.Fatal("distribution accepts a token signed with a key it does not trust")
	}
}
