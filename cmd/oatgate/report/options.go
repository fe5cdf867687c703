package report

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/oatgate/oatgate/caddymodule/scope"
)

// Period is the length of time one report row covers.
type Period string

// Periods. Period starts are in UTC.
const (
	Hour  Period = "hour"
	Day   Period = "day"
	Month Period = "month"
	// All puts every event in one period, from the first to the last.
	All Period = "all"
)

// ErrBadOption is wrapped by every error about a report option.
var ErrBadOption = errors.New("bad report option")

// ParsePeriod reads "hour", "day", "month" or "all".
func ParsePeriod(s string) (Period, error) {
	switch p := Period(strings.ToLower(s)); p {
	case Hour, Day, Month, All:
		return p, nil
	}
	return "", fmt.Errorf("%w: period %q: want hour, day, month or all", ErrBadOption, s)
}

// start is the beginning of the period t falls in.
func (p Period) start(t time.Time) time.Time {
	t = t.UTC()
	switch p {
	case Hour:
		return t.Truncate(time.Hour)
	case Day:
		return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	case Month:
		return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
	}
	return time.Time{}
}

// format writes a period start the way the period reads best.
func (p Period) format(t time.Time) string {
	switch p {
	case Hour:
		return t.Format("2006-01-02T15Z")
	case Day:
		return t.Format("2006-01-02")
	case Month:
		return t.Format("2006-01")
	}
	return "all"
}

// Options chooses what a report counts and how it groups it. The zero value
// groups by day, org, token, repository and event, with no filter.
type Options struct {
	// Period is the length of a row's time span. Default: Day.
	Period Period
	// Org keeps only events of this organization. Default: every org.
	Org string
	// Token keeps only events of the token with this id or label.
	// Default: every token, and events without one.
	Token string
	// Repository keeps only events on repositories this pattern matches:
	// an exact name or a glob where "*" stays inside a path component and
	// "**" spans components, as in scopes. Default: every event.
	Repository string
	// Since keeps events at or after this time. Default: no lower bound.
	Since time.Time
	// Until keeps events before this time. Default: no upper bound.
	Until time.Time
	// IPs lists each row's client IPs, not only how many there are.
	// Default: false.
	IPs bool
}

func (o *Options) withDefaults() (Options, error) {
	c := *o
	if c.Period == "" {
		c.Period = Day
	}
	if _, err := ParsePeriod(string(c.Period)); err != nil {
		return c, err
	}
	if c.Repository != "" && !scope.ValidPattern(c.Repository) {
		return c, fmt.Errorf("%w: repository %q: want a repository name or glob such as acme/** or acme/app-*", ErrBadOption, c.Repository)
	}
	if !c.Since.IsZero() && !c.Until.IsZero() && !c.Until.After(c.Since) {
		return c, fmt.Errorf("%w: until %s is not after since %s", ErrBadOption, c.Until.Format(time.RFC3339), c.Since.Format(time.RFC3339))
	}
	return c, nil
}

// keep reports whether r passes the filters.
func (o *Options) keep(r *Record) bool {
	switch {
	case o.Org != "" && r.Org != o.Org,
		o.Token != "" && r.TokenID != o.Token && r.TokenLabel != o.Token,
		!o.Since.IsZero() && r.Time.Before(o.Since),
		!o.Until.IsZero() && !r.Time.Before(o.Until),
		o.Repository != "" && !scope.Match(o.Repository, r.Repository):
		return false
	}
	return true
}

// ParseTime reads a --since or --until value relative to now: an RFC 3339
// time, a date (2006-01-02, midnight UTC), a month (2006-01), or a duration
// back from now such as 36h, 7d or 90m.
func ParseTime(s string, now time.Time) (time.Time, error) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04", "2006-01-02", "2006-01"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	if d, ok := parseAgo(s); ok {
		return now.Add(-d), nil
	}
	return time.Time{}, fmt.Errorf("%w: time %q: want 2006-01-02, 2006-01, an RFC 3339 time, or a duration back from now such as 24h or 7d", ErrBadOption, s)
}

// parseAgo reads a Go duration or a whole number of days ("7d").
func parseAgo(s string) (time.Duration, bool) {
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil || n < 0 || n > 100*366 {
			return 0, false
		}
		return time.Duration(n) * 24 * time.Hour, true
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, false
	}
	return d, true
}
