package federation

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/oatgate/oatgate/caddymodule/scope"
)

// The RFC 8693 values the exchange accepts.
const (
	GrantTypeTokenExchange = "urn:ietf:params:oauth:grant-type:token-exchange"
	TokenTypeIDToken       = "urn:ietf:params:oauth:token-type:id_token"
	TokenTypeJWT           = "urn:ietf:params:oauth:token-type:jwt"
	TokenTypeAccessToken   = "urn:ietf:params:oauth:token-type:access_token"
)

// Exchange is a parsed POST /v1/token request.
type Exchange struct {
	// SubjectToken is the CI job's ID token.
	SubjectToken string
	// Audience names the org, or is empty to let the token's policies
	// decide.
	Audience string
	// Scopes narrow what the policy grants; nil asks for all of it.
	Scopes []scope.Scope
}

// single are the fields that must come at most once: a field given twice
// is read differently by different parsers, so the request is refused
// rather than answered for one reading.
var single = []string{"grant_type", "subject_token", "subject_token_type", "requested_token_type", "audience", "scope", "resource", "actor_token", "actor_token_type"}

// ParseExchange reads the form of an RFC 8693 token exchange: grant_type
// token-exchange, subject_token an ID token (subject_token_type id_token
// or jwt), optional audience (an org name), scope (repository scopes,
// space-separated) and requested_token_type (access_token only). Delegation
// (actor_token) and resource are refused; other fields are ignored, as RFC
// 6749 asks.
func ParseExchange(form url.Values) (Exchange, *OAuthError) {
	for _, f := range single {
		if len(form[f]) > 1 {
			return Exchange{}, oauthError(CodeInvalidRequest, f+" is given more than once; give it once")
		}
	}
	switch gt := form.Get("grant_type"); gt {
	case GrantTypeTokenExchange:
	case "":
		return Exchange{}, oauthError(CodeInvalidRequest, "grant_type is required: "+GrantTypeTokenExchange)
	default:
		return Exchange{}, oauthError(CodeUnsupportedGrantType, "only grant_type "+GrantTypeTokenExchange+" is supported")
	}
	if form.Has("actor_token") || form.Has("actor_token_type") {
		return Exchange{}, oauthError(CodeInvalidRequest, "delegation (actor_token) is not supported; send only the subject token")
	}
	if form.Has("resource") {
		return Exchange{}, oauthError(CodeInvalidTarget, "resource is not supported; name the org in audience")
	}
	switch tt := form.Get("subject_token_type"); tt {
	case TokenTypeIDToken, TokenTypeJWT:
	default:
		return Exchange{}, oauthError(CodeInvalidRequest, "subject_token_type must be "+TokenTypeIDToken+" or "+TokenTypeJWT)
	}
	if rt := form.Get("requested_token_type"); rt != "" && rt != TokenTypeAccessToken {
		return Exchange{}, oauthError(CodeInvalidRequest, "requested_token_type can only be "+TokenTypeAccessToken)
	}
	ex := Exchange{SubjectToken: form.Get("subject_token"), Audience: form.Get("audience")}
	if ex.SubjectToken == "" {
		return Exchange{}, oauthError(CodeInvalidRequest, "subject_token is required: the CI job's OIDC ID token")
	}
	if len(ex.SubjectToken) > MaxJWTLen {
		return Exchange{}, oauthError(CodeInvalidRequest, fmt.Sprintf("subject_token is longer than %d bytes", MaxJWTLen))
	}
	if form.Has("audience") && !scope.ValidOrg(ex.Audience) {
		return Exchange{}, oauthError(CodeInvalidTarget, "audience must name an org, e.g. audience=acme")
	}
	if form.Has("scope") {
		scopes, err := parseScopes(form.Get("scope"))
		if err != nil {
			return Exchange{}, err
		}
		ex.Scopes = scopes
	}
	return ex, nil
}

// parseScopes reads the scope field: repository scopes separated by spaces,
// at most scope.MaxScopes.
func parseScopes(s string) ([]scope.Scope, *OAuthError) {
	fields := strings.Fields(s)
	switch {
	case len(fields) == 0:
		return nil, oauthError(CodeInvalidScope, "scope is empty; omit it to get every scope the policy grants")
	case len(fields) > scope.MaxScopes:
		return nil, oauthError(CodeInvalidScope, fmt.Sprintf("scope lists %d scopes, at most %d", len(fields), scope.MaxScopes))
	}
	out := make([]scope.Scope, 0, len(fields))
	for _, f := range fields {
		sc, err := scope.Parse(f)
		if err != nil {
			return nil, oauthError(CodeInvalidScope, fmt.Sprintf("scope %q: want repository:<name or glob>:<actions>", f))
		}
		out = append(out, sc)
	}
	return out, nil
}
