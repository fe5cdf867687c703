package scope

import (
	"testing"

	"github.com/oatgate/oatgate/caddymodule/access"
)

func TestHotPathsDoNotAllocate(t *testing.T) {
	g := compile(t, "acme", "repository:acme/app:pull repository:acme/t/**:push repository:acme/**/c-*:delete")
	tests := []struct {
		name string
		fn   func()
	}{
		{"Allows with an exact hit", func() { _ = g.Allows("acme/app", access.Pull) }},
		{"Allows with a subtree hit", func() { _ = g.Allows("acme/t/x/y", access.Pull) }},
		{"Allows with a glob hit", func() { _ = g.Allows("acme/a/b/c-x", access.Delete) }},
		{"Allows with a miss", func() { _ = g.Allows("acme/nothing/here", access.Pull) }},
		{"Match", func() { _ = Match("acme/**/c-*", "acme/a/b/c-x") }},
		{"ValidName", func() { _ = ValidName("acme/a/b/c-x") }},
	}
	for _, tt := range tests {
		t.Run(tt.name+" does not allocate", func(t *testing.T) {
			if got := testing.AllocsPerRun(100, tt.fn); got != 0 {
				t.Errorf("allocations per run = %v, want 0", got)
			}
		})
	}
}
