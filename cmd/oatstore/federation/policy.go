package federation

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/oatgate/oatgate/caddymodule/scope"
)

// Lifetimes of the tokens a policy issues.
const (
	// DefaultTTL is a policy's token lifetime unless it sets one.
	DefaultTTL = 15 * time.Minute
	// MinTTL is the shortest lifetime a policy may set: shorter, and a
	// docker push of a large image outlives its token.
	MinTTL = 5 * time.Minute
	// MaxTTL is the longest: a federated token is meant to end with the
	// job that asked for it.
	MaxTTL = time.Hour
)

// Bounds of a policy's fields.
const (
	maxNameLen     = 64
	maxClaims      = 16
	maxClaimName   = 64
	maxClaimValue  = 256
	maxAudienceLen = 256
	maxIssuerLen   = 512
)

// Policy is a trust policy of one org: ID tokens from Issuer, for
// Audience, whose claims match every entry of Claims, are exchanged for a
// token of the org with Scopes that lives TTL.
type Policy struct {
	// Name identifies the policy in its org: lowercase letters, digits and
	// . _ -, starting with a letter or digit, at most 64 characters.
	Name string `json:"name"`
	// Issuer is the OIDC issuer URL exactly as the tokens' iss claim
	// spells it, e.g. https://token.actions.githubusercontent.com.
	Issuer string `json:"issuer"`
	// Audience must be one of the token's aud values.
	Audience string `json:"audience"`
	// Claims maps a claim name to the value it must have: exact, or a glob
	// where * matches any run of characters. Every entry must match; at
	// least one must be more than a bare *, since an issuer such as GitHub
	// signs tokens for every repository in the world; for such an issuer
	// (multiTenantIssuers), one must name the owner without a *.
	Claims map[string]string `json:"claims"`
	// Scopes are the repository scopes granted, inside the org's
	// namespace, canonical.
	Scopes []string `json:"scopes"`
	// TTL is how long an issued token lives. Default 15m, between 5m and
	// 1h.
	TTL Duration `json:"ttl"`
}

// Duration is a time.Duration written as Go writes it ("15m", "1h0m0s")
// in JSON.
type Duration time.Duration

// MarshalJSON writes the duration as a string such as "15m0s".
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

// UnmarshalJSON reads a duration string such as "15m" or "1h".
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("ttl: want a duration string such as \"15m\"")
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("ttl %q: want a duration such as \"15m\" or \"1h\"", s)
	}
	*d = Duration(v)
	return nil
}

// Options are the server's settings that bound what a policy may name.
type Options struct {
	// AllowLoopbackHTTP accepts http:// issuers on a loopback address
	// (127.0.0.0/8, ::1, localhost): for tests and local development only
	// (oatstore serve --insecure-loopback-issuers). Default off: issuers
	// are https.
	AllowLoopbackHTTP bool
}

// Validate checks p as a policy of org and returns it canonical: scopes
// in their canonical form, TTL defaulted. Its errors name the field and
// say what to write instead.
func (p Policy) Validate(org string, opts Options) (Policy, error) {
	if err := CheckName(p.Name); err != nil {
		return Policy{}, err
	}
	if err := CheckIssuer(p.Issuer, opts); err != nil {
		return Policy{}, err
	}
	if err := checkText("audience", p.Audience, maxAudienceLen); err != nil {
		return Policy{}, err
	}
	if err := checkClaims(p.Claims); err != nil {
		return Policy{}, err
	}
	if err := checkTenantBinding(p.Issuer, p.Claims); err != nil {
		return Policy{}, err
	}
	scopes, err := canonicalScopes(org, p.Scopes)
	if err != nil {
		return Policy{}, err
	}
	p.Scopes = scopes
	switch ttl := time.Duration(p.TTL); {
	case ttl == 0:
		p.TTL = Duration(DefaultTTL)
	case ttl < MinTTL || ttl > MaxTTL:
		return Policy{}, fmt.Errorf("ttl %s is outside %s..%s; omit it for the default %s", ttl, MinTTL, MaxTTL, DefaultTTL)
	}
	return p, nil
}

// CheckName refuses a policy name that is not lowercase letters, digits
// and . _ -, starting with a letter or digit, 1 to 64 characters.
func CheckName(name string) error {
	if name == "" || len(name) > maxNameLen {
		return fmt.Errorf("policy name %q: want 1 to %d characters", name, maxNameLen)
	}
	for i, c := range []byte(name) {
		ok := c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || i > 0 && (c == '.' || c == '_' || c == '-')
		if !ok {
			return fmt.Errorf("policy name %q: use lowercase letters, digits and . _ - (starting with a letter or digit), e.g. github-main", name)
		}
	}
	return nil
}

// reservedClaims are checked by the verifier itself; a policy names the
// issuer and audience in their own fields.
var reservedClaims = map[string]string{
	"iss": "set the issuer field instead",
	"aud": "set the audience field instead",
	"exp": "the verifier checks it",
	"nbf": "the verifier checks it",
	"iat": "the verifier checks it",
}

func checkClaims(claims map[string]string) error {
	if len(claims) == 0 {
		return fmt.Errorf("claims: at least one is required, e.g. {\"repository_owner\":\"acme\"}: without one, every job the issuer signs for would match")
	}
	if len(claims) > maxClaims {
		return fmt.Errorf("claims: %d given, at most %d", len(claims), maxClaims)
	}
	narrows := false
	for _, name := range slices.Sorted(maps.Keys(claims)) {
		value := claims[name]
		if err := checkText("claim name", name, maxClaimName); err != nil {
			return err
		}
		if why, ok := reservedClaims[name]; ok {
			return fmt.Errorf("claims: %q cannot be a condition: %s", name, why)
		}
		if err := checkText("claim "+name, value, maxClaimValue); err != nil {
			return err
		}
		if strings.Trim(value, "*") != "" {
			narrows = true
		}
	}
	if !narrows {
		return fmt.Errorf("claims: every condition is a bare *; name at least one value, e.g. the repository owner")
	}
	return nil
}

// checkText refuses an empty value, one longer than max bytes, and one
// with anything but printable ASCII: claim names and values of real
// issuers are ASCII, and anything else in a policy is a paste mistake or
// a trick.
func checkText(field, v string, max int) error {
	switch {
	case v == "":
		return fmt.Errorf("%s is required", field)
	case len(v) > max:
		return fmt.Errorf("%s is longer than %d bytes", field, max)
	case !utf8.ValidString(v):
		return fmt.Errorf("%s is not valid UTF-8", field)
	}
	for i := 0; i < len(v); i++ {
		if v[i] < 0x21 || v[i] > 0x7e {
			return fmt.Errorf("%s holds a space, control or non-ASCII character at byte %d; use printable ASCII", field, i+1)
		}
	}
	return nil
}

// canonicalScopes checks that scopes are repository scopes inside org's
// namespace and returns their canonical strings. Org management scopes are
// refused: a CI job's token reaches repositories, never the org's
// management.
func canonicalScopes(org string, scopes []string) ([]string, error) {
	for _, s := range scopes {
		if scope.IsOrg(s) {
			return nil, fmt.Errorf("scopes: %q is an org management scope; a trust policy grants only repository scopes", s)
		}
	}
	parsed, err := scope.Validate(org, scopes)
	if err != nil {
		return nil, fmt.Errorf("scopes: %w", err)
	}
	out := make([]string, len(parsed))
	for i, s := range parsed {
		out[i] = s.String()
	}
	return out, nil
}
