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
	// OrgParam is the org of the token named by TokenIDParam.
	OrgParam = "org"
)
