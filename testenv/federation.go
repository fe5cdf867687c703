package testenv

import (
	"context"
	"net/http"
	"net/url"
)

// Policy is the body of a trust policy as oatstore's federation API takes
// it: CI jobs whose ID tokens come from Issuer for Audience, with claims
// matching every entry of Claims, get a token of the org with Scopes that
// lives TTL (a duration such as "15m"; empty for the default).
type Policy struct {
	Issuer   string            `json:"issuer"`
	Audience string            `json:"audience"`
	Claims   map[string]string `json:"claims"`
	Scopes   []string          `json:"scopes"`
	TTL      string            `json:"ttl,omitempty"`
}

// SetPolicy creates or replaces the trust policy name of org.
func (a *Admin) SetPolicy(ctx context.Context, org, name string, p Policy) error {
	return a.do(ctx, http.MethodPut, a.policyPath(org, name), p, nil)
}

// DeletePolicy deletes the trust policy name of org, which revokes every
// token issued under it.
func (a *Admin) DeletePolicy(ctx context.Context, org, name string) error {
	return a.do(ctx, http.MethodDelete, a.policyPath(org, name), nil, nil)
}

func (a *Admin) policyPath(org, name string) string {
	return "/v1/orgs/" + url.PathEscape(org) + "/federation/" + url.PathEscape(name)
}
