package store

import (
	"errors"
	"testing"
	"time"
)

func TestActivityCursorsRoundTripAndRefuseForgeries(t *testing.T) {
	at := time.Date(2026, 12, 3, 7, 15, 39, 232e6, time.UTC)
	for _, c := range []cursorPos{
		{at: at, rank: rankRegistry, id: 1, set: true},
		{at: at, rank: rankManagement, id: 1 << 40, set: true},
	} {
		got, err := parseActivityCursor(c.String())
		if err != nil || got != c {
			t.Errorf("%+v read back as %+v, %v", c, got, err)
		}
	}
	for _, bad := range []string{"", "!!", "bm9wZQ", "MS4yLjM", "MS4wLjA", "MS4wLi0x", "YS4wLjE"} {
		if _, err := parseActivityCursor(bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("cursor %q: got %v, want ErrInvalid", bad, err)
		}
	}
}

func FuzzParseActivityCursor(f *testing.F) {
	f.Add(cursorPos{at: time.UnixMilli(1796282139207).UTC(), rank: rankRegistry, id: 1, set: true}.String())
	for _, s := range []string{"", "MS4yLjM", "MS4wLjA", "=", "MTc5NjI4MjEzOTIwNy4wLjE"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := parseActivityCursor(s)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error %v is not ErrInvalid", err)
			}
			return
		}
		if c.id < 1 || (c.rank != rankRegistry && c.rank != rankManagement) {
			t.Fatalf("accepted %+v", c)
		}
		again, err := parseActivityCursor(c.String())
		if err != nil || again != c {
			t.Fatalf("%q read as %+v, which reads back as %+v, %v", s, c, again, err)
		}
	})
}
