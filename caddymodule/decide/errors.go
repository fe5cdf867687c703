package decide

import (
	"errors"

	"github.com/oatgate/oatgate/caddymodule/access"
	"github.com/oatgate/oatgate/caddymodule/registryerr"
	"github.com/oatgate/oatgate/caddymodule/storeapi"
	"github.com/oatgate/oatgate/caddymodule/verify"
)

// loginHint ends the 401s a user can fix by logging in differently.
const loginHint = ": log in with the organization name as username and an access token as password"

// unauthorized is the 401 of each reason that has one. A 401 says which
// check failed, so that a user with an expired token does not go checking
// the username: a new reason the verifier can tell (expired, deactivated,
// revoked) is one more line here. Messages never hold the token or any
// internal error's text.
var unauthorized = [NumReasons]*registryerr.Error{
	ReasonNoCredentials:  registryerr.New(registryerr.Unauthorized, "no credentials were sent"+loginHint),
	ReasonBadCredentials: registryerr.New(registryerr.Unauthorized, "malformed credentials: send HTTP Basic credentials, the organization name as username and an access token as password"),
	ReasonBadToken:       registryerr.New(registryerr.Unauthorized, "the password is not an access token (oat_...)"+loginHint),
	ReasonInactiveToken:  registryerr.New(registryerr.Unauthorized, "unknown or inactive token: it does not exist, or has expired, been deactivated or been revoked; ask the organization for a new one"),
	ReasonWrongOrg:       registryerr.New(registryerr.Unauthorized, "the username is not the token's organization: log in with the organization name as username"),
}

// inactive is the 401 for a token the store refused, by why: the user learns
// whether to ask for a new token or to have this one activated again, and
// stops checking the username.
var inactive = [...]*registryerr.Error{
	storeapi.ReasonUnknown:     registryerr.New(registryerr.Unauthorized, "unknown token: the token store has no such token (mistyped or deleted); ask the organization for a new one"),
	storeapi.ReasonRevoked:     registryerr.New(registryerr.Unauthorized, "revoked token: it will not work again; ask the organization for a new one"),
	storeapi.ReasonDeactivated: registryerr.New(registryerr.Unauthorized, "deactivated token: it works again once the organization activates it"),
	storeapi.ReasonExpired:     registryerr.New(registryerr.Unauthorized, "expired token: ask the organization for a new one"),
}

// inactiveError is the 401 for refusal: its reason's, or the general one
// when the store knows the token but did not say why (a store other than
// oatstore), or the refusal is missing.
func inactiveError(refusal *verify.Refusal) *registryerr.Error {
	switch {
	case refusal == nil, refusal.Known() && refusal.Reason == storeapi.ReasonUnknown, int(refusal.Reason) >= len(inactive):
		return unauthorized[ReasonInactiveToken]
	}
	return inactive[refusal.Reason]
}

var (
	errUnavailable = registryerr.New(registryerr.Unavailable, "")
	// errTooManyUnknown answers a client address that has presented too
	// many tokens the store does not know; the store was not asked.
	errTooManyUnknown = registryerr.New(registryerr.TooManyRequests, "too many unknown tokens from this address: check the token, then try again in a minute")
	// errInvalid answers a refusal to classify that carried no registry
	// error of its own.
	errInvalid = registryerr.New(registryerr.UnsupportedRequest, "")
)

// denied is the 403 for a need the token does not grant. It starts with the
// code's default message: Docker's client reduces an error whose message is
// exactly that to a bare code, which dockerd retries for 50 s and shows as
// just "denied", so the action and repository follow it.
func denied(need access.Access) *registryerr.Error {
	return registryerr.New(registryerr.Denied, registryerr.Denied.Message+": the token does not grant "+need.Action.String()+" on "+need.Repository)
}

// Invalid is the decision for a request that is no registry request the
// gateway will interpret: err is the classifier's refusal, answered as is
// when it is a *registryerr.Error.
func Invalid(err error) Decision {
	re, ok := errors.AsType[*registryerr.Error](err)
	if !ok {
		re = errInvalid
	}
	return Decision{Event: EventInvalid}.deny(ReasonInvalidRequest, re)
}
