package caddymodule

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/caddyserver/caddy/v2"
	"go.uber.org/zap"

	"github.com/oatgate/oatgate/caddymodule/decide"
	"github.com/oatgate/oatgate/caddymodule/dockertoken"
	"github.com/oatgate/oatgate/caddymodule/verify"
)

// Defaults of the Docker token authentication options.
const (
	DefaultChallenge = challengeBearer
	DefaultTokenPath = "/token"
	DefaultTokenTTL  = dockertoken.DefaultTTL
	DefaultService   = "oatgate"
)

const (
	challengeBearer = "bearer"
	challengeBasic  = "basic"
)

// bearerState is what Docker token authentication needs at run time: the
// token endpoint, the cache of accepted bearer tokens, and what challenges
// say. With `challenge basic` and a store key too short to sign with, the
// endpoint and the cache are nil: bearer tokens are then refused.
type bearerState struct {
	challenge string
	path      string
	service   string
	// realmURL is the realm option when it is a URL: the token endpoint's
	// address as clients must reach it (behind a proxy that rewrites the
	// host, for one). Empty: built from each request.
	realmURL string
	cache    *dockertoken.Cache
	endpoint *dockertoken.Endpoint
	policy   *decide.Policy
}

// provisionBearer applies the defaults of the bearer options, checks them,
// and sets up signing and verification with the key from token_key or, by
// default, derived from storeKey.
func (ra *RegistryAuth) provisionBearer(storeKey string) (*bearerState, error) {
	if ra.Challenge == "" {
		ra.Challenge = DefaultChallenge
	}
	if ra.TokenPath == "" {
		ra.TokenPath = DefaultTokenPath
	}
	if ra.TokenTTL == 0 {
		ra.TokenTTL = caddy.Duration(DefaultTokenTTL)
	}
	if ra.Service == "" {
		ra.Service = DefaultService
	}
	if err := ra.checkBearerOptions(); err != nil {
		return nil, err
	}
	b := &bearerState{challenge: ra.Challenge, path: ra.TokenPath, service: ra.Service}
	if strings.HasPrefix(ra.Realm, "http://") || strings.HasPrefix(ra.Realm, "https://") {
		b.realmURL = ra.Realm
	}

	secret, option := storeKey, "store_key"
	if ra.TokenKey != "" {
		secret, option = caddy.NewReplacer().ReplaceKnown(ra.TokenKey, ""), "token_key"
	}
	key, err := dockertoken.DeriveKey(secret)
	switch {
	case errors.Is(err, dockertoken.ErrShortSecret) && option == "store_key" && ra.Challenge == challengeBasic:
		// Bearer tokens are off; Basic works as it always did.
		return b, nil
	case errors.Is(err, dockertoken.ErrShortSecret) && option == "store_key":
		return nil, fmt.Errorf("store_key is shorter than 16 bytes, too short to derive the bearer token signing key from: set token_key to a random secret of at least 16 bytes (the same on every replica), or set challenge basic")
	case err != nil:
		return nil, fmt.Errorf("token_key %q: at least 16 bytes after replacing placeholders: %w", ra.TokenKey, err)
	}
	signer, err := dockertoken.NewSigner(key, ra.Service, time.Duration(ra.TokenTTL))
	if err != nil {
		return nil, fmt.Errorf("token_ttl: %w", err)
	}
	verifier, err := dockertoken.NewVerifier(ra.Service, ra.Service, key)
	if err != nil {
		return nil, fmt.Errorf("setting up bearer token verification: %w", err)
	}
	size := ra.CacheSize
	if size == 0 {
		size = verify.DefaultCacheSize
	}
	if b.cache, err = dockertoken.NewCache(verifier, size); err != nil {
		return nil, err
	}
	b.endpoint = &dockertoken.Endpoint{Signer: signer, Service: ra.Service, Realm: ra.Realm}
	return b, nil
}

