package dockertoken

import (
	"context"
	"errors"
	"net/http"
	"time"
)

// Identity is who a token request's credentials belong to and what they may
// do: what Endpoint mints a token for.
type Identity struct {
	// Subject is the OAT behind the credentials, with its expiry.
	Subject Subject
	// Allows is what the OAT's scopes allow.
	Allows Allows
	// Catalog is whether the identity may list the catalog (filtered by
	// its own pull access when it does).
	Catalog bool
}

// Authenticator checks the credentials of a token request, as the gateway
// checks Basic credentials on a registry request. Denied is not failed: it
// returns a refusal (BadCredentials, saying why) when the credentials do not
// check out, and an error only when they could not be checked (the token
// store is unreachable and nothing usable is cached).
type Authenticator interface {
	Authenticate(ctx context.Context, username, secret string, now time.Time) (Identity, *Error, error)
}

// Endpoint is the token endpoint without Caddy: it reads a request, checks
// its credentials, grants the requested access the identity allows, and
// answers with a signed token or an OAuth2 error.
type Endpoint struct {
	// Signer mints the tokens.
	Signer *Signer
	// Service is the gateway's service name: the tokens' audience.
	Service string
	// Realm is the Basic realm named in 401 answers.
	Realm string
	// Auth checks credentials.
	Auth Authenticator
	// Anonymous is what a request without credentials may do: the
	// gateway's anonymous_pull patterns. Nil allows nothing; an anonymous
	// request still gets a token, without access, as Docker Hub answers,
	// so that the registry request's refusal is the readable one.
	Anonymous Allows
	// AnonymousCatalog is whether an anonymous token may list the catalog.
	AnonymousCatalog bool
}

// Outcome is what a token request came to, for the usage event and
// metrics. It holds no secret.
type Outcome struct {
	// Request is the parsed request (its String hides the secret).
	Request TokenRequest
	// Identity is set when the credentials checked out (or the request was
	// anonymous).
	Identity Identity
	// Granted is the access the minted token carries.
	Granted []Access
	// Refusal is set when the request was refused (4xx, or 503 for Err).
	Refusal *Error
	// Err is why the request could not be served: the Authenticator's
	// error, or a minting failure. Log it; the client got Refusal.
	Err error
}

// Serve answers one token request at now and returns what happened.
func (e *Endpoint) Serve(w http.ResponseWriter, r *http.Request, now time.Time) Outcome {
	out := e.decide(r, now)
	if out.Refusal != nil {
		WriteError(w, out.Refusal, e.Realm)
		return out
	}
	m, err := e.Signer.Mint(out.Identity.Subject, e.Service, out.Granted, now)
	if err != nil {
		out.Err, out.Refusal = err, serverError()
		if errors.Is(err, ErrOATExpired) {
			out.Err, out.Refusal = nil, BadCredentials("the access token has expired: create a new one")
		}
		WriteError(w, out.Refusal, e.Realm)
		return out
	}
	WriteToken(w, m)
	return out
}

// decide reads the request and checks its credentials; it refuses or says
// what to grant.
func (e *Endpoint) decide(r *http.Request, now time.Time) Outcome {
	req, refusal := ParseRequest(r)
	out := Outcome{Request: req}
	if refusal == nil {
		refusal = req.CheckService(e.Service)
	}
	if refusal != nil {
		out.Refusal = refusal
		return out
	}
	switch req.Grant {
	case GrantAnonymous:
		out.Identity = Identity{Allows: e.Anonymous, Catalog: e.AnonymousCatalog}
	case GrantBasic, GrantPassword:
		id, refusal, err := e.Auth.Authenticate(r.Context(), req.Username, req.Secret(), now)
		switch {
		case err != nil:
			out.Err, out.Refusal = err, Unavailable()
			return out
		case refusal != nil:
			out.Refusal = refusal
			return out
		case id.Subject.TokenID == "" || id.Subject.Org == "":
			// Credentials that checked out name an OAT; never mint an
			// anonymous token for them.
			out.Err, out.Refusal = errors.New("authenticator accepted credentials without naming their token"), serverError()
			return out
		}
		out.Identity = id
	default:
		// Refresh tokens: none are issued (CLIENTS.md), so none is valid.
		out.Refusal = &Error{
			Code:        CodeInvalidGrant,
			Description: "this registry issues no refresh tokens: log in again with the organization name and an access token",
			Status:      http.StatusBadRequest,
		}
		return out
	}
	out.Granted = Grant(req.Scopes, out.Identity.Allows, out.Identity.Catalog)
	return out
}

func serverError() *Error {
	return &Error{Code: CodeServerError, Description: "the token could not be issued; try again, or tell the registry's operator", Status: http.StatusInternalServerError}
}
