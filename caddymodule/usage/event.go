// Package usage defines the usage event: one log entry per registry request
// through the gateway, allowed or denied, with the fields DESIGN.md lists.
// Events are zap entries built from typed fields (no reflection), so that
// operators route them with Caddy's own log configuration.
package usage

import (
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// LoggerName is the name of the usage logger below the module's own logger;
// with Caddy's default naming the full name is
// "http.handlers.registry_auth.usage".
const LoggerName = "usage"

// Message is the log message of every usage event.
const Message = "registry request"

// Event names, as they appear in the "event" field.
const (
	EventLogin   = "login"
	EventCatalog = "catalog"
	EventPull    = "pull"
	EventPush    = "push"
	EventDelete  = "delete"
	// EventToken is a request to the token endpoint: Docker token
	// authentication (grant and scope say what was asked and given).
	EventToken = "token"
	// EventInvalid is a request the gateway could not classify as any
	// registry request; it is always denied.
	EventInvalid = "invalid"
)

// Decisions. Challenge is the 401 answering a credential-less ping of
// /v2/, which clients send to learn how to log in: not a denial.
const (
	Allow     = "allow"
	Deny      = "deny"
	Challenge = "challenge"
)

// Reasons a request was denied, as they appear in the "reason" field. They are
// a closed set so that reports and metrics can group by them.
const (
	ReasonInvalidRequest = "invalid_request"
	ReasonNoCredentials  = "no_credentials"
	ReasonBadCredentials = "bad_credentials"
	ReasonBadToken       = "bad_token_format"
	ReasonInactiveToken  = "inactive_token"
	ReasonWrongOrg       = "wrong_org_username"
	ReasonScope          = "scope"
	ReasonUnavailable    = "store_unavailable"
	// ReasonTooManyUnknown: the client's address presented more tokens the
	// store does not know than the gateway looks up per minute.
	ReasonTooManyUnknown = "too_many_unknown_tokens"
	// ReasonFederatedLimit: a CI job's ID token would need a new federated
	// token, and its org has as many active ones as it allows.
	ReasonFederatedLimit = "federated_token_limit"
)

// Event is one request's usage record. It never holds a token or an
// Authorization header.
type Event struct {
	Event      string
	Decision   string
	Reason     string
	TokenID    string
	TokenLabel string
	Org        string
	// Policy names the trust policy a federated token was issued under:
	// the request came from a CI job that logged in with its OIDC ID
	// token. Empty for an access token.
	Policy string
	// Grant and Scope are set on token endpoint requests: the grant type
	// (anonymous, basic, password, refresh_token) and the scopes granted.
	Grant      string
	Scope      string
	Repository string
	Reference  string
	Digest     string
	Method     string
	Path       string
	Status     int
	BytesIn    int64
	BytesOut   int64
	Duration   time.Duration
	ClientIP   string
	UserAgent  string
	RequestID  string
}

// NumFields is the most fields Fields appends.
const NumFields = 21

// Fields appends the event's fields to dst. Empty optional fields are left
// out so that events stay short; status, bytes and duration are always there.
func (e *Event) Fields(dst []zap.Field) []zap.Field {
	return e.RequestFields(e.OutcomeFields(dst))
}

// OutcomeFields appends the fields that say what the request was and how it
// was decided: event, decision and, on a deny, reason. They come first in
// every event and take few combinations, so a logger can carry them already
// encoded (zap.Logger.With) in front of RequestFields.
func (e *Event) OutcomeFields(dst []zap.Field) []zap.Field {
	dst = append(dst,
		zap.String("event", e.Event),
		zap.String("decision", e.Decision),
	)
	return appendNonEmpty(dst, "reason", e.Reason)
}

// RequestFields appends the fields after OutcomeFields: the token, what the
// request acted on, the request and its response, and who asked.
func (e *Event) RequestFields(dst []zap.Field) []zap.Field {
	dst = appendNonEmpty(dst, "token_id", e.TokenID)
	dst = appendNonEmpty(dst, "token_label", e.TokenLabel)
	dst = appendNonEmpty(dst, "org", e.Org)
	dst = appendNonEmpty(dst, "policy", e.Policy)
	dst = appendNonEmpty(dst, "grant", e.Grant)
	dst = appendNonEmpty(dst, "scope", e.Scope)
	dst = appendNonEmpty(dst, "repository", e.Repository)
	dst = appendNonEmpty(dst, "reference", e.Reference)
	dst = appendNonEmpty(dst, "digest", e.Digest)
	dst = append(dst,
		zap.String("method", e.Method),
		zap.String("path", e.Path),
		zap.Int("status", e.Status),
		zap.Int64("bytes_in", e.BytesIn),
		zap.Int64("bytes_out", e.BytesOut),
		zap.Float64("duration", e.Duration.Seconds()),
		zap.String("client_ip", e.ClientIP),
	)
	dst = appendNonEmpty(dst, "user_agent", e.UserAgent)
	dst = appendNonEmpty(dst, "request_id", e.RequestID)
	return dst
}

func appendNonEmpty(dst []zap.Field, key, value string) []zap.Field {
	if value == "" {
		return dst
	}
	return append(dst, zap.String(key, value))
}

// Write logs e on logger at info level, if that level is enabled.
func Write(logger *zap.Logger, e *Event) {
	ce := logger.Check(zapcore.InfoLevel, Message)
	if ce == nil {
		return
	}
	var buf [NumFields]zap.Field
	ce.Write(e.Fields(buf[:0])...)
}
