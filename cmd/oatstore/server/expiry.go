package server

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/oatgate/oatgate/cmd/oatstore/store"
)

// expiry is what a request asked for: nothing, never, a duration from now
// or a point in time. It is resolved against the org's settings inside the
// store's transaction.
type expiry struct {
	set   bool          // expires_at or expires_in was given
	never bool          // "none", or expires_at: null
	in    time.Duration // from expires_in
	at    time.Time     // from expires_at
}

// parseExpiry reads the expires_at / expires_in pair of a request body.
// expiresAt is the raw JSON value ("" when absent).
func parseExpiry(expiresAt string, atNull bool, expiresIn *string) (expiry, error) {
	hasAt := expiresAt != "" || atNull
	if hasAt && expiresIn != nil {
		return expiry{}, fmt.Errorf("give expires_at or expires_in, not both")
	}
	switch {
	case atNull:
		return expiry{set: true, never: true}, nil
	case hasAt:
		t, err := time.Parse(time.RFC3339, expiresAt)
		if err != nil {
			return expiry{}, fmt.Errorf("expires_at %q: want an RFC 3339 time such as 2027-01-01T00:00:00Z", expiresAt)
		}
		return expiry{set: true, at: t}, nil
	case expiresIn != nil:
		return parseExpiresIn(*expiresIn)
	}
	return expiry{}, nil
}

// parseExpiresIn reads "none", "<n>d" or "<n>h".
func parseExpiresIn(s string) (expiry, error) {
	if s == "none" || s == "never" {
		return expiry{set: true, never: true}, nil
	}
	bad := fmt.Errorf("expires_in %q: want \"none\", days like \"30d\" or \"90d\", or hours like \"12h\"", s)
	// At most five digits: 99999d still fits a time.Duration.
	if len(s) < 2 || len(s) > 6 {
		return expiry{}, bad
	}
	unit := map[byte]time.Duration{'d': 24 * time.Hour, 'h': time.Hour}[s[len(s)-1]]
	n, err := strconv.Atoi(s[:len(s)-1])
	if unit == 0 || err != nil || n <= 0 || strings.ContainsAny(s[:len(s)-1], "+-") {
		return expiry{}, bad
	}
	return expiry{set: true, in: time.Duration(n) * unit}, nil
}

// resolve turns the request into an expiry time (nil: never) for a new
// token of org o at now. Without an expiry a token gets the org's default;
// never expiring must be asked for and allowed by the org.
func (e expiry) resolve(o store.Org, now time.Time) (*time.Time, error) {
	if e.never {
		if !o.AllowNeverExpires {
			return nil, store.Invalidf("org %q does not allow tokens that never expire: give expires_in (at most %dd) or expires_at, or let the org allow them (allow_never_expires)", o.Name, o.MaxExpiryDays)
		}
		return nil, nil
	}
	at := e.at
	switch {
	case !e.set:
		at = now.Add(time.Duration(min(o.DefaultExpiryDays, o.MaxExpiryDays)) * 24 * time.Hour)
	case e.in > 0:
		at = now.Add(e.in)
	}
	// Whole seconds: introspection reports exp in seconds, and the gateway
	// and the store must agree on the instant a token stops working.
	at = at.UTC().Truncate(time.Second)
	if !at.After(now) {
		return nil, store.Invalidf("expiry %s is not in the future", at.Format(time.RFC3339))
	}
	limit := now.Add(time.Duration(o.MaxExpiryDays) * 24 * time.Hour)
	if at.After(limit) {
		return nil, store.Invalidf("expiry %s is more than %d days ahead, the most org %q allows (max_expiry_days)", at.Format(time.RFC3339), o.MaxExpiryDays, o.Name)
	}
	return &at, nil
}

// shorten applies a requested expiry to an existing token whose expiry is
// cur: it may come earlier, never later.
func (e expiry) shorten(cur *time.Time, o store.Org, now time.Time) (*time.Time, error) {
	if e.never {
		if cur == nil {
			return nil, nil
		}
		return nil, store.Invalidf("expiry cannot be extended after creation: the token expires at %s", cur.Format(time.RFC3339))
	}
	// resolve checks future and the org maximum; never-expiry is handled.
	next, err := expiry{set: true, in: e.in, at: e.at}.resolve(o, now)
	if err != nil {
		return nil, err
	}
	if cur != nil && next.After(*cur) {
		return nil, store.Invalidf("expiry cannot be extended after creation: the token expires at %s, %s is later", cur.Format(time.RFC3339), next.Format(time.RFC3339))
	}
	return next, nil
}
