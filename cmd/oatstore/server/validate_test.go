package server

import (
	"strings"
	"testing"
)

func TestPlainText(t *testing.T) {
	for _, tc := range []struct {
		name, value, want string
	}{
		{"letters of any script pass", "déploiement 東京 עברית", ""},
		{"combining marks pass", "e\u0301", ""},
		{"symbols and emoji pass", "✓ 🚀 — ©", ""},
		{"a tab is refused", "a\tb", "U+0009 at character 2"},
		{"a right-to-left override is refused", "ci\u202egnp.exe", "U+202E at character 3"},
		{"each embedding and override is refused", "\u202a\u202b\u202c\u202d", "U+202A at character 1"},
		{"an isolate is refused", "x\u2066", "U+2066"},
		{"a pop directional isolate is refused", "x\u2069", "U+2069"},
		{"a left-to-right mark is refused", "\u200e", "U+200E"},
		{"a right-to-left mark is refused", "\u200f", "U+200F"},
		{"a zero-width joiner is refused", "a\u200db", "U+200D"},
		{"a byte order mark is refused", "\ufeffci", "U+FEFF"},
		{"a line separator is refused", "a\u2028b", "U+2028"},
		{"a paragraph separator is refused", "a\u2029b", "U+2029"},
		{"a C1 control is refused", "a\u009bb", "U+009B"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := plainText("label", tc.value)
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("plainText(%q) = %v, want nil", tc.value, err)
			case tc.want != "" && (err == nil || !strings.HasPrefix(err.Error(), "label ") || !strings.Contains(err.Error(), tc.want)):
				t.Errorf("plainText(%q) = %v, want an error naming label and %q", tc.value, err, tc.want)
			}
		})
	}
}
