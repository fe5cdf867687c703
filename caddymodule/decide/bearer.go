package decide

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/oatgate/oatgate/caddymodule/access"
	"github.com/oatgate/oatgate/caddymodule/dockertoken"
	"github.com/oatgate/oatgate/caddymodule/registryerr"
	"github.com/oatgate/oatgate/caddymodule/registryreq"
	"github.com/oatgate/oatgate/caddymodule/verify"
)

// BearerError is what a 401's Bearer challenge says went wrong (RFC 6750
// §3.1). The zero value says nothing: the request carried no bearer token,
// and the client just needs one.
type BearerError uint8

// The bearer errors.
const (
	// BearerNone: no error in the challenge.
	BearerNone BearerError = iota
	// BearerInvalidToken: the bearer token is malformed, foreign, expired,
	// or its OAT is no longer active.
	BearerInvalidToken
	// BearerInsufficientScope: the token's OAT allows the access but the
	// token does not carry it; the client asks for a new one.
	BearerInsufficientScope
)

// String returns the error as the challenge's error parameter writes it.
func (b BearerError) String() string {
	switch b {
	case BearerInvalidToken:
		return dockertoken.ChallengeInvalidToken
	case BearerInsufficientScope:
		return dockertoken.ChallengeInsufficientScope
	}
	return ""
}

// BearerVerifier checks a Docker bearer token's signature, audience and
// time window and returns its claims; every error is a refusal. A cache by
// dockertoken.Digest in front of *dockertoken.Verifier is one.
type BearerVerifier interface {
	VerifyBearer(raw string, now time.Time) (*dockertoken.Claims, error)
}

// IDVerifier says who the OAT behind a bearer token is now, as Verifier
// does for a secret. *verify.Verifier is one.
type IDVerifier interface {
	VerifyID(ctx context.Context, org, tokenID string) (*verify.Identity, error)
}

// The refusals of a bearer token. None holds any part of the token.
var (
	errBearerMalformed = registryerr.New(registryerr.Unauthorized, "the bearer token is not valid here: ask the token endpoint for a new one (log in again)")
	errBearerExpired   = registryerr.New(registryerr.Unauthorized, "the bearer token has expired: ask the token endpoint for a new one")
	errBearerInactive  = registryerr.New(registryerr.Unauthorized, "the access token this bearer token was issued for is no longer active (revoked, deactivated or expired): log in again with an active token")
	errBearerOff       = registryerr.New(registryerr.Unauthorized, "bearer tokens are not accepted here: log in with the organization name as username and an access token as password")
)

