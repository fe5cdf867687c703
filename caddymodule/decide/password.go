package decide

import (
	"context"
	"crypto/subtle"
	"errors"

	"github.com/oatgate/oatgate/caddymodule/idtoken"
	"github.com/oatgate/oatgate/caddymodule/oat"
	"github.com/oatgate/oatgate/caddymodule/registryerr"
	"github.com/oatgate/oatgate/caddymodule/storeapi"
	"github.com/oatgate/oatgate/caddymodule/verify"
)

// IDTokenVerifier says who a CI job is that presents its OIDC ID token as
// the password, with org as the username (federation): the federated token
// the store issued for it under one of org's trust policies, with
// Verifier's outcomes, and an error wrapping verify.ErrMalformedIDToken
// (and idtoken's reason) for a token that is not a signed JWT, which the
// store is never asked about. *verify.Verifier is one.
type IDTokenVerifier interface {
	VerifyIDToken(ctx context.Context, org, jwt, client string) (*verify.Identity, *verify.Refusal, error)
}

// credential is what kind of secret a Basic password is.
type credential uint8

const (
	// accessToken: an OAT, oat_...
	accessToken credential = iota
	// idToken: a CI job's OIDC ID token (a JWT), exchanged by the store
	// under the org's trust policies.
	idToken
)

// verifyPassword is the one check of Basic credentials, on registry
// requests and at the token endpoint alike: the password's format (an
// access token's here, an ID token's by the verifier when it is not
// cached), then who the store says it is, then the org against the
// username. It
// returns the identity of a verified token (also when the username is the
// wrong org), the store's refusal of an inactive one, and, when the
// credentials do not pass, the reason and the registry error to answer; err
// is the verifier's when the store could not be asked.
func (p *Policy) verifyPassword(ctx context.Context, username, password, client string) (id *verify.Identity, refusal *verify.Refusal, reason Reason, refused *registryerr.Error, err error) {
	kind, refused := p.credentialOf(password)
	if refused != nil {
		return nil, nil, ReasonBadToken, refused, nil
	}
	if kind == idToken {
		id, refusal, err = p.idTokens.VerifyIDToken(ctx, username, password, client)
	} else {
		id, refusal, err = p.verifier.VerifyFrom(ctx, password, client)
	}
	switch {
	case errors.Is(err, verify.ErrMalformedIDToken):
		return nil, nil, ReasonBadToken, malformedIDToken(err), nil
	case errors.Is(err, verify.ErrTooManyUnknown):
		return nil, nil, ReasonTooManyUnknown, errTooManyUnknown, err
	case errors.Is(err, verify.ErrFederatedLimit):
		return nil, nil, ReasonFederatedLimit, errFederatedLimit, err
	case err != nil:
		return nil, nil, ReasonUnavailable, errUnavailable, err
	case id == nil:
		return nil, refusal, ReasonInactiveToken, kind.inactiveError(refusal), nil
	case subtle.ConstantTimeCompare([]byte(id.Org), []byte(username)) != 1:
		// The store answers an ID token for the org it was asked about,
		// so this is an access token of another org, or a store that
		// answered for another org: refused either way.
		return id, nil, ReasonWrongOrg, unauthorized[ReasonWrongOrg], nil
	}
	return id, nil, ReasonNone, nil, nil
}

// credentialOf tells an access token from an ID token by format alone, or
// says why password is neither. ID tokens are recognized only when the
// policy has an IDTokenVerifier, and only by their first bytes: the
// verifier checks their shape when they are not cached (a cached login
// skips it) and answers verify.ErrMalformedIDToken for one that fails.
func (p *Policy) credentialOf(password string) (credential, *registryerr.Error) {
	if oat.Check(password) == nil {
		return accessToken, nil
	}
	if p.idTokens == nil || !idtoken.Looks(password) {
		return accessToken, unauthorized[ReasonBadToken]
	}
	return idToken, nil
}

// malformedIDToken is the 401 for an ID token the verifier found
// malformed, saying whether it was unsigned.
func malformedIDToken(err error) *registryerr.Error {
	if errors.Is(err, idtoken.ErrUnsigned) {
		return errUnsignedIDToken
	}
	return errMalformedIDToken
}

// The refusals of an ID token's format. Neither holds any part of it.
var (
	// errFederatedLimit answers a job whose login would need a new
	// federated token of an org that has as many active ones as it
	// allows (max_federated_tokens).
	errFederatedLimit   = registryerr.New(registryerr.TooManyRequests, "the organization has as many active CI job tokens as it allows: try again when some expire, or ask the organization to raise max_federated_tokens")
	errUnsignedIDToken  = registryerr.New(registryerr.Unauthorized, "the password is an unsigned JWT (alg none), which no trust policy accepts: send the ID token your CI system issued, unchanged")
	errMalformedIDToken = registryerr.New(registryerr.Unauthorized, "the password looks like an ID token but is not a signed JWT of at most 8 KiB (three base64url segments): send the ID token your CI system issued, unchanged")
)

// idTokenInactive is the 401 for an ID token the store refused, by why. An
// unknown one is any the store would not exchange: it did not verify
// (issuer, signature, audience, expiry) or matched no trust policy of the
// org named as username; the store says no more, and neither does this.
var idTokenInactive = [...]*registryerr.Error{
	storeapi.ReasonUnknown:     registryerr.New(registryerr.Unauthorized, "ID token not accepted: it did not verify (issuer, signature, audience, expiry) or matches no trust policy of the organization given as username; check the username, the audience your CI job asked for, and the organization's federation policies"),
	storeapi.ReasonRevoked:     registryerr.New(registryerr.Unauthorized, "the token issued for this ID token was revoked, or its trust policy deleted: ask the organization"),
	storeapi.ReasonDeactivated: registryerr.New(registryerr.Unauthorized, "the token issued for this ID token is deactivated: it works again once the organization activates it"),
	storeapi.ReasonExpired:     registryerr.New(registryerr.Unauthorized, "the token issued for this ID token has expired: log in again with a fresh ID token from the CI job"),
}

// inactiveError is the 401 for a refused credential of kind c.
func (c credential) inactiveError(refusal *verify.Refusal) *registryerr.Error {
	if c != idToken {
		return inactiveError(refusal)
	}
	if refusal == nil || int(refusal.Reason) >= len(idTokenInactive) {
		return idTokenInactive[storeapi.ReasonUnknown]
	}
	return idTokenInactive[refusal.Reason]
}
