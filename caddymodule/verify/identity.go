package verify

import (
	"time"

	"github.com/oatgate/oatgate/caddymodule/scope"
)

// NewIdentity builds an identity as an introspection would, for fakes of
// the verifier in other packages' tests; expires zero means never.
func NewIdentity(tokenID, label, org string, grants *scope.Grants, expires time.Time) *Identity {
	id := &Identity{TokenID: tokenID, Label: label, Org: org, Grants: grants, expires: neverExpires}
	if !expires.IsZero() {
		id.expires = expires.Unix()
	}
	return id
}
