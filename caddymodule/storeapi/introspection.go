package storeapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// Introspection is the RFC 7662 introspection answer, the fields oatgate
// uses. An unknown token is answered {"active":false}. A token the store
// knows but that is not active is answered with its id, label, org and the
// Reason, e.g.
// {"active":false,"token_id":"tok_...","label":"ci","org":"acme","reason":"revoked"}:
// the gateway logs and counts the id, tells the client why, and drops its
// cached refusal as soon as the revocation feed lists the id (a reactivated
// token works again within a feed poll). Only gateways see this: the
// endpoint takes the gateway key.
type Introspection struct {
	// Active is whether the token grants access now.
	Active bool `json:"active"`
	// TokenID is the store's id of the token; required when active, set
	// when inactive for a token the store knows.
	TokenID string `json:"token_id,omitempty"`
	// Label is the token's human label.
	Label string `json:"label,omitempty"`
	// Org is the organization the token belongs to; required when active.
	Org string `json:"org,omitempty"`
	// Reason is why an inactive token is not active; omitted when active
	// and for unknown tokens.
	Reason Reason `json:"reason,omitempty"`
	// Scope is the token's scopes, space-separated (RFC 7662 "scope").
	Scope string `json:"scope,omitempty"`
	// Exp is the expiry in Unix seconds; nil (omitted) when the token never
	// expires. A pointer, because 0 is a time (the epoch), not "never".
	Exp *int64 `json:"exp,omitempty"`
	// Kind is KindFederated for a token issued by exchanging a CI job's
	// OIDC ID token under a trust policy; empty for an ordinary org access
	// token.
	Kind string `json:"kind,omitempty"`
	// Policy names the trust policy a federated token was issued under.
	Policy string `json:"policy,omitempty"`
}

// KindFederated is the Kind of a token issued under a trust policy.
const KindFederated = "federated"

// wireIntrospection is what ParseIntrospection decodes: pointers tell a
// missing field from a zero one, and Exp stays a number until checked.
type wireIntrospection struct {
	Active  *bool        `json:"active"`
	TokenID string       `json:"token_id"`
	Label   string       `json:"label"`
	Org     string       `json:"org"`
	Scope   string       `json:"scope"`
	Exp     *json.Number `json:"exp"`
	Reason  Reason       `json:"reason"`
	Kind    string       `json:"kind"`
	Policy  string       `json:"policy"`
}

// ParseIntrospection reads an introspection answer body. It returns an
// error wrapping ErrMalformed for anything it cannot trust: not one JSON
// object, no boolean "active", an active answer without token_id or org, or
// an exp that is not a non-negative whole number. The scope string is
// returned as sent; the reader parses it. Unknown fields are ignored, as RFC
// 7662 allows servers to add them. An inactive answer keeps only what
// identifies a known token (token_id, label, org) and the reason; without a
// token_id it is just {"active":false}.
func ParseIntrospection(body []byte) (Introspection, error) {
	var w wireIntrospection
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&w); err != nil {
		return Introspection{}, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	if dec.More() {
		return Introspection{}, fmt.Errorf("%w: trailing data after the JSON object", ErrMalformed)
	}
	if w.Active == nil {
		return Introspection{}, fmt.Errorf("%w: no \"active\" field", ErrMalformed)
	}
	if !*w.Active {
		if strings.TrimSpace(w.TokenID) == "" {
			return Introspection{}, nil
		}
		return Introspection{TokenID: w.TokenID, Label: w.Label, Org: w.Org, Reason: w.Reason}, nil
	}
	if strings.TrimSpace(w.TokenID) == "" {
		return Introspection{}, fmt.Errorf("%w: active answer without token_id", ErrMalformed)
	}
	if strings.TrimSpace(w.Org) == "" {
		return Introspection{}, fmt.Errorf("%w: active answer without org", ErrMalformed)
	}
	in := Introspection{Active: true, TokenID: w.TokenID, Label: w.Label, Org: w.Org, Scope: w.Scope, Kind: w.Kind, Policy: w.Policy}
	if w.Exp != nil {
		secs, err := w.Exp.Int64()
		if err != nil || secs < 0 {
			return Introspection{}, fmt.Errorf("%w: exp %q is not a non-negative integer", ErrMalformed, w.Exp.String())
		}
		in.Exp = &secs
	}
	return in, nil
}
