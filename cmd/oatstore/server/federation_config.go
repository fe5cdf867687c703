package server

import (
	"net/http"
	"time"

	"go.uber.org/zap"

	"github.com/oatgate/oatgate/cmd/oatstore/federation"
)

// FederationConfig configures trust policies and the exchange of CI jobs'
// ID tokens for federated tokens.
type FederationConfig struct {
	// AllowLoopbackHTTP accepts http:// issuers on loopback addresses, for
	// tests and local development (oatstore serve
	// --insecure-loopback-issuers). Default off: issuers are https only.
	AllowLoopbackHTTP bool
	// AllowPrivateIssuers lets discovery and JWKS fetches connect to
	// private addresses: an issuer inside the network, such as a
	// Kubernetes cluster's service-account issuer (oatstore serve
	// --allow-private-issuers). Default off: fetches connect only to
	// public addresses (loopback too with AllowLoopbackHTTP), so a policy
	// cannot make oatstore probe its network.
	AllowPrivateIssuers bool
	// Retention is how long after a federated token expires or is revoked
	// its row is purged; its audit entries stay. An ID token is accepted
	// only if it expires within the retention less twice the skew (2m), so
	// that none outlives the row of a revoked login. Default 24h; at least
	// MinRetention.
	Retention time.Duration
	// PurgeInterval is how often the purge runs. Default 10m.
	PurgeInterval time.Duration
	// HTTPClient fetches issuers' discovery documents and keys. Default: a
	// client with a 10 s timeout that follows no redirect and connects
	// only where the two switches above allow. One given is used as is,
	// without that check.
	HTTPClient *http.Client
}

// MinRetention is the shortest FederationConfig.Retention: shorter ones
// are raised to it. It leaves ID tokens of up to 3 minutes.
const MinRetention = 5 * time.Minute

// Defaults of FederationConfig.
const (
	defaultRetention     = 24 * time.Hour
	defaultPurgeInterval = 10 * time.Minute
	// retryAfterTooMany is the Retry-After of a 429 for the active bound:
	// federated tokens last minutes, so a minute frees some.
	retryAfterTooMany = "60"
)

// federated is the server's federation state: the options policies are
// validated with, and the verifier whose key caches outlive requests.
type federated struct {
	opts      federation.Options
	verifier  *federation.Verifier
	policies  *policyCache
	retention time.Duration
	interval  time.Duration
}

func newFederated(cfg FederationConfig, now func() time.Time, log *zap.Logger) *federated {
	opts := federation.Options{AllowLoopbackHTTP: cfg.AllowLoopbackHTTP}
	retention := cfg.Retention
	if retention <= 0 {
		retention = defaultRetention
	}
	retention = max(retention, MinRetention)
	f := &federated{
		opts: opts,
		verifier: federation.NewVerifier(federation.VerifierConfig{
			Options:              opts,
			Client:               cfg.HTTPClient,
			AllowPrivateNetworks: cfg.AllowPrivateIssuers,
			Now:                  now,
			Logger:               log.Named("federation"),
			// A login's row, revoked or expired, is kept this long: an ID
			// token valid for longer could come back after the purge and
			// get a new token where the old one was revoked. Its exp may be
			// a skew past MaxRemaining when verified and is honoured a skew
			// past itself: two skews short of the retention.
			MaxRemaining: retention - 2*federation.MaxSkew,
		}),
		policies:  newPolicyCache(now),
		retention: retention,
		interval:  cfg.PurgeInterval,
	}
	if f.interval <= 0 {
		f.interval = defaultPurgeInterval
	}
	if cfg.AllowLoopbackHTTP {
		log.Warn("insecure loopback issuers allowed: trust policies may name http://127.0.0.1 issuers; for tests and development only")
	}
	return f
}
