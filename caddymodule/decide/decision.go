package decide

import (
	"github.com/oatgate/oatgate/caddymodule/registryerr"
	"github.com/oatgate/oatgate/caddymodule/verify"
)

// Decision is everything the gateway does about one request, decided in one
// place: whether it goes on, what the client is told if not, who the token
// is, and how the request must be rewritten before the registry sees it.
// The zero value refuses.
type Decision struct {
	// Outcome is Allow, Deny, or Challenge (a 401 that is no denial).
	Outcome Outcome
	// Event is what the request is.
	Event Event
	// Reason is why it was refused; ReasonNone when allowed.
	Reason Reason
	// Bearer is what a Bearer challenge says went wrong (bearer.go).
	Bearer BearerError
	// Err is the registry error answered when the request is not allowed;
	// nil when it is.
	Err *registryerr.Error
	// Identity is the verified token, also on a refusal for scope or for
	// the wrong username; nil when no token was verified (anonymous pulls,
	// refusals before verification).
	Identity *verify.Identity
	// Refusal is why the token store refused the token, and which token it
	// is when the store knows it (revoked, deactivated, expired), on a
	// ReasonInactiveToken refusal; nil otherwise. Shared with the
	// verifier's cache: read only.
	Refusal *verify.Refusal
	// Rewrite is what must change in the request before it is forwarded.
	Rewrite Rewrite
	// PageSize is the page the client gets on the catalog and tags lists:
	// its n within the gateway's maximum, the maximum when it sent none, 0
	// (an empty page) for n=0.
	PageSize int
}

// Allowed reports whether the request goes on to the registry.
func (d *Decision) Allowed() bool { return d.Outcome == Allow }

// Rewrite is how an allowed request must change before the registry sees
// it. The zero value changes nothing.
type Rewrite struct {
	// DropMount removes mount and from from the query: a cross-repository
	// mount whose source the token may not pull becomes a plain upload, as
	// the OCI spec allows, instead of a refusal that Docker and containerd
	// fail a push on.
	DropMount bool
	// SetPageSize replaces ?n= with Decision.PageSize, so that the registry
	// never answers a larger page than the gateway allows.
	SetPageSize bool
}

// unauthorized returns d refused for reason with its 401.
func (d Decision) unauthorized(reason Reason) Decision {
	return d.deny(reason, unauthorized[reason])
}

// deny returns d refused for reason with e.
func (d Decision) deny(reason Reason, e *registryerr.Error) Decision {
	d.Outcome, d.Reason, d.Err = Deny, reason, e
	return d
}
