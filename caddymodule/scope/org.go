package scope

import (
	"fmt"
	"strings"
)

// orgType starts every org scope.
const orgType = "org"

// OrgResource is a part of an org's management that an org scope opens to
// a token: "org:<resource>:<read|write>". Org scopes matter to oatstore
// only; the gateway grants registry access from repository scopes alone.
// The zero value is not a resource, so a forgotten assignment grants
// nothing.
type OrgResource uint8

// The org resources.
const (
	// OrgTokens is the org's tokens: list and read them; with write,
	// create, change, deactivate, revoke and delete them.
	OrgTokens OrgResource = iota + 1
	// OrgAudit is the org's audit log.
	OrgAudit
	// OrgUsage is the org's usage reports and activity.
	OrgUsage
	// OrgFederation is the org's federation trust policies.
	OrgFederation
	// OrgWebhooks is the org's webhooks.
	OrgWebhooks
)

// orgResources lists the resources in the order errors name them.
var orgResources = [...]OrgResource{OrgTokens, OrgAudit, OrgUsage, OrgFederation, OrgWebhooks}

// String returns the resource as scopes write it.
func (r OrgResource) String() string {
	switch r {
	case OrgTokens:
		return "tokens"
	case OrgAudit:
		return "audit"
	case OrgUsage:
		return "usage"
	case OrgFederation:
		return "federation"
	case OrgWebhooks:
		return "webhooks"
	}
	return "invalid"
}

// Valid reports whether r is one of the resources.
func (r OrgResource) Valid() bool { return r >= OrgTokens && r <= OrgWebhooks }

// OrgAccess is what an org scope lets a token do to its resource. Write
// includes read. The zero value is not an access.
type OrgAccess uint8

// The org accesses, smallest first.
const (
	OrgRead OrgAccess = iota + 1
	OrgWrite
)

// String returns the access as scopes write it.
func (a OrgAccess) String() string {
	switch a {
	case OrgRead:
		return "read"
	case OrgWrite:
		return "write"
	}
	return "invalid"
}

// Valid reports whether a is OrgRead or OrgWrite.
func (a OrgAccess) Valid() bool { return a == OrgRead || a == OrgWrite }

// OrgScope is one parsed org scope entry.
type OrgScope struct {
	Resource OrgResource
	Access   OrgAccess
}

// String returns the canonical form "org:<resource>:<access>".
func (o OrgScope) String() string {
	return orgType + ":" + o.Resource.String() + ":" + o.Access.String()
}

// Valid reports whether both parts are valid.
func (o OrgScope) Valid() bool { return o.Resource.Valid() && o.Access.Valid() }

// Allows reports whether the scope lets a token do a to r: same resource,
// and write includes read.
func (o OrgScope) Allows(r OrgResource, a OrgAccess) bool {
	return o.Valid() && r.Valid() && a.Valid() && o.Resource == r && o.Access >= a
}

// IsOrg reports whether entry is meant as an org scope (it starts with
// "org:"), valid or not. Split uses it to send each entry to its parser.
func IsOrg(entry string) bool { return strings.HasPrefix(entry, orgType+":") }

// ParseOrg reads one org scope entry: "org:<resource>:<access>" with one
// resource of tokens, audit, usage, federation, webhooks and one access of
// read, write. Errors are *Error wrapping ErrSyntax.
func ParseOrg(s string) (OrgScope, error) {
	rest, ok := strings.CutPrefix(s, orgType+":")
	if !ok {
		return OrgScope{}, syntaxError(s, `want "org:<resource>:<read|write>"`)
	}
	res, acc, ok := strings.Cut(rest, ":")
	if !ok {
		return OrgScope{}, syntaxError(s, `want "org:<resource>:<read|write>"`)
	}
	var o OrgScope
	for _, r := range orgResources {
		if res == r.String() {
			o.Resource = r
		}
	}
	if !o.Resource.Valid() {
		return OrgScope{}, syntaxError(s, fmt.Sprintf("unknown org resource %q: want tokens, audit, usage, federation or webhooks", res))
	}
	switch acc {
	case "read":
		o.Access = OrgRead
	case "write":
		o.Access = OrgWrite
	default:
		return OrgScope{}, syntaxError(s, fmt.Sprintf("unknown org access %q: want read or write (write includes read)", acc))
	}
	return o, nil
}

// OrgCovers reports whether a token holding holder may give wanted: one of
// its own org scopes allows wanted's resource and access. A token with
// org:tokens:write may give org:tokens:read, since write includes read.
func OrgCovers(holder []OrgScope, wanted OrgScope) bool {
	if !wanted.Valid() {
		return false
	}
	for _, h := range holder {
		if h.Allows(wanted.Resource, wanted.Access) {
			return true
		}
	}
	return false
}

// Split parses a token's scope entries into its repository scopes and its
// org scopes, each entry by the parser its prefix calls for. Any invalid
// entry fails the whole list, as ParseList does.
func Split(entries []string) ([]Scope, []OrgScope, error) {
	var repo []Scope
	var org []OrgScope
	for _, e := range entries {
		if IsOrg(e) {
			o, err := ParseOrg(e)
			if err != nil {
				return nil, nil, err
			}
			org = append(org, o)
			continue
		}
		sc, err := Parse(e)
		if err != nil {
			return nil, nil, err
		}
		repo = append(repo, sc)
	}
	return repo, org, nil
}

// SplitList is Split for scopes joined by single spaces, as RFC 7662
// introspection's "scope" field carries them. A gateway calls it and
// discards the org scopes: they grant no registry access.
func SplitList(s string) ([]Scope, []OrgScope, error) {
	if s == "" {
		return nil, nil, nil
	}
	return Split(strings.Split(s, " "))
}

// ValidateSplit checks the scopes a client wants to store on a token of
// org, org scopes included: between 1 and MaxScopes entries in all, the
// repository scopes as Validate checks them, the org scopes as ParseOrg
// does. A token may hold org scopes only (an audit reader needs no
// repository). Errors are those of Validate and ParseOrg.
func ValidateSplit(org string, entries []string) ([]Scope, []OrgScope, error) {
	if !ValidOrg(org) {
		return nil, nil, fmt.Errorf("%w %q: want one name component", ErrOrg, org)
	}
	switch {
	case len(entries) == 0:
		return nil, nil, fmt.Errorf("%w: none given, at least one is required", ErrCount)
	case len(entries) > MaxScopes:
		return nil, nil, fmt.Errorf("%w: %d given, at most %d allowed", ErrCount, len(entries), MaxScopes)
	}
	var repoEntries []string
	var orgs []OrgScope
	for _, e := range entries {
		if !IsOrg(e) {
			repoEntries = append(repoEntries, e)
			continue
		}
		o, err := ParseOrg(e)
		if err != nil {
			return nil, nil, err
		}
		orgs = append(orgs, o)
	}
	if len(repoEntries) == 0 {
		return nil, orgs, nil
	}
	repo, err := Validate(org, repoEntries)
	if err != nil {
		return nil, nil, err
	}
	return repo, orgs, nil
}
