package caddymodule

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestTruncateCutsLongValuesAtARuneBoundary(t *testing.T) {
	a := strings.Repeat("a", maxLoggedLen-1)
	tests := []struct{ name, in, want string }{
		{"a short value is kept", "docker/27", "docker/27"},
		{"a value of exactly the bound is kept", a + "b", a + "b"},
		{"an ASCII value is cut at the bound", a + "bcd", a + "b"},
		{"a two-byte rune across the bound goes whole", a + "é", a},
		{"a four-byte rune across the bound goes whole", a[:maxLoggedLen-2] + "😀", a[:maxLoggedLen-2]},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := truncate(tt.in); got != tt.want || !utf8.ValidString(got) {
				t.Fatalf("got %d bytes %q, want %d bytes", len(got), got, len(tt.want))
			}
		})
	}
}
