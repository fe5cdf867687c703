package decide

import "github.com/oatgate/oatgate/caddymodule/usage"

// Outcome is whether a request goes on to the registry. The zero value is
// Deny, so that a Decision nobody filled in refuses.
type Outcome uint8

// The outcomes, as the usage event's "decision" field writes them.
// Challenge is the 401 that answers a client's credential-less ping of
// /v2/ (Docker sends one before every command): the protocol asking it to
// log in, which is neither allowed nor counted as a denial.
const (
	Deny Outcome = iota
	Allow
	Challenge
	NumOutcomes
)

var outcomeNames = [NumOutcomes]string{Deny: usage.Deny, Allow: usage.Allow, Challenge: usage.Challenge}

// String returns the outcome as usage events and metrics write it.
func (o Outcome) String() string {
	if o < NumOutcomes {
		return outcomeNames[o]
	}
	return usage.Deny
}

// Event is what a request is, as the usage event's "event" field names it.
// The zero value is EventInvalid.
type Event uint8

// The events.
const (
	EventInvalid Event = iota
	EventLogin
	EventCatalog
	EventPull
	EventPush
	EventDelete
	// EventToken is a request to the token endpoint.
	EventToken
	NumEvents
)

var eventNames = [NumEvents]string{
	EventInvalid: usage.EventInvalid,
	EventLogin:   usage.EventLogin,
	EventCatalog: usage.EventCatalog,
	EventPull:    usage.EventPull,
	EventPush:    usage.EventPush,
	EventDelete:  usage.EventDelete,
	EventToken:   usage.EventToken,
}

// String returns the event as usage events and metrics write it.
func (e Event) String() string {
	if e < NumEvents {
		return eventNames[e]
	}
	return usage.EventInvalid
}

// Reason is why a request was refused; ReasonNone for an allowed one. The
// set is closed so that reports and metrics can group by it.
type Reason uint8

// The reasons.
const (
	ReasonNone Reason = iota
	ReasonInvalidRequest
	ReasonNoCredentials
	ReasonBadCredentials
	ReasonBadToken
	ReasonInactiveToken
	ReasonWrongOrg
	ReasonScope
	ReasonUnavailable
	ReasonTooManyUnknown
	ReasonFederatedLimit
	NumReasons
)

var reasonNames = [NumReasons]string{
	ReasonNone:           "",
	ReasonInvalidRequest: usage.ReasonInvalidRequest,
	ReasonNoCredentials:  usage.ReasonNoCredentials,
	ReasonBadCredentials: usage.ReasonBadCredentials,
	ReasonBadToken:       usage.ReasonBadToken,
	ReasonInactiveToken:  usage.ReasonInactiveToken,
	ReasonWrongOrg:       usage.ReasonWrongOrg,
	ReasonScope:          usage.ReasonScope,
	ReasonUnavailable:    usage.ReasonUnavailable,
	ReasonTooManyUnknown: usage.ReasonTooManyUnknown,
	ReasonFederatedLimit: usage.ReasonFederatedLimit,
}

// String returns the reason as the usage event's "reason" field writes it:
// empty for ReasonNone.
func (r Reason) String() string {
	if r < NumReasons {
		return reasonNames[r]
	}
	return ""
}
