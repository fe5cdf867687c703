package dockertoken_test

import (
	"fmt"
	"time"

	"github.com/oatgate/oatgate/caddymodule/access"
	"github.com/oatgate/oatgate/caddymodule/dockertoken"
	"github.com/oatgate/oatgate/caddymodule/scope"
)

// The whole flow: a challenge, the scopes a client asks for, the grant, a
// token minted by one replica and checked by another.
func Example() {
	challenge := dockertoken.Challenge{
		Realm:   "https://registry.example/token",
		Service: "registry.example",
		Scope:   []dockertoken.Access{dockertoken.NeedScope("acme/app", access.Push)},
	}
	fmt.Println(challenge)

	requested, _ := dockertoken.ParseScopes([]string{"repository:acme/app:push,pull", "repository:acme/base:pull"})
	scopes, _ := scope.ParseList("repository:acme/app:pull")
	granted := dockertoken.Grant(requested, scope.Compile("acme", scopes).Allows, false)
	for _, g := range granted {
		fmt.Println("granted", g.Scope())
	}

	// Both replicas derive the key from the store key they share.
	keyA, _ := dockertoken.DeriveKey("the-gateway-store-key-of-this-deployment")
	keyB, _ := dockertoken.DeriveKey("the-gateway-store-key-of-this-deployment")
	signer, _ := dockertoken.NewSigner(keyA, "oatgate", 0)
	verifier, _ := dockertoken.NewVerifier("oatgate", "registry.example", keyB)

	now := time.Now()
	minted, _ := signer.Mint(dockertoken.Subject{TokenID: "tok_1", Org: "acme"}, "registry.example", granted, now)
	claims, err := verifier.Verify(minted.Raw, now)
	fmt.Println("verified:", err == nil, "oat:", claims.TokenID(), "expires_in:", minted.ExpiresIn)
	fmt.Println("may pull acme/app:", claims.Allows("acme/app", access.Pull), "may push:", claims.Allows("acme/app", access.Push))
	// Output:
	// Bearer realm="https://registry.example/token",service="registry.example",scope="repository:acme/app:pull,push"
	// granted repository:acme/app:pull
	// verified: true oat: tok_1 expires_in: 300
	// may pull acme/app: true may push: false
}
