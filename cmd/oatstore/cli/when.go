package cli

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Every time on the command line (--since, --until, --expires) has one
// syntax, the one `oatgate usage-report --since` takes, so what works in
// one place works in every other:
//
//   - an RFC 3339 time: 2026-12-02T15:04:05Z (or with an offset);
//   - 2026-12-02T15:04, a date 2026-12-02 or a month 2026-12, all UTC
//     (a date is midnight at its start);
//   - a duration, Go's (90m, 36h, 1h30m) or whole days (7d, 90d): back
//     from now for --since and --until, ahead of now for --expires.
const timeSyntax = "a date (2026-12-02, midnight UTC), a month (2026-12), an RFC 3339 time (2026-12-02T15:04:05Z), or a duration (1h, 90m, 7d)"

// timeLayouts are tried in order; none of them parses a duration.
var timeLayouts = []string{time.RFC3339Nano, "2006-01-02T15:04", "2006-01-02", "2006-01"}

// parseWhen reads a time in the one syntax. A duration counts back from now
// unless ahead is set.
func parseWhen(s string, now time.Time, ahead bool) (time.Time, error) {
	for _, layout := range timeLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	d, ok := parseDuration(s)
	if !ok {
		dir := "back from now"
		if ahead {
			dir = "from now"
		}
		return time.Time{}, fmt.Errorf("%q: want %s %s", s, timeSyntax, dir)
	}
	if ahead {
		return now.Add(d), nil
	}
	return now.Add(-d), nil
}

// parseDuration reads a Go duration or a whole number of days ("7d"); it
// refuses negative and zero durations, which no flag means.
func parseDuration(s string) (time.Duration, bool) {
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil || n <= 0 || n > 100*366 || strings.ContainsAny(days, "+-") {
			return 0, false
		}
		return time.Duration(n) * 24 * time.Hour, true
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, false
	}
	return d, true
}

// expiryField turns --expires into the API's field and value. "none" and
// "never" ask for a token that never expires; a whole number of days or
// hours stays relative (expires_in), so the store's clock decides;
// anything else becomes an absolute expires_at.
func expiryField(s string, now time.Time) (field string, value string, err error) {
	if s == "none" || s == "never" {
		return "expires_in", "none", nil
	}
	if d, ok := parseDuration(s); ok {
		switch {
		case d%(24*time.Hour) == 0:
			return "expires_in", strconv.FormatInt(int64(d/(24*time.Hour)), 10) + "d", nil
		case d%time.Hour == 0:
			return "expires_in", strconv.FormatInt(int64(d/time.Hour), 10) + "h", nil
		}
	}
	t, err := parseWhen(s, now, true)
	if err != nil {
		return "", "", fmt.Errorf("--expires %v, or none", err)
	}
	return "expires_at", t.UTC().Format(time.RFC3339), nil
}
