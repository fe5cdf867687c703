package caddymodule

import "testing"

func TestWithoutParamsKeepsEverythingElseAsSent(t *testing.T) {
	tests := []struct {
		name, query, want string
	}{
		{"mount and from go", "mount=sha256:abc&from=acme/a", ""},
		{"other parameters stay in order", "a=1&mount=sha256:abc&b=%2F&from=acme/a&c", "a=1&b=%2F&c"},
		{"encoded names are recognised", "m%6Funt=x&%66rom=y&z=1", "z=1"},
		{"names that do not decode stay, as the registry skips them", "mount%zz=1&from=a", "mount%zz=1"},
		{"similar names stay", "mounts=1&fromage=2", "mounts=1&fromage=2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := withoutParams(tt.query, "mount", "from"); got != tt.want {
				t.Errorf("withoutParams(%q) = %q, want %q", tt.query, got, tt.want)
			}
		})
	}
}
