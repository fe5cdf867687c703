// Package caddymodule is the registry_auth Caddy HTTP handler: it holds every
// registry request to the scopes, organization and expiry of the
// organization access token it carries, logs one usage event per request,
// and hands allowed requests, without the token, to the next handler
// (reverse_proxy to the registry). The parsing and policy it uses live in
// its sub-packages, which do not import Caddy.
package caddymodule

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"go.uber.org/zap"

	"github.com/oatgate/oatgate/caddymodule/catalog"
	"github.com/oatgate/oatgate/caddymodule/decide"
	"github.com/oatgate/oatgate/caddymodule/usage"
	"github.com/oatgate/oatgate/caddymodule/usagereport"
	"github.com/oatgate/oatgate/caddymodule/verify"
)

func init() {
	caddy.RegisterModule(RegistryAuth{})
}

// DefaultRealm is the realm of the Basic challenge when none is set.
const DefaultRealm = "oatgate"

// DefaultMaxPageSize is max_page_size when it is not set.
const DefaultMaxPageSize = decide.DefaultMaxPageSize

// RegistryAuth enforces organization access tokens on a container registry's
// /v2/ API. Clients log in with the organization's name as the username and
// an access token as the password, as in `docker login <host> -u <org> -p
// <token>`, and send them either as HTTP Basic credentials or, by default,
// through Docker's token authentication: 401s carry a Bearer challenge that
// sends clients to the token endpoint this handler serves itself
// (token_path), which answers with a short-lived signed token bound to the
// OAT; registry requests then carry `Authorization: Bearer <token>`, allowed
// only while the token and its OAT both allow them. A CI job may log in
// with its OIDC ID token (a JWT) as the password instead: the token store
// accepts it under a trust policy of the org named as the username and
// answers for a short-lived federated token, which then works as an OAT.
//
// Every request is classified into the repositories and actions it needs;
// anything that cannot be classified is refused and never forwarded. The
// token is checked locally for format, then against a cache, then with the
// token store (RFC 7662 introspection), and must grant every action inside
// its organization's namespace. Allowed requests go to the next handler
// without the client's Authorization header.
//
// Refusals are registry JSON errors: 401 UNAUTHORIZED with the challenge
// (Bearer, or Basic with `challenge basic`) for missing or bad credentials
// (saying whether the token is unknown, revoked, deactivated or expired),
// 401 DENIED with insufficient_scope for a bearer token that lacks what its
// OAT allows, 403 DENIED when the token lacks the scope, 400 NAME_INVALID,
// 404 NOT_FOUND and 405 UNSUPPORTED for requests that are not registry
// requests, 429 TOOMANYREQUESTS with Retry-After for an address that
// presented too many unknown tokens, and 503 UNAVAILABLE with Retry-After
// when the token store cannot be reached and nothing usable is cached.
//
// After a request is allowed these placeholders are set:
//
//	{http.auth.user.id}          the token id (as Caddy's own auth sets it)
//	{registry_auth.token_id}     the token id
//	{registry_auth.token_label}  the token label
//	{registry_auth.org}          the token's organization
//	{registry_auth.repository}   the repository the request acts on
//	{registry_auth.action}       pull, push or delete (empty for /v2/ and the catalog)
//
// Every request, allowed or denied, yields one usage event on the logger
// named "http.handlers.registry_auth.usage"; token endpoint requests are
// events of their own ("token"). With usage_reports (the default), every
// registry request of a token is also counted, in memory, and reported to
// the token store in the background.
type RegistryAuth struct {
	// Store is the base URL of the token store (oatstore or any RFC 7662
	// server that also serves the revocation feed), or the URLs of several
	// oatstore replicas sharing one database: introspections and the
	// revocation feed go to the replica that last answered and fail over to
	// the next on a connection error or a 5xx. A string in JSON for one URL,
	// an array for several; placeholders are replaced, and a placeholder
	// that expands to several URLs separated by spaces gives each. Required.
	Store StoreURLs `json:"store,omitempty"`

	// StoreKey is the key the gateway presents to the token store.
	// Placeholders are replaced at provision time, so
	// `{env.OATSTORE_GATEWAY_KEY}` keeps it out of the config. Required.
	StoreKey string `json:"store_key,omitempty"`

	// Realm is the realm of the Basic challenge sent with 401 answers.
	// Default: "oatgate".
	Realm string `json:"realm,omitempty"`

	// CacheSize is the most verified tokens the gateway remembers. Refused
	// tokens are remembered apart, up to a quarter as many (at least 1024),
	// so that made-up tokens can never push out real ones. Default: 100000.
	CacheSize int64 `json:"cache_size,omitempty"`

	// CacheTTL is how long a verified token is trusted before the store is
	// asked again. Revocations reach the gateway through the revocation feed
	// within RevocationPoll whatever this is. Default: 5m.
	CacheTTL caddy.Duration `json:"cache_ttl,omitempty"`

	// NegativeTTL is how long an unknown, revoked, deactivated or expired
	// token is remembered as refused, so that retries of a bad token do not
	// reach the store. A token the store knows is asked about again as soon
	// as the revocation feed reports a change to it, so reactivating a token
	// takes effect within revocation_poll. Default: 30s.
	NegativeTTL caddy.Duration `json:"negative_ttl,omitempty"`

	// MaxStale is how long after its last verification a token keeps working
	// while no token store replica answers; it is also the longest a token
	// revoked during such an outage keeps working. Must be at least
	// cache_ttl. 0 (`max_stale off` in a Caddyfile) turns the stale window
	// off: past cache_ttl every token needs the store, and gets 503 while it
	// is down. Default (omitted): 15m, or cache_ttl if longer.
	MaxStale *caddy.Duration `json:"max_stale,omitempty"`

	// Timeout bounds one verification with the token store, retries
	// included. Default: 5s.
	Timeout caddy.Duration `json:"timeout,omitempty"`

	// Retries is how many times a verification is retried after a
	// connection error or a 5xx answer from the store (never after a 4xx).
	// 0 disables retries. Default: 2.
	Retries *int `json:"retries,omitempty"`

	// RevocationPoll is how often the store's revocation feed is read; a
	// revoked, deactivated or narrowed token is refused within about this
	// long. Default: 1s.
	RevocationPoll caddy.Duration `json:"revocation_poll,omitempty"`

	// AnonymousPull lists repository patterns anyone may pull without
	// credentials, for public images: exact names or globs where `*` stays
	// within one path component and `**` spans components
	// (e.g. "acme/public/**"). Default: none.
	AnonymousPull []string `json:"anonymous_pull,omitempty"`

	// MaxPageSize caps the `n` a client may ask for on the catalog and tags
	// lists. Default: 1000.
	MaxPageSize int `json:"max_page_size,omitempty"`

	// UnknownTokensPerMinute bounds how many tokens the store does not know
	// (access tokens and CI jobs' ID tokens, on registry requests and at
	// the token endpoint) one client address (an IPv6 /64) may have
	// introspected per minute;
	// past it the client gets 429 TOOMANYREQUESTS. Made-up tokens of a
	// valid format cost nothing to produce, so without a bound one client
	// could keep the store busy. -1 (Caddyfile: off) removes the bound, for
	// load tests from one address. Default: 60.
	UnknownTokensPerMinute int `json:"unknown_tokens_per_minute,omitempty"`

	// MetricsTokenIDs adds oatgate_token_requests_total, requests by org,
	// token id, event and decision, to the metrics. Off by default because
	// every token then becomes its own series. Default: false.
	MetricsTokenIDs bool `json:"metrics_token_ids,omitempty"`

	// Challenge is how 401 answers ask clients to authenticate. "bearer":
	// Docker token authentication, `WWW-Authenticate: Bearer
	// realm="<scheme>://<host><token_path>",service="<service>",scope="..."`,
	// which lets docker, podman, skopeo and containerd pull anonymous_pull
	// repositories logged out and keeps the OAT off most requests.
	// "basic": the Basic challenge of realm, as before. Bearer tokens and
	// Basic credentials are accepted in both modes. Default: "bearer".
	Challenge string `json:"challenge,omitempty"`

	// TokenPath is the path of the token endpoint this handler serves
	// itself (GET with Basic credentials or none, POST with an OAuth2
	// password grant); it is never forwarded. Must not be under /v2/.
	// Default: "/token".
	TokenPath string `json:"token_path,omitempty"`

	// TokenTTL is how long a bearer token lives, never past its OAT's
	// expiry; 1s to 1h. A bearer token dies with its OAT (revoked,
	// deactivated or expired) within revocation_poll whatever this is.
	// Default: 5m.
	TokenTTL caddy.Duration `json:"token_ttl,omitempty"`

	// Service names the gateway in challenges and bearer tokens (their
	// audience and issuer). Replicas behind one name must agree on it.
	// Default: "oatgate".
	Service string `json:"service,omitempty"`

	// TokenKey is the secret bearer tokens are signed with (HMAC-SHA256,
	// through HKDF), at least 16 bytes; placeholders are replaced at
	// provision time. Every replica must have the same. When empty the key
	// is derived from store_key, which replicas share already; set it
	// before rotating store_key, or tokens in flight (5 minutes' worth)
	// are refused once. Default: derived from store_key.
	TokenKey string `json:"token_key,omitempty"`

	// UsageReports sends what each token did (counts per repository and
	// hour, last use, pushes, deletes, inactive tokens presented) to the
	// token store in the background, for its usage and activity APIs.
	// Requests never wait for it; when the store is unreachable for long,
	// the oldest counts are dropped (oatgate_usage_report_dropped_total).
	// false (Caddyfile: usage_reports off) keeps usage in the usage log
	// only. Default: true.
	UsageReports *bool `json:"usage_reports,omitempty"`

	// UsageReportInterval is how often usage is sent to the store. Default:
	// 10s.
	UsageReportInterval caddy.Duration `json:"usage_report_interval,omitempty"`

	// UsageReportBuffer bounds the usage held unsent, in items (a counter
	// of a token × repository × hour, a token's last use, a push, delete
	// or inactive token's presentation); past it the oldest unsent batch
	// is dropped. Default: 100000.
	UsageReportBuffer int `json:"usage_report_buffer,omitempty"`

	verifier  *verify.Verifier
	poolKey   string
	reports   *usagereport.Reporter
	reportKey string
	stores    []string
	policy    *decide.Policy
	cursor    *catalog.Cursor
	challenge string
	logger    *zap.Logger
	usage     *usageLog
	metrics   *metrics
	bearer    *bearerState
}

