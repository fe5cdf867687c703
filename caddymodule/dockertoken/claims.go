package dockertoken

import (
	"errors"
	"fmt"
	"time"

	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/oatgate/oatgate/caddymodule/access"
)

// Anonymous is the subject of a token minted without credentials.
const Anonymous = "anonymous"

// Claims is a bearer token's payload: the registered claims of RFC 7519, the
// "access" claim of distribution's token spec, and the organization of the
// OAT the token was minted from. Subject is that OAT's token id (Anonymous
// for an anonymous token): with Org it is what lets the gateway refuse the
// token as soon as the OAT is revoked, deactivated or expired. A verified
// Claims is immutable and safe to share between requests.
type Claims struct {
	jwt.Claims
	Access []Access `json:"access"`
	// Org is the organization of the OAT; empty for anonymous tokens.
	Org string `json:"org,omitempty"`
}

// IsAnonymous reports whether the token was minted without credentials.
func (c *Claims) IsAnonymous() bool { return c.Subject == Anonymous }

// TokenID returns the id of the OAT the token was minted from, or "" for an
// anonymous token.
func (c *Claims) TokenID() string {
	if c.IsAnonymous() {
		return ""
	}
	return c.Subject
}

// Allows reports whether the token grants need on repository. Nesting
// applies as everywhere in oatgate (access.Action.Includes): a token granted
// push may pull. The resource class is not consulted: the gateway's request
// check is by repository name only.
func (c *Claims) Allows(repository string, need access.Action) bool {
	for _, a := range c.Access {
		if a.Type != TypeRepository || a.Name != repository {
			continue
		}
		for _, act := range a.Actions {
			if got, ok := repositoryAction(act); ok && got.Includes(need) {
				return true
			}
		}
	}
	return false
}

// Catalog reports whether the token grants listing the catalog.
func (c *Claims) Catalog() bool {
	for _, a := range c.Access {
		if a.Type == TypeRegistry && a.Name == NameCatalog && contains(a.Actions, ActionAll) {
			return true
		}
	}
	return false
}

// Errors of a token that is well signed but not usable now.
var (
	ErrExpired     = errors.New("bearer token expired: ask the token endpoint for a new one")
	ErrNotYetValid = errors.New("bearer token not valid yet: check the clocks of the gateway replicas")
)

// Leeway is the clock skew tolerated between replicas on exp and nbf.
const Leeway = 5 * time.Second

// ValidAt checks the token's time window at now, with Leeway: what a cache
// hit must still check on every request, since a cached token expires like
// any other. It returns ErrExpired or ErrNotYetValid.
func (c *Claims) ValidAt(now time.Time) error {
	if c.Expiry == nil || now.Add(-Leeway).After(c.Expiry.Time()) {
		return fmt.Errorf("%w (expired at %s)", ErrExpired, expiry(c))
	}
	if c.NotBefore != nil && now.Add(Leeway).Before(c.NotBefore.Time()) {
		return ErrNotYetValid
	}
	return nil
}

func expiry(c *Claims) string {
	if c.Expiry == nil {
		return "never: no exp claim"
	}
	return c.Expiry.Time().UTC().Format(time.RFC3339)
}
