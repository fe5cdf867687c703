package authz

import (
	"strings"
	"testing"
)

// FuzzOnBehalfOf checks that whatever a client declares, what reaches the
// audit log is short and made of the safe alphabet only.
func FuzzOnBehalfOf(f *testing.F) {
	for _, s := range []string{"", "alice@example.com", "ci/bootstrap job", "\x00\x1b[31m", strings.Repeat("x", 200), "ünïcödé", "a\u202eb"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := OnBehalfOf(s)
		if len(got) > maxOnBehalfOf {
			t.Fatalf("OnBehalfOf(%q) = %q, longer than %d bytes", s, got, maxOnBehalfOf)
		}
		for _, c := range got {
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("@._:+-", c)) {
				t.Fatalf("OnBehalfOf(%q) = %q holds %q", s, got, c)
			}
		}
	})
}