// CaddyModule returns the Caddy module information.
func (RegistryAuth) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{
		ID:  "http.handlers.registry_auth",
		New: func() caddy.Module { return new(RegistryAuth) },
	}
}

// Provision applies defaults, replaces placeholders and starts the verifier.
func (ra *RegistryAuth) Provision(ctx caddy.Context) error {
	ra.logger = ctx.Logger()
	ra.usage = newUsageLog(ra.logger.Named(usage.LoggerName))

	repl := caddy.NewReplacer()
	ra.stores = ra.stores[:0]
	for _, s := range ra.Store {
		ra.stores = append(ra.stores, strings.Fields(repl.ReplaceKnown(s, ""))...)
	}
	key := repl.ReplaceKnown(ra.StoreKey, "")
	if err := ra.checkOptions(key); err != nil {
		return err
	}
	if ra.Realm == "" {
		ra.Realm = DefaultRealm
	}
	ra.challenge = `Basic realm="` + ra.Realm + `", charset="UTF-8"`
	if ra.MaxPageSize == 0 {
		ra.MaxPageSize = DefaultMaxPageSize
	}

	// The store key is shared by every replica of a deployment, so each can
	// open the catalog cursors another sealed.
	cursor, err := catalog.NewCursor(key)
	if err != nil {
		return fmt.Errorf("setting up catalog cursors: %w", err)
	}
	ra.cursor = cursor

	metrics, err := newMetrics(ctx, ra.MetricsTokenIDs)
	if err != nil {
		return err
	}
	ra.metrics = metrics
	v, poolKey, err := loadVerifier(ra.verifierConfig(key), key, ra.logger)
	if err != nil {
		return fmt.Errorf("setting up token verification: %w", err)
	}
	ra.verifier, ra.poolKey = v, poolKey
	bearer, err := ra.provisionBearer(key)
	if err != nil {
		return err // Cleanup lets go of the verifier
	}
	policy, err := decide.New(decide.Config{Verifier: v, AnonymousPull: ra.AnonymousPull, MaxPageSize: ra.MaxPageSize, Bearer: bearer.verifier(), IDs: v, IDTokens: v})
	if err != nil {
		bearer.close()
		return err // Cleanup lets go of the verifier
	}
	bearer.serve(policy)
	ra.bearer = bearer
	ra.policy = policy
	if cfg, on := ra.reporterConfig(key); on {
		reports, reportKey, err := loadReporter(cfg, ra.logger, ra.metrics)
		if err != nil {
			return fmt.Errorf("setting up usage reports: %w", err) // Cleanup lets go of the rest
		}
		ra.reports, ra.reportKey = reports, reportKey
	}
	return nil
}

