package testenv

import (
	"context"
	"net/http"
	"net/url"
)

// Policy is the body of a trust policy (PUT /v1/orgs/{org}/federation/{name}).
type Policy struct {
	Issuer   string            `json:"issuer"`
	Audience string            `json:"audience"`
	Claims   map[string]string `json:"claims"`
	Scopes   []string          `json:"scopes"`
	// TTL is a duration such as "15m"; empty is the store's default.
	TTL string `json:"ttl,omitempty"`
}

// PutPolicy creates or replaces a trust policy of org.
func (a *Admin) PutPolicy(ctx context.Context, org, name string, p Policy) error {
	return a.do(ctx, http.MethodPut, a.policyPath(org, name), p, nil)
}

// DeletePolicy deletes a trust policy and returns the ids of the tokens its
// deletion revoked.
func (a *Admin) DeletePolicy(ctx context.Context, org, name string) ([]string, error) {
	var out struct {
		RevokedTokens []string `json:"revoked_tokens"`
	}
	err := a.do(ctx, http.MethodDelete, a.policyPath(org, name), nil, &out)
	return out.RevokedTokens, err
}

// SetMaxFederatedTokens sets an org's bound on active federated tokens.
func (a *Admin) SetMaxFederatedTokens(ctx context.Context, org string, n int) error {
	return a.do(ctx, http.MethodPut, "/v1/orgs/"+url.PathEscape(org), map[string]any{"max_federated_tokens": n}, nil)
}

func (a *Admin) policyPath(org, name string) string {
	return "/v1/orgs/" + url.PathEscape(org) + "/federation/" + url.PathEscape(name)
}
