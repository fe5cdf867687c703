package decide

import (
	"context"
	"net/http"
	"time"

	"github.com/oatgate/oatgate/caddymodule/access"
	"github.com/oatgate/oatgate/caddymodule/dockertoken"
	"github.com/oatgate/oatgate/caddymodule/verify"
)

// Authenticate checks the credentials of a token request as Decide checks
// Basic credentials on a registry request — format, the store's answer,
// the org as username; an access token or a CI job's ID token — and says
// what the token may do: its grants, plus anonymous access. It is the token
// endpoint's dockertoken.Authenticator. A bearer token minted from an ID
// token names the federated token the store issued for it, and so dies
// with it (revoked, its policy deleted, expired).
func (p *Policy) Authenticate(ctx context.Context, username, secret string, _ time.Time) (dockertoken.Identity, *dockertoken.Error, error) {
	id, _, reason, refused, err := p.verifyPassword(ctx, username, secret, clientOf(ctx))
	switch {
	case reason == ReasonUnavailable:
		return dockertoken.Identity{}, nil, err
	case reason == ReasonTooManyUnknown:
		return dockertoken.Identity{}, tokenTooManyUnknown, nil
	case reason == ReasonFederatedLimit:
		return dockertoken.Identity{}, tokenFederatedLimit, nil
	case reason != ReasonNone:
		return dockertoken.Identity{}, dockertoken.BadCredentials(refused.Message()), nil
	}
	return dockertoken.Identity{
		Subject: dockertoken.Subject{TokenID: id.TokenID, Org: id.Org, Expires: id.Expires()},
		Allows: func(repository string, action access.Action) bool {
			return p.allows(id.Grants, access.Access{Repository: repository, Action: action})
		},
		Catalog: true,
	}, nil, nil
}

// The token endpoint's 429s, shared values so that TokenRefusalReason
// tells them apart. Read only.
var (
	tokenTooManyUnknown = dockertoken.TooManyRequests(errTooManyUnknown.Message())
	tokenFederatedLimit = dockertoken.TooManyRequests(errFederatedLimit.Message())
)

// TokenRefusalReason is the usage event's reason for a refused token
// request.
func TokenRefusalReason(e *dockertoken.Error) Reason {
	switch {
	case e == nil:
		return ReasonNone
	case e == tokenTooManyUnknown:
		return ReasonTooManyUnknown
	case e == tokenFederatedLimit:
		return ReasonFederatedLimit
	case e.Status == http.StatusServiceUnavailable:
		return ReasonUnavailable
	case e.Code == dockertoken.CodeInvalidClient:
		return ReasonBadCredentials
	}
	return ReasonInvalidRequest
}

// clientKey carries the address a token request came from in its context.
type clientKey struct{}

// WithClient is ctx carrying the address client a token request came from,
// so that Authenticate bounds the unknown tokens and ID tokens one address
// makes the store look up, as Decide does on registry requests.
func WithClient(ctx context.Context, client string) context.Context {
	return context.WithValue(ctx, clientKey{}, client)
}

// clientOf is the address WithClient put in ctx, "" when none (no bound).
func clientOf(ctx context.Context) string {
	client, _ := ctx.Value(clientKey{}).(string)
	return client
}

// AnonymousAllows reports whether anyone may do action on repository
// without credentials: what an anonymous bearer token may be granted.
func (p *Policy) AnonymousAllows(repository string, action access.Action) bool {
	return p.anonymous.Allows(repository, action)
}

// Identify returns who the OAT with tokenID in org is now, for the token
// endpoint's usage event; nil when that cannot be said.
func (p *Policy) Identify(ctx context.Context, org, tokenID string) *verify.Identity {
	if p.ids == nil {
		return nil
	}
	id, _ := p.ids.VerifyID(ctx, org, tokenID)
	return id
}
