// Package decide is the gateway's policy, free of Caddy: given a classified
// registry request and the Basic credentials it carried, it asks the token
// verifier who the token is and returns one Decision — allow or refuse, the
// registry error and the reason, the identity, and the rewrites the request
// needs before the registry sees it. The Caddy handler only carries the
// decision out; the table of what is allowed lives here, with its tests.
//
// Denied is not failed: every outcome, including a token store that cannot
// be reached, is a Decision; there is no error return.
package decide

import (
	"context"
	"errors"
	"fmt"

	"github.com/oatgate/oatgate/caddymodule/access"
	"github.com/oatgate/oatgate/caddymodule/credentials"
	"github.com/oatgate/oatgate/caddymodule/registryreq"
	"github.com/oatgate/oatgate/caddymodule/scope"
	"github.com/oatgate/oatgate/caddymodule/verify"
)

// Verifier says who a token, presented from the client address client, is:
// an identity; a refusal (why the token is not active, and which token it is
// when the store knows it); or an error when that cannot be known now
// (verify.ErrUnavailable: the store is unreachable and nothing usable is
// cached; verify.ErrTooManyUnknown: the address has presented too many
// unknown tokens). *verify.Verifier is one.
type Verifier interface {
	VerifyFrom(ctx context.Context, token, client string) (*verify.Identity, *verify.Refusal, error)
}

// DefaultMaxPageSize is Config.MaxPageSize when it is 0.
const DefaultMaxPageSize = 1000

// Config is what a Policy is built from.
type Config struct {
	// Verifier verifies tokens. Required.
	Verifier Verifier
	// AnonymousPull lists repository patterns anyone may pull without
	// credentials. Default: none.
	AnonymousPull []string
	// MaxPageSize caps the n of the catalog and tags lists. Default:
	// DefaultMaxPageSize.
	MaxPageSize int
	// Bearer checks Docker bearer tokens, and IDs says who the OAT behind
	// one is now (bearer.go). Without Bearer, bearer tokens are refused.
	Bearer BearerVerifier
	IDs    IDVerifier
	// IDTokens verifies CI jobs' OIDC ID tokens presented as the password
	// (password.go). Without it such passwords are refused as not being
	// access tokens.
	IDTokens IDTokenVerifier
}

// Policy decides requests. It is immutable and safe for concurrent use.
type Policy struct {
	verifier Verifier
	// anonymous is what anyone may do without credentials: the one place
	// anonymous access is decided. nil grants nothing.
	anonymous   *scope.Grants
	maxPageSize int
	bearer      BearerVerifier
	ids         IDVerifier
	idTokens    IDTokenVerifier
}

// New checks cfg and compiles its anonymous grants. Errors name the
// offending option.
func New(cfg Config) (*Policy, error) {
	if cfg.Verifier == nil {
		return nil, errors.New("decide: a verifier is required")
	}
	if cfg.MaxPageSize < 0 {
		return nil, fmt.Errorf("max_page_size %d: must not be negative", cfg.MaxPageSize)
	}
	if cfg.Bearer != nil && cfg.IDs == nil {
		return nil, errors.New("decide: bearer tokens need an IDVerifier for their OATs")
	}
	p := &Policy{verifier: cfg.Verifier, maxPageSize: cfg.MaxPageSize, bearer: cfg.Bearer, ids: cfg.IDs, idTokens: cfg.IDTokens}
	if p.maxPageSize == 0 {
		p.maxPageSize = DefaultMaxPageSize
	}
	if len(cfg.AnonymousPull) > 0 {
		scopes := make([]scope.Scope, 0, len(cfg.AnonymousPull))
		for _, pattern := range cfg.AnonymousPull {
			s, err := scope.Parse("repository:" + pattern + ":pull")
			if err != nil {
				return nil, fmt.Errorf("anonymous_pull %q: %w", pattern, err)
			}
			scopes = append(scopes, s)
		}
		p.anonymous = scope.CompilePublic(scopes)
	}
	return p, nil
}

// MaxPageSize is the largest page the gateway answers.
func (p *Policy) MaxPageSize() int { return p.maxPageSize }

