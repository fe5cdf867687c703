package store

import (
	"fmt"
	"time"

	"github.com/oatgate/oatgate/cmd/oatstore/federation"
)

// KindFederated is Token.Kind for a token issued under a trust policy.
const KindFederated = "federated"

// DefaultMaxFederatedTokens is an org's bound on active federated tokens
// unless set.
const DefaultMaxFederatedTokens = 1000

// MaxExchangesPerIDToken bounds the federated tokens one ID token gets,
// over every org and both ways (POST /v1/token, a gateway login): a CI
// job asks its issuer for a fresh ID token at no cost, while one replayed
// token could otherwise take every slot of its org's bound.
const MaxExchangesPerIDToken = 5

// IDToken is the ID token a federated token is issued for, as the store
// counts its exchanges: a hash of the (canonical) JWT, never the JWT, and
// when it expires (its count is kept until then, and purged after).
type IDToken struct {
	Hash   []byte
	Expiry time.Time
}

// Audit actions of federation.
const (
	ActionPolicyCreated  = "federation.created"
	ActionPolicyUpdated  = "federation.updated"
	ActionPolicyDeleted  = "federation.deleted"
	ActionTokenExchanged = "token.exchanged"
)

// Policy is a stored trust policy: the rule (see federation.Policy) plus
// whose it is and its history.
type Policy struct {
	Org      string              `json:"org"`
	Name     string              `json:"name"`
	Issuer   string              `json:"issuer"`
	Audience string              `json:"audience"`
	Claims   map[string]string   `json:"claims"`
	Scopes   []string            `json:"scopes"`
	TTL      federation.Duration `json:"ttl"`
	// CreatedAt and CreatedBy (the audit actor) never change.
	CreatedAt time.Time `json:"created_at"`
	CreatedBy string    `json:"created_by"`
	// UpdatedAt is set at every change.
	UpdatedAt time.Time `json:"updated_at"`
}

// Rule is the policy as federation matches tokens against it.
func (p Policy) Rule() federation.Policy {
	return federation.Policy{Name: p.Name, Issuer: p.Issuer, Audience: p.Audience, Claims: p.Claims, Scopes: p.Scopes, TTL: p.TTL}
}

// PolicyOf is rule stored for org.
func PolicyOf(org string, rule federation.Policy) Policy {
	return Policy{Org: org, Name: rule.Name, Issuer: rule.Issuer, Audience: rule.Audience, Claims: rule.Claims, Scopes: rule.Scopes, TTL: rule.TTL}
}

// Exchanged is the audit snapshot of a token.exchanged entry: the token,
// the claims of the ID token that matched the policy's conditions, and
// never the ID token itself.
type Exchanged struct {
	Token
	MatchedClaims map[string]string `json:"matched_claims"`
}

// TooManyError says an org has as many active federated tokens as it may.
// It matches ErrTooMany with errors.Is.
type TooManyError struct {
	Org    string
	Active int
	Max    int
}

func (e *TooManyError) Error() string {
	return fmt.Sprintf("org %q has %d active federated tokens, its limit of %d; retry when some expire, or ask an admin to raise max_federated_tokens", e.Org, e.Active, e.Max)
}

// Is makes errors.Is(err, ErrTooMany) true.
func (e *TooManyError) Is(target error) bool { return target == ErrTooMany }
