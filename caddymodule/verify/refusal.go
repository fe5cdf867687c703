package verify

import "github.com/oatgate/oatgate/caddymodule/storeapi"

// Refusal is why VerifyFrom refused a token: the reason, and for a token the
// store knows, which token it is. It is kept apart from Identity so that a
// million cached identities stay 64 bytes each. VerifyFrom returns refusals
// shared with its cache: callers must not modify them.
type Refusal struct {
	// Reason is unknown, revoked, deactivated or expired.
	Reason storeapi.Reason
	// TokenID, Label and Org name a token the store knows; empty for an
	// unknown token.
	TokenID string
	Label   string
	Org     string
}

// Known reports whether the refused token exists on the store (revoked,
// deactivated or expired), so that its id can be logged and counted.
func (r *Refusal) Known() bool { return r.TokenID != "" }

// unknownRefusal is every refusal of a token the store does not know: one
// shared value, so that a flood of made-up tokens allocates nothing for it.
var unknownRefusal = &Refusal{Reason: storeapi.ReasonUnknown}

// expiredRefusal is the refusal of id once its expiry has passed.
func expiredRefusal(id *Identity) *Refusal {
	return &Refusal{Reason: storeapi.ReasonExpired, TokenID: id.TokenID, Label: id.Label, Org: id.Org}
}
