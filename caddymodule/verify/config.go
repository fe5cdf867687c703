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
	// DefaultUnknownPerMinute is how many introspections of tokens the
	// store does not know one client address may cause per minute.
	DefaultUnknownPerMinute = 60
	// minRefusalCacheSize is the least room refusals get.
	minRefusalCacheSize int64 = 1024
)

// ErrInvalidConfig is wrapped by every error New returns for a bad Config.
var ErrInvalidConfig = errors.New("invalid verifier config")

// Config configures a Verifier. The zero value of every field except StoreURL
// (or StoreURLs) and StoreKey means "use the default".
type Config struct {
	// StoreURL is the base URL of oatstore (or any RFC 7662 server with the
	// revocation feed), e.g. http://127.0.0.1:8081. Required unless
	// StoreURLs is set; not both.
	StoreURL string
	// StoreURLs are the base URLs of several oatstore replicas sharing one
	// database. Introspections and feed polls go to the replica that last
	// answered and fail over to the next one on a connection error or a
	// 5xx, each replica tried before any is tried again. Their feed cursors
	// must be interchangeable (one database).
	StoreURLs []string
	// StoreKey is the gateway key, sent as "Authorization: Bearer <key>" to
	// the store. Required; never logged (String redacts it).
	StoreKey string
	// CacheSize is the most verified tokens the cache holds. Default
	// 100,000.
	CacheSize int64
	// RefusalCacheSize is the most refused tokens the cache holds, in a
	// space of their own so that a flood of made-up tokens can never evict
	// a verified one. Default CacheSize/4, at least 1,024.
	RefusalCacheSize int64
	// CacheTTL is how long a verified token is trusted without asking the
	// store again. Default 5m.
	CacheTTL time.Duration
	// NegativeTTL is how long an unknown, revoked, deactivated or expired
	// answer is cached. A refusal of a token the store knows is dropped as
	// soon as the revocation feed lists the token, so reactivating a token
	// takes effect within RevocationPoll. Refusals are never used stale.
	// Default 30s.
	NegativeTTL time.Duration
	// MaxStale is how long, when the store cannot be asked, a token verified
	// that long ago keeps working. Must be at least CacheTTL. Default 15m, or
	// CacheTTL if that is longer.
	MaxStale time.Duration
	// NoStale turns the stale window off: once a token's CacheTTL has run
	// out, it is answered only by the store, and ErrUnavailable while no
	// replica answers. MaxStale must then be zero.
	NoStale bool
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
	// UnknownPerMinute is how many introspections of tokens the store does
	// not know one client address (an IPv6 /64) may cause per minute, in a
	// burst or spread out; past it, VerifyFrom answers that address's
	// uncached tokens ErrTooManyUnknown until the budget refills. Made-up
	// tokens of a valid format cost nothing to produce, and each would
	// otherwise cost an introspection. Zero means the default; a negative
	// value disables the bound. Default 60.
	UnknownPerMinute int
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
	return fmt.Sprintf("verify.Config{StoreURL:%q StoreURLs:%q StoreKey:%q CacheSize:%d RefusalCacheSize:%d CacheTTL:%s NegativeTTL:%s MaxStale:%s NoStale:%t Timeout:%s Retries:%d RevocationPoll:%s UnknownPerMinute:%d}",
		c.StoreURL, c.StoreURLs, key, c.CacheSize, c.RefusalCacheSize, c.CacheTTL, c.NegativeTTL, c.MaxStale, c.NoStale, c.Timeout, c.Retries, c.RevocationPoll, c.UnknownPerMinute)
}

// GoString is String, so that %#v does not print the key either.
func (c Config) GoString() string { return c.String() }

// withDefaults returns c with every zero field set to its default and checks
// the result. Errors name the offending field.
func (c Config) withDefaults() (Config, error) {
	urls := c.StoreURLs
	if c.StoreURL != "" {
		if len(urls) > 0 {
			return c, fmt.Errorf("%w: StoreURL and StoreURLs are both set; list every replica in StoreURLs", ErrInvalidConfig)
		}
		urls = []string{c.StoreURL}
	}
	if len(urls) == 0 {
		return c, fmt.Errorf("%w: StoreURL is required", ErrInvalidConfig)
	}
	seen := map[string]bool{}
	for _, raw := range urls {
		if err := checkStoreURL(raw); err != nil {
			return c, err
		}
		if seen[raw] {
			return c, fmt.Errorf("%w: store URL %q is listed twice", ErrInvalidConfig, raw)
		}
		seen[raw] = true
	}
	c.StoreURLs = append([]string(nil), urls...)
	c.StoreURL = ""
	if c.StoreKey == "" {
		return c, fmt.Errorf("%w: StoreKey is required", ErrInvalidConfig)
	}
	if c.CacheSize < 0 {
		return c, fmt.Errorf("%w: CacheSize %d must not be negative", ErrInvalidConfig, c.CacheSize)
	}
	if c.RefusalCacheSize < 0 {
		return c, fmt.Errorf("%w: RefusalCacheSize %d must not be negative", ErrInvalidConfig, c.RefusalCacheSize)
	}
	if c.NoStale && c.MaxStale != 0 {
		return c, fmt.Errorf("%w: MaxStale %s is set but NoStale turns the stale window off; set one or the other", ErrInvalidConfig, c.MaxStale)
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
		if d.name == "MaxStale" && c.NoStale {
			continue // stays zero: no stale window
		}
		if *d.v < 0 {
			return c, fmt.Errorf("%w: %s %s must not be negative", ErrInvalidConfig, d.name, *d.v)
		}
		if *d.v == 0 {
			*d.v = d.def
		}
	}
	if !c.NoStale && c.MaxStale < c.CacheTTL {
		return c, fmt.Errorf("%w: MaxStale %s must be at least CacheTTL %s", ErrInvalidConfig, c.MaxStale, c.CacheTTL)
	}
	if c.CacheSize == 0 {
		c.CacheSize = DefaultCacheSize
	}
	if c.RefusalCacheSize == 0 {
		c.RefusalCacheSize = max(c.CacheSize/4, minRefusalCacheSize)
	}
	switch {
	case c.UnknownPerMinute == 0:
		c.UnknownPerMinute = DefaultUnknownPerMinute
	case c.UnknownPerMinute < 0:
		c.UnknownPerMinute = 0 // no bound
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

// checkStoreURL refuses a store URL the client could not use or that would
// carry what belongs elsewhere.
func checkStoreURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("%w: StoreURL: %w", ErrInvalidConfig, err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%w: StoreURL %q: want http(s)://host[:port]", ErrInvalidConfig, raw)
	}
	if u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return fmt.Errorf("%w: StoreURL %q: must not carry a query, fragment or user info", ErrInvalidConfig, u.Redacted())
	}
	return nil
}

// staleWindow is how long after its last verification a cached token keeps
// working while no replica answers, and the option that sets it: the most a
// token revoked during a full outage keeps working.
func (c Config) staleWindow() (time.Duration, string) {
	if c.NoStale {
		return c.CacheTTL, "cache_ttl"
	}
	return c.MaxStale, "max_stale"
}