// checkOptions refuses options that cannot work, naming the option.
func (ra *RegistryAuth) checkOptions(key string) error {
	if len(ra.stores) == 0 {
		return fmt.Errorf("store is required: the URL of the token store, e.g. http://127.0.0.1:8081")
	}
	for i, s := range ra.stores {
		u, err := url.Parse(s)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("store %q: want an http:// or https:// URL with a host, e.g. http://127.0.0.1:8081", s)
		}
		if u.User != nil {
			return fmt.Errorf("store: put the gateway key in store_key, not in the URL")
		}
		if slices.Contains(ra.stores[:i], s) {
			return fmt.Errorf("store %q is listed twice", s)
		}
	}
	if strings.TrimSpace(key) == "" {
		if ra.StoreKey == "" {
			return fmt.Errorf("store_key is required: the gateway key of the token store, e.g. store_key {env.OATSTORE_GATEWAY_KEY}")
		}
		return fmt.Errorf("store_key %q is empty after replacing placeholders: set the environment variable it names", ra.StoreKey)
	}
	if strings.ContainsAny(ra.Realm, "\"\\\r\n") {
		return fmt.Errorf("realm %q: quotes, backslashes and line breaks are not allowed", ra.Realm)
	}
	var maxStale time.Duration
	if ra.MaxStale != nil {
		maxStale = time.Duration(*ra.MaxStale)
	}
	for _, d := range []struct {
		name string
		d    time.Duration
	}{
		{"cache_ttl", time.Duration(ra.CacheTTL)}, {"negative_ttl", time.Duration(ra.NegativeTTL)}, {"max_stale", maxStale},
		{"timeout", time.Duration(ra.Timeout)}, {"revocation_poll", time.Duration(ra.RevocationPoll)},
	} {
		if d.d < 0 {
			return fmt.Errorf("%s %s: must not be negative", d.name, d.d)
		}
	}
	cacheTTL := time.Duration(ra.CacheTTL)
	if cacheTTL == 0 {
		cacheTTL = verify.DefaultCacheTTL
	}
	if ra.MaxStale == nil {
		maxStale = max(verify.DefaultMaxStale, cacheTTL)
	}
	if maxStale != 0 && maxStale < cacheTTL {
		return fmt.Errorf("max_stale %s is shorter than cache_ttl %s: raise max_stale or lower cache_ttl", maxStale, cacheTTL)
	}
	if ra.CacheSize < 0 {
		return fmt.Errorf("cache_size %d: must not be negative", ra.CacheSize)
	}
	if ra.Retries != nil && *ra.Retries < 0 {
		return fmt.Errorf("retries %d: must not be negative", *ra.Retries)
	}
	if ra.MaxPageSize < 0 {
		return fmt.Errorf("max_page_size %d: must not be negative", ra.MaxPageSize)
	}
	if ra.UsageReportInterval < 0 {
		return fmt.Errorf("usage_report_interval %s: must not be negative", time.Duration(ra.UsageReportInterval))
	}
	if ra.UsageReportBuffer < 0 {
		return fmt.Errorf("usage_report_buffer %d: must not be negative", ra.UsageReportBuffer)
	}
	if ra.UnknownTokensPerMinute < -1 {
		return fmt.Errorf("unknown_tokens_per_minute %d: want a positive number, or -1 (off) for no bound", ra.UnknownTokensPerMinute)
	}
	return nil
}

