package report

import (
	"errors"
	"testing"
	"time"
)

func TestParseTime(t *testing.T) {
	now := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name, in string
		want     time.Time
	}{
		{"a date is midnight UTC", "2026-01-02", time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)},
		{"a month is its first day", "2026-02", time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)},
		{"an RFC 3339 time keeps its offset", "2026-01-02T03:04:05+02:00", time.Date(2026, 1, 2, 1, 4, 5, 0, time.UTC)},
		{"days count back from now", "7d", now.Add(-7 * 24 * time.Hour)},
		{"a Go duration counts back from now", "36h", now.Add(-36 * time.Hour)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseTime(tt.in, now)
			if err != nil || !got.Equal(tt.want) {
				t.Errorf("ParseTime(%q): got %s, %v; want %s", tt.in, got, err, tt.want)
			}
		})
	}
	for _, bad := range []string{"", "yesterday", "-5d", "-1h", "2026-13-01", "99999999d"} {
		t.Run("rejects "+bad, func(t *testing.T) {
			if got, err := ParseTime(bad, now); !errors.Is(err, ErrBadOption) {
				t.Errorf("ParseTime(%q): got %s, %v; want ErrBadOption", bad, got, err)
			}
		})
	}
}

func TestNewRejectsBadOptions(t *testing.T) {
	day := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		opts Options
	}{
		{"an unknown period", Options{Period: "week"}},
		{"a repository pattern that is not a glob", Options{Repository: "Acme/App"}},
		{"until before since", Options{Since: day, Until: day.Add(-time.Hour)}},
		{"until equal to since", Options{Since: day, Until: day}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := New(tt.opts); !errors.Is(err, ErrBadOption) {
				t.Errorf("New(%+v): got %v, want ErrBadOption", tt.opts, err)
			}
		})
	}
}

func TestPeriodStartsAreUTC(t *testing.T) {
	at := time.Date(2026, 5, 31, 23, 30, 0, 0, time.FixedZone("X", -2*3600)) // 2026-06-01 01:30 UTC
	tests := []struct {
		p    Period
		want string
	}{{Hour, "2026-06-01T01Z"}, {Day, "2026-06-01"}, {Month, "2026-06"}, {All, "all"}}
	for _, tt := range tests {
		t.Run(string(tt.p)+" starts in UTC", func(t *testing.T) {
			if got := tt.p.format(tt.p.start(at)); got != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
		})
	}
}
