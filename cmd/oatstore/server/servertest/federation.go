package servertest

import (
	"net/http"
	"testing"

	"github.com/oatgate/oatgate/cmd/oatstore/store"
	"github.com/oatgate/oatgate/testenv/oidcissuer"
)

// Federation runs issue 14's store side over st: trust policies under
// the management API's authorization, the RFC 8693 exchange with every
// refusal the issue lists, gateway introspection of an ID token (one
// token per (org, JWT)), revocation by policy deletion, the active bound,
// key rotation and issuer outages, and the purge. It runs on every backend.
func Federation(t *testing.T, st store.Store) {
	e := start(t, st, federationConfig)
	f := &fed{e: e, iss: newFed(t, e, oidcissuer.ES256)}
	const alice = AliceKey
	e.must(t, http.StatusCreated, alice, "PUT", "/v1/orgs/acme", `{}`)
	e.must(t, http.StatusCreated, alice, "PUT", "/v1/orgs/globex", `{}`)
	main := map[string]string{"repository_owner": "acme", "sub": "repo:acme/app:ref:refs/heads/*"}
	e.putPolicy(t, http.StatusCreated, alice, "acme", "gha", policyBody(f.iss.URL(), main, "repository:acme/app:push,pull"))
	// globex trusts acme's release job, to mirror it.
	release := map[string]string{"repository_owner": "acme", "sub": "repo:acme/app:ref:refs/heads/release"}
	e.putPolicy(t, http.StatusCreated, alice, "globex", "acme-release", policyBody(f.iss.URL(), release, "repository:globex/mirror:pull"))

	t.Run("trust policies", func(t *testing.T) { policyManagement(t, f) })
	t.Run("the exchange", func(t *testing.T) { exchangeGrants(t, f) })
	t.Run("refusals", func(t *testing.T) { exchangeRefusals(t, f) })
	t.Run("gateway introspection", func(t *testing.T) { gatewayIntrospection(t, f) })
	t.Run("deleting a policy", func(t *testing.T) { policyDeletion(t, f) })
	t.Run("the active bound", func(t *testing.T) { activeBound(t, f) })
	t.Run("issuer outages", func(t *testing.T) { issuerOutages(t, f) })
	t.Run("key rotation", func(t *testing.T) { keyRotation(t, f) })
	t.Run("expiry and purge", func(t *testing.T) { expiryAndPurge(t, f) })
}
