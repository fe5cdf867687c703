package storeapi

// Introspection by token id: the gateway's Docker bearer tokens name the OAT
// they were minted from (its id and org), never its secret, so a replica
// that never saw the OAT asks about it by id. The form body is
// token_id=<id>&org=<org> instead of token=<oat>, on IntrospectPath with the
// gateway key, and the answer is the same Introspection. Only gateways can
// ask: an id is not a credential, and the endpoint takes the gateway key.
const (
	// TokenIDParam is the introspection form field that names a token by
	// its id; OrgParam must name its org alongside.
	TokenIDParam = "token_id"
	// OrgParam is the org of the token named by TokenIDParam. Beside
	// TokenParam holding a CI job's OIDC ID token (a JWT), it names the org
	// whose trust policies the JWT is checked against (the username the
	// client logged in with): the store verifies the JWT, matches a policy
	// of that org, and answers for the federated token it issued for this
	// JWT, the same token id on every replica and every retry, for the
	// policy's lifetime. An issuer the store cannot reach and has no keys
	// of is a 503, never an answer.
	OrgParam = "org"
)
