package federation

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"go.uber.org/zap"

	"github.com/oatgate/oatgate/cmd/oatstore/egress"
)

// VerifierConfig configures a Verifier. The zero value is usable: https
// issuers only, the real clock, 60 s of skew, keys refetched for an
// unknown kid at most once a minute.
type VerifierConfig struct {
	Options
	// Client fetches discovery documents and JWKSs. Default: a client
	// with a 10 s timeout that follows no redirect (a redirect could lead
	// from https to http) and connects only to public addresses (package
	// egress; loopback too with AllowLoopbackHTTP): a policy's issuer is
	// an org's to choose, and fetching it must not probe the network
	// oatstore runs in. A Client given is used as is. Whichever it is,
	// answers are cut at 1 MiB.
	Client *http.Client
	// AllowPrivateNetworks lets the default client connect to private
	// addresses (10/8, 172.16/12, 192.168/16, fc00::/7...): issuers inside
	// the network, such as a Kubernetes cluster's service-account issuer
	// (oatstore serve --allow-private-issuers). Default false.
	AllowPrivateNetworks bool
	// Now is the clock. Default time.Now.
	Now func() time.Time
	// Skew is how far exp, nbf and iat may be off. Default and maximum 60s.
	Skew time.Duration
	// MinRefetch is the least time between two JWKS fetches of one issuer.
	// Default 1m.
	MinRefetch time.Duration
	// KeysMaxAge is how long fetched keys are used before they are fetched
	// again (a key the issuer dropped stops verifying by then). Default 1h.
	KeysMaxAge time.Duration
	// FetchTimeout bounds one discovery plus JWKS fetch. Default 10s.
	FetchTimeout time.Duration
	// MaxRemaining refuses a token whose exp is further ahead than this: an
	// ID token good for days is a long-lived secret, not a CI job's
	// identity, and it would outlive the store's record of a revoked login
	// (see oatstore's purge, whose retention the server passes here).
	// Default 24h.
	MaxRemaining time.Duration
	// Logger receives fetch failures (issuer and error, never a token).
	// Default: none.
	Logger *zap.Logger
	// MaxConcurrent bounds the signature checks that run at once, over
	// every issuer: the CPU an unauthenticated flood of tokens can take.
	// Default 4 × GOMAXPROCS.
	MaxConcurrent int
	// BusyWait is how long a token waits for a free check before it is
	// refused with ErrBusy. Default 1s.
	BusyWait time.Duration
}

// MaxSkew is the most clock skew a verifier tolerates.
const MaxSkew = 60 * time.Second

func (c *VerifierConfig) defaults() {
	if c.Client == nil {
		c.Client = &http.Client{
			Timeout:       10 * time.Second,
			Transport:     egress.Policy{Loopback: c.AllowLoopbackHTTP, Private: c.AllowPrivateNetworks}.Transport(10 * time.Second),
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}
	}
	c.Client = bounded(c.Client)
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Skew <= 0 || c.Skew > MaxSkew {
		c.Skew = MaxSkew
	}
	if c.MinRefetch <= 0 {
		c.MinRefetch = time.Minute
	}
	if c.KeysMaxAge <= 0 {
		c.KeysMaxAge = time.Hour
	}
	if c.FetchTimeout <= 0 {
		c.FetchTimeout = 10 * time.Second
	}
	if c.MaxRemaining <= 0 {
		c.MaxRemaining = 24 * time.Hour
	}
	if c.Logger == nil {
		c.Logger = zap.NewNop()
	}
	if c.MaxConcurrent <= 0 {
		c.MaxConcurrent = 4 * runtime.GOMAXPROCS(0)
	}
	if c.BusyWait <= 0 {
		c.BusyWait = time.Second
	}
}

func (c *VerifierConfig) logFetchFailure(issuer string, err error) {
	c.Logger.Warn("fetching OIDC issuer keys failed", zap.String("issuer", issuer), zap.Error(err))
}

// Verifier verifies ID tokens of any issuer a policy names, caching each
// issuer's discovery and keys. Safe for concurrent use.
type Verifier struct {
	cfg VerifierConfig

	mu      sync.Mutex
	issuers map[string]*issuerVerifier
	// checks holds a slot per signature check running (MaxConcurrent).
	checks chan struct{}
}

// issuerVerifier is go-oidc's verifier over one issuer's key set.
type issuerVerifier struct {
	keys   *keySet
	verify *oidc.IDTokenVerifier
}

// NewVerifier returns a Verifier; it fetches nothing until a token comes.
func NewVerifier(cfg VerifierConfig) *Verifier {
	cfg.defaults()
	return &Verifier{cfg: cfg, issuers: map[string]*issuerVerifier{}, checks: make(chan struct{}, cfg.MaxConcurrent)}
}

// Token is a verified ID token.
type Token struct {
	Issuer   string
	Subject  string
	Audience []string
	Expiry   time.Time
	Claims   Claims
}