// checkBearerOptions refuses bearer options that cannot work, naming them.
func (ra *RegistryAuth) checkBearerOptions() error {
	if ra.Challenge != challengeBearer && ra.Challenge != challengeBasic {
		return fmt.Errorf("challenge %q: want bearer or basic", ra.Challenge)
	}
	p := ra.TokenPath
	if !strings.HasPrefix(p, "/") || p == "/" || p == "/v2" || strings.HasPrefix(p, "/v2/") || strings.ContainsAny(p, "?#%\"\\ \t\r\n") {
		return fmt.Errorf("token_path %q: want a path such as /token, outside /v2/, without query, quotes or spaces", p)
	}
	if strings.ContainsAny(ra.Service, "\"\\\r\n") {
		return fmt.Errorf("service %q: quotes, backslashes and line breaks are not allowed", ra.Service)
	}
	if ttl := time.Duration(ra.TokenTTL); ttl < time.Second || ttl > dockertoken.MaxTTL {
		return fmt.Errorf("token_ttl %s: want 1s to %s", ttl, dockertoken.MaxTTL)
	}
	if ra.TokenKey != "" && strings.TrimSpace(caddy.NewReplacer().ReplaceKnown(ra.TokenKey, "")) == "" {
		return fmt.Errorf("token_key %q is empty after replacing placeholders: set the environment variable it names", ra.TokenKey)
	}
	return nil
}

// serve completes the state with the policy, which checks the endpoint's
// credentials and knows anonymous access.
func (b *bearerState) serve(p *decide.Policy) {
	b.policy = p
	if b.endpoint != nil {
		b.endpoint.Auth = p
		b.endpoint.Anonymous = p.AnonymousAllows
	}
}

// verifier is the bearer token check the policy uses; nil (refusing
// bearer tokens) when they are off.
func (b *bearerState) verifier() decide.BearerVerifier {
	if b == nil || b.cache == nil {
		return nil
	}
	return b.cache
}

// serves reports whether r is a token endpoint request.
func (b *bearerState) serves(r *http.Request) bool {
	return b != nil && b.endpoint != nil && r.URL.Path == b.path
}

func (b *bearerState) close() {
	if b != nil && b.cache != nil {
		b.cache.Close()
	}
}

// serveToken answers a token endpoint request itself (it never reaches the
// registry) and logs its usage event, `event: token`, with the grant type
// and the scopes granted.
func (ra *RegistryAuth) serveToken(w http.ResponseWriter, r *http.Request) error {
	x := ra.begin(w, r)
	defer ra.finish(x)
	r = r.WithContext(decide.WithClient(r.Context(), x.ev.ClientIP))
	out := ra.bearer.endpoint.Serve(&x.cw, r, x.start)
	ra.recordToken(r.Context(), x, &out)
	if out.Err != nil {
		ra.logger.Error("token endpoint could not issue a token", zap.Error(out.Err))
	}
	return nil
}

// recordToken fills x's usage event from a token request's outcome.
func (ra *RegistryAuth) recordToken(ctx context.Context, x *exchange, out *dockertoken.Outcome) {
	x.event, x.outcome, x.reason = decide.EventToken, decide.Allow, decide.ReasonNone
	if out.Refusal != nil {
		x.outcome, x.reason = decide.Deny, decide.TokenRefusalReason(out.Refusal)
	}
	ev := &x.ev
	ev.Event, ev.Decision, ev.Reason = x.event.String(), x.outcome.String(), x.reason.String()
	ev.Grant = out.Request.Grant.String()
	if sub := out.Identity.Subject; sub.TokenID != "" {
		ev.TokenID, ev.Org = sub.TokenID, sub.Org
		if id := ra.bearer.policy.Identify(ctx, sub.Org, sub.TokenID); id != nil {
			ev.TokenLabel, ev.Policy = id.Label, id.Policy
		}
	}
	if len(out.Granted) > 0 {
		scopes := make([]string, len(out.Granted))
		for i, a := range out.Granted {
			scopes[i] = a.Scope()
		}
		ev.Scope = truncate(strings.Join(scopes, " "))
	}
}
