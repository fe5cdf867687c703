package decide

import (
	"context"
	"crypto/subtle"
	"time"

	"github.com/oatgate/oatgate/caddymodule/access"
	"github.com/oatgate/oatgate/caddymodule/dockertoken"
	"github.com/oatgate/oatgate/caddymodule/oat"
	"github.com/oatgate/oatgate/caddymodule/verify"
)

// Authenticate checks the credentials of a token request as Decide checks
// Basic credentials on a registry request — format, the store's answer,
// the org as username — and says what the OAT may do: its grants, plus
// anonymous access. It is the token endpoint's dockertoken.Authenticator.
func (p *Policy) Authenticate(ctx context.Context, username, secret string, _ time.Time) (dockertoken.Identity, *dockertoken.Error, error) {
	id, reason, refusal, err := p.authenticate(ctx, username, secret)
	switch {
	case err != nil:
		return dockertoken.Identity{}, nil, err
	case reason == ReasonInactiveToken:
		return dockertoken.Identity{}, dockertoken.BadCredentials(inactiveError(refusal).Message()), nil
	case reason != ReasonNone:
		return dockertoken.Identity{}, dockertoken.BadCredentials(unauthorized[reason].Message()), nil
	}
	return dockertoken.Identity{
		Subject: dockertoken.Subject{TokenID: id.TokenID, Org: id.Org, Expires: id.Expires()},
		Allows: func(repository string, action access.Action) bool {
			return p.allows(id.Grants, access.Access{Repository: repository, Action: action})
		},
		Catalog: true,
	}, nil, nil
}

// authenticate verifies an org name and token: the identity, or the reason
// it is refused (with the store's refusal for an inactive token), or an
// error when the store cannot be asked.
func (p *Policy) authenticate(ctx context.Context, username, secret string) (*verify.Identity, Reason, *verify.Refusal, error) {
	if oat.Check(secret) != nil {
		return nil, ReasonBadToken, nil, nil
	}
	id, refusal, err := p.verifier.VerifyFrom(ctx, secret, "")
	switch {
	case err != nil:
		return nil, ReasonUnavailable, nil, err
	case id == nil:
		return nil, ReasonInactiveToken, refusal, nil
	case subtle.ConstantTimeCompare([]byte(id.Org), []byte(username)) != 1:
		return id, ReasonWrongOrg, nil, nil
	}
	return id, ReasonNone, nil, nil
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
