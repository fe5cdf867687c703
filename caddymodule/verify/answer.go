package verify

import (
	"fmt"
	"math"
	"time"

	"github.com/oatgate/oatgate/caddymodule/scope"
	"github.com/oatgate/oatgate/caddymodule/storeapi"
)

// ErrMalformedAnswer is wrapped by every error for a store answer that
// cannot be trusted: not JSON, no "active", active without token_id/org, an
// unreadable scope, a feed page without a cursor. It is the wire format's
// storeapi.ErrMalformed.
var ErrMalformedAnswer = storeapi.ErrMalformed

// Identity is who an active token is, as the store described it. Verify
// returns identities shared with its cache: callers must not modify them.
// A million cached tokens hold a million identities, so it is kept to 80
// bytes: the expiry in seconds (the precision of the store's "exp"), and not
// the raw scope string, which the compiled Grants replace.
type Identity struct {
	// TokenID is the store's id of the token; usage events name it.
	TokenID string
	// Label is the token's human label.
	Label string
	// Org is the organization the token belongs to.
	Org string
	// Policy names the trust policy a federated token (one the store
	// issued for a CI job's ID token) was issued under; empty for an
	// ordinary access token. Usage events name it.
	Policy string
	// Grants are the token's scopes compiled for matching.
	Grants *scope.Grants
	// expires is when the token stops working, in Unix seconds;
	// neverExpires when it has no expiry.
	expires int64
}

// neverExpires is the expires of a token without an expiry.
const neverExpires = math.MaxInt64

// Expires is when the token stops working; the zero time means never.
func (id *Identity) Expires() time.Time {
	if id.expires == neverExpires {
		return time.Time{}
	}
	return time.Unix(id.expires, 0)
}

// expiredAt reports whether the identity no longer works at now.
func (id *Identity) expiredAt(now time.Time) bool {
	return now.Unix() >= id.expires
}

// parseAnswer reads an introspection answer body, compiling scopes through
// pool (which may be nil). It returns an identity for an active token, a
// refusal for an inactive one, and an error for anything it cannot trust; it
// never returns an identity without a token id and an org.
func parseAnswer(body []byte, pool *grantsPool) (*Identity, *Refusal, error) {
	a, err := storeapi.ParseIntrospection(body)
	if err != nil {
		return nil, nil, err
	}
	if !a.Active {
		if a.TokenID == "" {
			return nil, unknownRefusal, nil
		}
		return nil, &Refusal{Reason: a.Reason, TokenID: a.TokenID, Label: a.Label, Org: a.Org}, nil
	}
	id := &Identity{TokenID: a.TokenID, Label: a.Label, Org: a.Org, expires: neverExpires}
	if a.Kind == storeapi.KindFederated {
		id.Policy = a.Policy
	}
	if a.Exp != nil {
		id.expires = *a.Exp
	}
	// One unreadable scope fails the answer: granting the rest would be a
	// guess, and a 503 with a logged cause is easier to find than a 403.
	// Org scopes (org:tokens:write, ...) open oatstore's management API,
	// never the registry: they are dropped here.
	scopes, _, err := scope.SplitList(a.Scope)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: scope: %w", ErrMalformedAnswer, err)
	}
	id.Grants = pool.compile(a.Org, a.Scope, scopes)
	return id, nil, nil
}
