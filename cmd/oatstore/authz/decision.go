package authz

import "net/http"

// Outcome is what a decision says. The zero value is not Allow, so a
// decision never filled in refuses.
type Outcome uint8

// The outcomes.
const (
	// Allow lets the request proceed; the handler answers with its own
	// status (200, 201, 204).
	Allow Outcome = iota + 1
	// Forbidden refuses a caller who is known but may not do this: 403.
	Forbidden
	// Unauthenticated refuses a caller who is not known, or whose token no
	// longer works: 401.
	Unauthenticated
)

// String returns the outcome as logs write it.
func (o Outcome) String() string {
	switch o {
	case Allow:
		return "allow"
	case Forbidden:
		return "forbidden"
	case Unauthenticated:
		return "unauthenticated"
	}
	return "invalid"
}

// Status returns the HTTP status of a refusal: 403 or 401. Allow, whose
// status is the handler's own, and invalid outcomes return 403, so that a
// caller that forgets to check Allowed still refuses.
func (o Outcome) Status() int {
	if o == Unauthenticated {
		return http.StatusUnauthorized
	}
	return http.StatusForbidden
}

// Decision is the answer to "may this principal do this?". It is a value,
// never an error: an error means the question could not be answered (the
// store is down), a refusal is an answer.
type Decision struct {
	Outcome Outcome
	// Reason says why a request was refused, in words fit for the client
	// that asked: it names scopes, token ids and orgs, never a secret.
	Reason string
}

// Allowed reports whether the decision lets the request proceed.
func (d Decision) Allowed() bool { return d.Outcome == Allow }

var allow = Decision{Outcome: Allow}

func forbid(reason string) Decision {
	return Decision{Outcome: Forbidden, Reason: reason}
}

func unauthenticated(reason string) Decision {
	return Decision{Outcome: Unauthenticated, Reason: reason}
}
