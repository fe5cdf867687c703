package storeapi

// Reason is why a token is not active. The store says it only for tokens it
// knows, and only to gateways (introspection needs the gateway key), so that
// the gateway can log the token id, count it, and tell the client which of
// its tokens to replace; to anyone else an inactive token stays
// {"active":false}.
type Reason uint8

// Reasons, in the order the store checks them: a revoked token is reported
// revoked even if it has also expired.
const (
	// ReasonUnknown: the store knows no such token, or did not say why.
	// It is the zero value and is omitted on the wire.
	ReasonUnknown Reason = iota
	// ReasonRevoked: the token was revoked; it never works again.
	ReasonRevoked
	// ReasonDeactivated: the token is deactivated; activating it again
	// makes it work.
	ReasonDeactivated
	// ReasonExpired: the token's expiry has passed.
	ReasonExpired
)

var reasonNames = [...]string{
	ReasonUnknown:     "unknown",
	ReasonRevoked:     "revoked",
	ReasonDeactivated: "deactivated",
	ReasonExpired:     "expired",
}

// String is the reason's wire name, e.g. "revoked".
func (r Reason) String() string {
	if int(r) < len(reasonNames) {
		return reasonNames[r]
	}
	return reasonNames[ReasonUnknown]
}

// MarshalText writes the wire name.
func (r Reason) MarshalText() ([]byte, error) { return []byte(r.String()), nil }

// UnmarshalText reads a wire name. A name it does not know (a newer store's)
// reads as ReasonUnknown rather than failing the answer: the token is
// refused either way.
func (r *Reason) UnmarshalText(b []byte) error {
	*r = ReasonUnknown
	for i, name := range reasonNames {
		if string(b) == name {
			*r = Reason(i)
		}
	}
	return nil
}