// Decide decides req, which arrived from the client address client with
// cred, or with credErr when credentials.FromRequest could not read any.
func (p *Policy) Decide(ctx context.Context, req *registryreq.Request, cred credentials.Basic, credErr error, client string) Decision {
	d := Decision{Event: eventOf(req)}
	switch {
	case errors.Is(credErr, credentials.ErrMissing):
		if req.Kind == registryreq.Base {
			// Clients ping /v2/ without credentials before every command
			// to learn how to log in: that is the challenge, not a denial.
			d.Outcome, d.Err = Challenge, unauthorized[ReasonNoCredentials]
			return d
		}
		if p.anonymousCovers(req) {
			return p.authorize(d, req, nil)
		}
		return d.unauthorized(ReasonNoCredentials)
	case credErr != nil:
		return d.unauthorized(ReasonBadCredentials)
	}
	id, refusal, reason, refused, _ := p.verifyPassword(ctx, cred.Username, cred.Password(), client)
	d.Identity, d.Refusal = id, refusal
	if reason != ReasonNone {
		return d.deny(reason, refused)
	}
	return p.authorize(d, req, id.Grants)
}

// authorize checks every (repository, action) pair req needs against grants
// (nil for an anonymous request) and anonymous access. The source of a
// mount is the one pair that may fail: the mount is dropped instead.
func (p *Policy) authorize(d Decision, req *registryreq.Request, grants allower) Decision {
	if req.Kind == registryreq.Catalog && grants == nil {
		return d.unauthorized(ReasonNoCredentials)
	}
	for i, need := range req.Needs() {
		if p.allows(grants, need) {
			continue
		}
		if i > 0 && req.Mount && need.Repository == req.MountFrom && need.Action == access.Pull {
			continue // the mount is dropped below
		}
		return d.deny(ReasonScope, denied(need))
	}
	d.Outcome = Allow
	d.Rewrite.DropMount = req.Mount && (req.MountFrom == "" || !p.allows(grants, access.Access{Repository: req.MountFrom, Action: access.Pull}))
	if req.Kind == registryreq.Catalog || req.Kind == registryreq.TagsList {
		var rewrite bool
		d.PageSize, rewrite = p.pageSize(req)
		// The catalog is answered by the gateway, which asks the
		// registry its own pages; only a tags list goes as sent.
		d.Rewrite.SetPageSize = rewrite && req.Kind == registryreq.TagsList
	}
	return d
}

// allows reports whether grants or anonymous access allow need.
func (p *Policy) allows(grants allower, need access.Access) bool {
	return (grants != nil && grants.Allows(need.Repository, need.Action)) || p.anonymous.Allows(need.Repository, need.Action)
}

// anonymousCovers reports whether anonymous access allows everything req
// needs. /v2/ and the catalog need nothing and so are never covered: clients
// are challenged there and log in.
func (p *Policy) anonymousCovers(req *registryreq.Request) bool {
	needs := req.Needs()
	if p.anonymous == nil || len(needs) == 0 {
		return false
	}
	for _, need := range needs {
		if !p.anonymous.Allows(need.Repository, need.Action) {
			return false
		}
	}
	return true
}

// pageSize is the one page-size rule: the client's n within MaxPageSize, or
// MaxPageSize when it sent none; n=0 is an empty page, as the registry
// answers it. The registry must be told when it would read a different n
// than that (a tags list asked for more than the maximum).
func (p *Policy) pageSize(req *registryreq.Request) (size int, rewrite bool) {
	if !req.HasN {
		return p.maxPageSize, false
	}
	if req.N > p.maxPageSize {
		return p.maxPageSize, true
	}
	return req.N, false
}

// MayPull reports whether the holder of id (nil: no token) may pull
// repository: what the catalog lists.
func (p *Policy) MayPull(id *verify.Identity, repository string) bool {
	return p.allows(grantsOf(id), access.Access{Repository: repository, Action: access.Pull})
}

// Namespace is the org whose namespace holds every repository the holder of
// id may pull, or "" when names outside one namespace may be visible
// (anonymous access is configured). The catalog reads only that namespace.
func (p *Policy) Namespace(id *verify.Identity) string {
	if p.anonymous != nil {
		return ""
	}
	return grantsOf(id).Org()
}

func grantsOf(id *verify.Identity) *scope.Grants {
	if id == nil {
		return nil
	}
	return id.Grants
}

// eventOf names what req is.
func eventOf(req *registryreq.Request) Event {
	switch req.Kind {
	case registryreq.Base:
		return EventLogin
	case registryreq.Catalog:
		return EventCatalog
	}
	switch req.Action() {
	case access.Push:
		return EventPush
	case access.Delete:
		return EventDelete
	}
	return EventPull
}