func (ra *RegistryAuth) verifierConfig(key string) verify.Config {
	cfg := verify.Config{
		StoreURLs:      slices.Clone(ra.stores),
		StoreKey:       key,
		CacheSize:      ra.CacheSize,
		CacheTTL:       time.Duration(ra.CacheTTL),
		NegativeTTL:    time.Duration(ra.NegativeTTL),
		Timeout:        time.Duration(ra.Timeout),
		RevocationPoll: time.Duration(ra.RevocationPoll),
		Logger:         ra.logger,
		// The verifier reads 0 as its default and a negative number as
		// no bound, as this option does.
		UnknownPerMinute: ra.UnknownTokensPerMinute,
	}
	if ra.MaxStale != nil {
		cfg.MaxStale = time.Duration(*ra.MaxStale)
		cfg.NoStale = cfg.MaxStale == 0 // max_stale off
	}
	if ra.metrics != nil {
		cfg.Observer = ra.metrics
	}
	if ra.Retries != nil {
		cfg.Retries = *ra.Retries
		if cfg.Retries == 0 {
			cfg.Retries = -1 // the verifier reads 0 as "default"
		}
	}
	return cfg
}

// Validate checks the provisioned configuration.
func (ra *RegistryAuth) Validate() error {
	if ra.verifier == nil {
		return fmt.Errorf("registry_auth was not provisioned")
	}
	return nil
}

// Cleanup lets go of the verifier and the usage reporter; the last config
// using the verifier stops its revocation poller and releases its cache,
// the last using the reporter flushes it.
func (ra *RegistryAuth) Cleanup() error {
	if ra.reportKey != "" {
		_, _ = reporters.Delete(ra.reportKey) // its Close flushes and never fails
		ra.reports, ra.reportKey = nil, ""
	}
	if ra.poolKey == "" {
		return nil
	}
	_, err := verifiers.Delete(ra.poolKey)
	ra.verifier, ra.poolKey = nil, ""
	ra.bearer.close()
	ra.bearer = nil
	return err
}

// Interface guards
var (
	_ caddy.Provisioner           = (*RegistryAuth)(nil)
	_ caddy.Validator             = (*RegistryAuth)(nil)
	_ caddy.CleanerUpper          = (*RegistryAuth)(nil)
	_ caddyhttp.MiddlewareHandler = (*RegistryAuth)(nil)
)
