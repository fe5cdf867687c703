package federation

import (
	"fmt"
	"strings"
)

// tenantBinding is what a policy for an issuer that signs for everyone
// must pin to name one customer: a condition without * on one of
// Exact, or a sub whose literal start (before any *) is SubPrefix, an
// owner and a slash.
type tenantBinding struct {
	// Host names whose tokens the issuer signs, for the error message.
	Host string
	// Exact are the claims that name the owner or the repository.
	Exact []string
	// SubPrefix starts the sub claim, before the owner (GitHub's immutable
	// form "repo:<owner>@<id>/" has it too).
	SubPrefix string
	// Example is a condition to suggest.
	Example string
}

// multiTenantIssuers are the issuers that sign ID tokens for every
// repository they host: a policy of theirs whose conditions name no owner
// (say {"ref":"refs/heads/main"} or {"actor":"alice"}) would trust jobs of
// the whole world, and the audience binds nothing, since a job chooses its
// own. Their policies need an owner-binding condition (Policy.Validate).
// Self-hosted GitLab and GitHub Enterprise issuers sign for one customer
// and are not listed.
var multiTenantIssuers = map[string]tenantBinding{
	"https://token.actions.githubusercontent.com": {
		Host:      "GitHub",
		Exact:     []string{"repository_owner", "repository_owner_id", "repository", "repository_id"},
		SubPrefix: "repo:",
		Example:   `"repository_owner":"acme"`,
	},
	"https://gitlab.com": {
		Host:      "gitlab.com",
		Exact:     []string{"namespace_path", "namespace_id", "project_path", "project_id"},
		SubPrefix: "project_path:",
		Example:   `"namespace_path":"acme"`,
	},
}

// checkTenantBinding refuses a policy of a multi-tenant issuer without a
// condition that names the owner: one of the binding's exact claims
// without a *, or a sub whose literal start is the prefix, an owner and a
// slash (repo:acme/ or repo:acme@123/).
func checkTenantBinding(issuer string, claims map[string]string) error {
	b, ok := multiTenantIssuers[issuer]
	if !ok {
		return nil
	}
	for _, name := range b.Exact {
		if v, ok := claims[name]; ok && v != "" && !strings.Contains(v, "*") {
			return nil
		}
	}
	if sub, ok := claims["sub"]; ok {
		literal, _, _ := strings.Cut(sub, "*")
		if rest, ok := strings.CutPrefix(literal, b.SubPrefix); ok && strings.IndexByte(rest, '/') > 0 {
			return nil
		}
	}
	return fmt.Errorf("claims: %s signs ID tokens for every repository it hosts; bind the policy to yours with a condition without * on %s, or a sub starting %s<owner>/, e.g. {%s}",
		b.Host, strings.Join(b.Exact, ", "), b.SubPrefix, b.Example)
}