// Verify checks that jwt is an ID token issued by issuer (a policy's
// issuer; never a value read from the token alone), signed with one of its
// keys in an allowed algorithm, and valid now within the skew. It returns
// the token, or an error wrapping ErrRefused, ErrUnavailable or ErrBusy. The
// audience is the caller's to check against each policy (Token.HasAudience).
func (v *Verifier) Verify(ctx context.Context, issuer, jwt string) (Token, error) {
	if err := CheckIssuer(issuer, v.cfg.Options); err != nil {
		return Token{}, refused("issuer: %v", err)
	}
	if len(jwt) > MaxJWTLen {
		return Token{}, refused("token longer than %d bytes", MaxJWTLen)
	}
	iv := v.issuer(issuer)
	// go-oidc flattens the key set's error into text; the key set leaves
	// it here too, so that unavailable stays unavailable.
	var sigErr error
	idt, err := iv.verify.Verify(context.WithValue(ctx, signatureErrKey{}, &sigErr), jwt)
	if err != nil {
		if errors.Is(sigErr, ErrUnavailable) || errors.Is(sigErr, ErrRefused) || errors.Is(sigErr, ErrBusy) {
			return Token{}, sigErr
		}
		return Token{}, refused("%v", err)
	}
	claims, err := payloadClaims(jwt)
	if err != nil {
		return Token{}, err
	}
	if err := v.checkTimes(claims); err != nil {
		return Token{}, err
	}
	return Token{Issuer: idt.Issuer, Subject: idt.Subject, Audience: idt.Audience, Expiry: idt.Expiry, Claims: claims}, nil
}

// signatureErrKey is the context key under which VerifySignature leaves
// its error for Verify.
type signatureErrKey struct{}

// issuer returns the verifier of one issuer, made on first use.
func (v *Verifier) issuer(issuer string) *issuerVerifier {
	v.mu.Lock()
	defer v.mu.Unlock()
	if iv, ok := v.issuers[issuer]; ok {
		return iv
	}
	keys := &keySet{issuer: issuer, cfg: &v.cfg, checks: v.checks}
	algs := make([]string, len(Algorithms))
	for i, a := range Algorithms {
		algs[i] = string(a)
	}
	iv := &issuerVerifier{
		keys: keys,
		// Expiry and audience are checked here, not by go-oidc: it allows
		// five minutes of skew on nbf and none on exp, and one policy's
		// audience is not another's.
		verify: oidc.NewVerifier(issuer, keys, &oidc.Config{
			SkipClientIDCheck:    true,
			SkipExpiryCheck:      true,
			SupportedSigningAlgs: algs,
			Now:                  v.cfg.Now,
		}),
	}
	v.issuers[issuer] = iv
	return iv
}

// payloadClaims decodes the payload of a JWS whose signature go-oidc has
// verified, keeping numbers as json.Number.
func payloadClaims(jwt string) (Claims, error) {
	parts := strings.Split(jwt, ".")
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return nil, refused("payload is not base64url")
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var c Claims
	if err := dec.Decode(&c); err != nil {
		return nil, refused("payload is not a JSON object")
	}
	return c, nil
}

// checkTimes refuses a token without exp, past exp, before nbf or issued
// in the future, each within the skew.
func (v *Verifier) checkTimes(c Claims) error {
	now := v.cfg.Now()
	exp, ok := unixClaim(c, "exp")
	if !ok {
		return refused("no numeric exp claim")
	}
	if !now.Before(exp.Add(v.cfg.Skew)) {
		return refused("expired at %s", exp.UTC().Format(time.RFC3339))
	}
	if exp.Sub(now) > v.cfg.MaxRemaining+v.cfg.Skew {
		return refused("expires at %s, more than %s ahead", exp.UTC().Format(time.RFC3339), v.cfg.MaxRemaining)
	}
	if _, present := c["nbf"]; present {
		nbf, ok := unixClaim(c, "nbf")
		if !ok || now.Before(nbf.Add(-v.cfg.Skew)) {
			return refused("not valid before %s", nbf.UTC().Format(time.RFC3339))
		}
	}
	if _, present := c["iat"]; present {
		iat, ok := unixClaim(c, "iat")
		if !ok || iat.After(now.Add(v.cfg.Skew)) {
			return refused("issued in the future, at %s", iat.UTC().Format(time.RFC3339))
		}
	}
	return nil
}

// maxUnixSeconds bounds a NumericDate (the year 2261): its nanoseconds
// since 1970 must fit a time.Duration, or a far-future nbf or iat would
// wrap into the past.
const maxUnixSeconds = 9.2e9

// unixClaim reads a NumericDate claim (seconds, possibly fractional); one
// beyond maxUnixSeconds is not a date.
func unixClaim(c Claims, name string) (time.Time, bool) {
	n, ok := c[name].(json.Number)
	if !ok {
		return time.Time{}, false
	}
	f, err := n.Float64()
	if err != nil || f < 0 || f > maxUnixSeconds {
		return time.Time{}, false
	}
	return time.Unix(0, 0).Add(time.Duration(f * float64(time.Second))), true
}

// HasAudience reports whether the token's aud holds audience.
func (t Token) HasAudience(audience string) bool {
	for _, a := range t.Audience {
		if a == audience {
			return true
		}
	}
	return false
}
