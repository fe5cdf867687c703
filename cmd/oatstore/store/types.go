package store

import (
	"encoding/json"
	"time"
)

// Org defaults, applied when an org is created without them.
const (
	// DefaultMaxTokens is an org's token limit unless set.
	DefaultMaxTokens = 100
	// DefaultMaxExpiryDays is how far ahead a token may expire unless set.
	DefaultMaxExpiryDays = 365
	// DefaultExpiryDays is when a token created without an expiry
	// expires, unless the org sets another.
	DefaultExpiryDays = 90
)

// Org is an organization and its token policy.
type Org struct {
	// Name is the org's name, which is also its repository namespace.
	Name string `json:"name"`
	// MaxTokens is how many non-deleted tokens the org may hold: active,
	// deactivated, expired and revoked ones all count until deleted.
	// Default 100.
	MaxTokens int `json:"max_tokens"`
	// MaxExpiryDays is how far ahead a token's expiry may be set. Default 365.
	MaxExpiryDays int `json:"max_expiry_days"`
	// DefaultExpiryDays is how far ahead a token created without an expiry
	// expires; at most MaxExpiryDays. Default 90.
	DefaultExpiryDays int `json:"default_expiry_days"`
	// AllowNeverExpires permits tokens that never expire, when asked for
	// explicitly (expires_in "none"). An org opts in: default false.
	AllowNeverExpires bool `json:"allow_never_expires"`
	// MaxFederatedTokens bounds the org's active federated tokens (issued
	// to CI jobs under its trust policies, not counted in MaxTokens): past
	// it an exchange answers 429. Default 1,000.
	MaxFederatedTokens int `json:"max_federated_tokens"`
	// CreatedAt is set by the store when the org is created.
	CreatedAt time.Time `json:"created_at"`
	// UpdatedAt is set by the store at every change.
	UpdatedAt time.Time `json:"updated_at"`
}

// Defaults returns a new org's settings.
func Defaults(name string) Org {
	return Org{
		Name:               name,
		MaxTokens:          DefaultMaxTokens,
		MaxExpiryDays:      DefaultMaxExpiryDays,
		DefaultExpiryDays:  DefaultExpiryDays,
		AllowNeverExpires:  false,
		MaxFederatedTokens: DefaultMaxFederatedTokens,
	}
}

// Token is a token's metadata. The secret is never part of it: the store
// keeps only its SHA-256.
type Token struct {
	// ID names the token in the API, the audit log and usage events
	// ("tok_" + 26 base32 characters); it is not a secret.
	ID string `json:"id"`
	// Org owns the token; its scopes stay inside the org's namespace.
	Org string `json:"org"`
	// Label is required and unique among the org's non-deleted tokens
	// (revoked ones included, until deleted).
	Label string `json:"label"`
	// Description is free text, at most 200 characters.
	Description string `json:"description"`
	// Scopes are canonical scope strings.
	Scopes []string `json:"scopes"`
	// CreatedAt and CreatedBy (the audit actor) never change.
	CreatedAt time.Time `json:"created_at"`
	CreatedBy string    `json:"created_by"`
	// ExpiresAt is nil when the token never expires. It can move earlier,
	// never later.
	ExpiresAt *time.Time `json:"expires_at"`
	// Active is false while the token is deactivated.
	Active bool `json:"active"`
	// RevokedAt is set once, when the token is revoked; a revoked token
	// cannot be reactivated.
	RevokedAt *time.Time `json:"revoked_at"`
	// LastUsedAt is the last introspection that found the token usable,
	// written at most once a minute, or the last allowed request a gateway
	// reported, whichever is later.
	LastUsedAt *time.Time `json:"last_used_at"`
	// Kind is KindFederated for a token a CI job got by exchanging its ID
	// token under a trust policy; empty for an org access token.
	Kind string `json:"kind,omitempty"`
	// Policy names the trust policy a federated token was issued under.
	Policy string `json:"policy,omitempty"`
	// Subject is the sub claim of the ID token a federated token was
	// issued for: which job holds it.
	Subject string `json:"subject,omitempty"`
	// LastUsedIP and LastUserAgent are the client address and User-Agent
	// of the latest allowed request gateways reported (by the request's
	// time, whichever gateway reports when); empty until one is.
	LastUsedIP    string `json:"last_used_ip"`
	LastUserAgent string `json:"last_user_agent"`
}

// Usable reports whether the token grants access at now: active, not
// revoked, not expired.
func (t Token) Usable(now time.Time) bool {
	return t.Active && t.RevokedAt == nil && (t.ExpiresAt == nil || now.Before(*t.ExpiresAt))
}

// Audit actions, as the audit log and its action filter name them.
const (
	ActionOrgCreated       = "org.created"
	ActionOrgUpdated       = "org.updated"
	ActionTokenCreated     = "token.created"
	ActionTokenUpdated     = "token.updated"
	ActionTokenDeactivated = "token.deactivated"
	ActionTokenActivated   = "token.activated"
	ActionTokenRevoked     = "token.revoked"
	ActionTokenDeleted     = "token.deleted"
)

// Event is who did a change, when and from where; the store turns it into
// an audit entry.
type Event struct {
	// Action is one of the Action constants; PutOrg picks created/updated
	// itself and ignores it.
	Action string
	// Actor is who acts (see AuditEntry.Actor).
	Actor string
	// OnBehalfOf is whom the client says it acts for (see
	// AuditEntry.OnBehalfOf); empty when it says nothing.
	OnBehalfOf string
	// SourceIP is where the request came from.
	SourceIP string
	// At is the time of the change; it also stamps the token's times.
	At time.Time
}

// AuditEntry is one recorded management action.
type AuditEntry struct {
	// ID orders entries; pages continue below the last one.
	ID int64 `json:"id"`
	// Org is the org the action concerned.
	Org string `json:"org"`
	// At is when the change committed.
	At time.Time `json:"at"`
	// Actor is who authenticated: "admin:<key name>" or "token:<id>".
	// Entries written before named admin keys hold what the client
	// declared in X-Oatstore-Actor ("admin" by default) instead.
	Actor string `json:"actor"`
	// OnBehalfOf is what the client declared in X-Oatstore-Actor (the
	// person or job behind the call), recorded beside the actor and never
	// trusted as it; empty when nothing was declared.
	OnBehalfOf string `json:"on_behalf_of,omitempty"`
	// SourceIP is the peer address of the request.
	SourceIP string `json:"source_ip"`
	// Action is one of the Action constants.
	Action string `json:"action"`
	// TokenID is the token concerned; empty for org actions.
	TokenID string `json:"token_id,omitempty"`
	// Before and After are JSON snapshots of the org or token metadata
	// (never a secret); null when there is none.
	Before json.RawMessage `json:"before"`
	After  json.RawMessage `json:"after"`
}

// AuditQuery selects audit entries. Zero fields do not filter.
type AuditQuery struct {
	// Org is required.
	Org string
	// Since and Until bound the time (Since inclusive, Until exclusive).
	Since time.Time
	Until time.Time
	// Action keeps only entries of that action.
	Action string
	// TokenID keeps only entries about that token (the activity trail).
	TokenID string
	// Older continues a merged activity page (see Position).
	Older Position
	// ByTime orders entries by time, then id, as the activity trail
	// merges them; by id alone otherwise.
	ByTime bool
	// Before returns only entries with an id below it (the next cursor).
	Before int64
	// Limit bounds the page size.
	Limit int
}
