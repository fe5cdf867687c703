package decide

import (
	"errors"

	"github.com/oatgate/oatgate/caddymodule/registryerr"
)

// loginHint ends every 401 that may come from logging in wrongly.
const loginHint = ": log in with the organization name as username and an access token as password"

// The refusals the policy answers with. Their messages are what a user
// reads; they never hold the token or any internal error's text.
var (
	errNoCredentials  = registryerr.New(registryerr.Unauthorized, "authentication required"+loginHint)
	errBadCredentials = registryerr.New(registryerr.Unauthorized, "invalid credentials"+loginHint)
	errUnavailable    = registryerr.New(registryerr.Unavailable, "")
	// Not the code's default message: Docker's client reduces that to a
	// bare code, which dockerd retries for 50 s and shows as just "denied".
	errDenied = registryerr.New(registryerr.Denied, registryerr.Denied.Message+": the token does not grant this action on this repository")
	// errInvalid answers a refusal to classify that carried no registry
	// error of its own.
	errInvalid = registryerr.New(registryerr.UnsupportedRequest, "")
)

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
