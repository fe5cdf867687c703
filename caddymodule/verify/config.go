package verify

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"go.uber.org/zap"
)

// Defaults applied by New to zero-valued Config fields.
const (
	DefaultCacheSize      int64 = 100_000
	DefaultCacheTTL             = 5 * time.Minute
	DefaultNegativeTTL          = 30 * time.Second
	DefaultMaxStale             = 15 * time.Minute
	DefaultTimeout              = 5 * time.Second
	DefaultRetries              = 2
	DefaultRevocationPoll       = time.Second
)

// ErrInvalidConfig is wrapped by every error New returns for a bad Config.
var ErrInvalidConfig = errors.New("invalid verifier config")

// Config configures a Verifier. The zero value of every field except StoreURL
// and StoreKey means "use the default".
type Config struct {
	// StoreURL is the base URL of oatstore (or any RFC 7662 server with the
	// revocation feed), e.g. http://127.0.0.1:8081. Required.
	StoreURL string
	// StoreKey is the gateway key, sent as "Authorization: Bearer <key>" to
	// the store. Required; never logged (String redacts it).
	StoreKey string
	// CacheSize is the most entries (positive and negative together) the
	// cache holds. Default 100,000.
	CacheSize int64
	// CacheTTL is how long a verified token is trusted without asking the
	// store again. Default 5m.
	CacheTTL time.Duration
	// NegativeTTL is how long an unknown, revoked or expired answer is
	// cached. Negative answers are never used stale. Default 30s.
	NegativeTTL time.Duration
	// MaxStale is how long, when the store cannot be asked, a token verified
	// that long ago keeps working. Must be at least CacheTTL. Default 15m, or
	// CacheTTL if that is longer.
	MaxStale time.Duration
	// Timeout bounds one whole introspection, retries included. Default 5s.
	Timeout time.Duration
	// Retries is how many times an introspection is retried after a
	// connection error or a 5xx answer, with jittered backoff, all within
	// Timeout. Zero means the default; a negative value disables retries.
	// Default 2.
	Retries int
	// RevocationPoll is the interval between polls of the store's revocation
	// feed. Default 1s.
	RevocationPoll time.Duration
	// Logger receives store outages and recoveries (once per outage, not per
	// request). Default: a no-op logger.
	Logger *zap.Logger
	// Observer receives metrics hooks. Default: none.
	Observer Observer
	// Now tells the time; tests replace it. Default time.Now.
	Now func() time.Time
	// HTTPClient is the base client whose transport reaches the store; its
	// own Timeout is left as given, Timeout above applies per introspection.
	// Default: a pooled client from go-cleanhttp.
	HTTPClient *http.Client
}

// String describes the config without the store key.
func (c Config) String() string {
	key := ""
	if c.StoreKey != "" {
		key = "***"
	}
	return fmt.Sprintf("verify.Config{StoreURL:%q StoreKey:%q CacheSize:%d CacheTTL:%s NegativeTTL:%s MaxStale:%s Timeout:%s Retries:%d RevocationPoll:%s}",
		c.StoreURL, key, c.CacheSize, c.CacheTTL, c.NegativeTTL, c.MaxStale, c.Timeout, c.Retries, c.RevocationPoll)
}

// GoString is String, so that %#v does not print the key either.
func (c Config) GoString() string { return c.String() }

// withDefaults returns c with every zero field set to its default and checks
// the result. Errors name the offending field.
func (c Config) withDefaults() (Config, error) {
	if c.StoreURL == "" {
		return c, fmt.Errorf("%w: StoreURL is required", ErrInvalidConfig)
	}
	u, err := url.Parse(c.StoreURL)
	if err != nil {
		return c, fmt.Errorf("%w: StoreURL: %w", ErrInvalidConfig, err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return c, fmt.Errorf("%w: StoreURL %q: want http(s)://host[:port]", ErrInvalidConfig, c.StoreURL)
	}
	if u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return c, fmt.Errorf("%w: StoreURL %q: must not carry a query, fragment or user info", ErrInvalidConfig, u.Redacted())
	}
	if c.StoreKey == "" {
		return c, fmt.Errorf("%w: StoreKey is required", ErrInvalidConfig)
	}
	if c.CacheSize < 0 {
		return c, fmt.Errorf("%w: CacheSize %d must not be negative", ErrInvalidConfig, c.CacheSize)
	}
	durations := []struct {
		name string
		v    *time.Duration
		def  time.Duration
	}{
		{"CacheTTL", &c.CacheTTL, DefaultCacheTTL},
		{"NegativeTTL", &c.NegativeTTL, DefaultNegativeTTL},
		{"MaxStale", &c.MaxStale, max(DefaultMaxStale, c.CacheTTL, DefaultCacheTTL)},
		{"Timeout", &c.Timeout, DefaultTimeout},
		{"RevocationPoll", &c.RevocationPoll, DefaultRevocationPoll},
	}
	for _, d := range durations {
		if *d.v < 0 {
			return c, fmt.Errorf("%w: %s %s must not be negative", ErrInvalidConfig, d.name, *d.v)
		}
		if *d.v == 0 {
			*d.v = d.def
		}
	}
	if c.MaxStale < c.CacheTTL {
		return c, fmt.Errorf("%w: MaxStale %s must be at least CacheTTL %s", ErrInvalidConfig, c.MaxStale, c.CacheTTL)
	}
	if c.CacheSize == 0 {
		c.CacheSize = DefaultCacheSize
	}
	switch {
	case c.Retries == 0:
		c.Retries = DefaultRetries
	case c.Retries < 0:
		c.Retries = 0
	}
	if c.Logger == nil {
		c.Logger = zap.NewNop()
	}
	if c.Observer == nil {
		c.Observer = nopObserver{}
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c, nil
}