// DecideBearer decides req, which arrived with the bearer token raw, at
// now. A bearer token is a short-lived copy of a decision about an OAT, so
// it allows a need only while the token's claims AND the OAT's current
// grants both allow it (anonymous access aside, which needs no token): a
// revoked, deactivated or expired OAT takes its bearer tokens with it. A
// need the OAT allows but the token does not carry is a 401
// insufficient_scope, so the client fetches a better token; a need the OAT
// does not allow is the 403 the Basic path answers.
func (p *Policy) DecideBearer(ctx context.Context, req *registryreq.Request, raw string, now time.Time) Decision {
	d := Decision{Event: eventOf(req)}
	if p.bearer == nil {
		d = d.deny(ReasonBadToken, errBearerOff)
		d.Bearer = BearerInvalidToken
		return d
	}
	claims, err := p.bearer.VerifyBearer(raw, now)
	switch {
	case errors.Is(err, dockertoken.ErrExpired):
		return d.invalidBearer(ReasonInactiveToken, errBearerExpired)
	case err != nil:
		return d.invalidBearer(ReasonBadToken, errBearerMalformed)
	}
	var grants allower
	if !claims.IsAnonymous() {
		id, err := p.ids.VerifyID(ctx, claims.Org, claims.TokenID())
		switch {
		case err != nil:
			return d.deny(ReasonUnavailable, errUnavailable)
		case id == nil:
			return d.invalidBearer(ReasonInactiveToken, errBearerInactive)
		}
		d.Identity = id
		grants = id.Grants
	}
	if req.Kind == registryreq.Catalog && grants != nil && !claims.Catalog() {
		return d.insufficient(ReasonScope, registryerr.New(insufficientScope, registryerr.Denied.Message+": the bearer token does not grant listing the catalog"))
	}
	if grants == nil {
		// An anonymous token allows what anonymous access allows, which
		// needs no token at all: it is decided as a request without one.
		// A refusal for scope is a 401 insufficient_scope that says to
		// log in: credentials are what the client lacks, and clients show
		// a 401's DENIED message (a HEAD's 403 only as "403 Forbidden").
		out := p.authorize(d, req, nil)
		if out.Reason == ReasonScope {
			out.Err = registryerr.New(insufficientScope, out.Err.Message()+" to anonymous clients"+loginHint)
			out.Bearer = BearerInsufficientScope
		}
		return out
	}
	both := bearerGrants{claims: claims, grants: grants}
	out := p.authorize(d, req, both)
	if out.Allowed() && out.Rewrite.DropMount && req.MountFrom != "" && grants.Allows(req.MountFrom, access.Pull) {
		// A mount whose source the OAT may pull but the token does not
		// carry: ask for a token with the source (the challenge names it)
		// rather than drop a mount the OAT is entitled to.
		return d.insufficient(ReasonScope, registryerr.New(insufficientScope, registryerr.Denied.Message+": the bearer token does not grant pull on "+req.MountFrom+", the source of the mount"))
	}
	if out.Reason != ReasonScope {
		return out
	}
	// Refused for scope: the first need refused is insufficient scope when
	// the OAT itself would allow it.
	for i, need := range req.Needs() {
		if p.allows(both, need) || (i > 0 && req.Mount && need.Repository == req.MountFrom && need.Action == access.Pull) {
			continue
		}
		if grants.Allows(need.Repository, need.Action) {
			out.Err = registryerr.New(insufficientScope, registryerr.Denied.Message+": the bearer token does not grant "+need.Action.String()+" on "+need.Repository)
			out.Bearer = BearerInsufficientScope
		}
		break
	}
	return out
}

// invalidBearer returns d refused with err and an invalid_token challenge.
func (d Decision) invalidBearer(reason Reason, err *registryerr.Error) Decision {
	d = d.deny(reason, err)
	d.Bearer = BearerInvalidToken
	return d
}

// insufficient returns d refused with err (a 401 in the body's words
// DENIED, which clients print) and an insufficient_scope challenge.
func (d Decision) insufficient(reason Reason, err *registryerr.Error) Decision {
	d = d.deny(reason, err)
	d.Bearer = BearerInsufficientScope
	return d
}

// allower is what authorize checks needs against: an OAT's compiled grants,
// or what a bearer token and its OAT allow together.
type allower interface {
	Allows(repository string, action access.Action) bool
}

// bearerGrants allows what a bearer token's claims and its OAT's current
// grants both allow.
type bearerGrants struct {
	claims *dockertoken.Claims
	grants allower
}

func (b bearerGrants) Allows(repository string, action access.Action) bool {
	return b.grants.Allows(repository, action) && b.claims.Allows(repository, action)
}

// insufficientScope is DENIED served with 401: a token that lacks what its
// OAT allows. Clients print the DENIED message and, seeing the challenge's
// insufficient_scope, ask for a token with the scope once before giving up.
var insufficientScope = registryerr.Code{Value: registryerr.Denied.Value, Status: http.StatusUnauthorized, Message: registryerr.Denied.Message}

// ChallengeScope is the scope a Bearer challenge for req asks for: each
// repository and action it needs (a push asks "pull,push", as distribution
// does), the source of a mount with pull, and the catalog for the catalog.
// /v2/ needs none.
func ChallengeScope(req *registryreq.Request) []dockertoken.Access {
	if req.Kind == registryreq.Catalog {
		return []dockertoken.Access{{Type: dockertoken.TypeRegistry, Name: dockertoken.NameCatalog, Actions: []string{dockertoken.ActionAll}}}
	}
	var out []dockertoken.Access
	for _, need := range req.Needs() {
		a := dockertoken.NeedScope(need.Repository, need.Action)
		dup := false
		for _, o := range out {
			if o.Name == a.Name && len(o.Actions) >= len(a.Actions) {
				dup = true
			}
		}
		if !dup {
			out = append(out, a)
		}
	}
	return out
}

// Interface guards
var (
	_ dockertoken.Authenticator = (*Policy)(nil)
	_ BearerVerifier            = (*dockertoken.Cache)(nil)
	_ IDVerifier                = (*verify.Verifier)(nil)
)
