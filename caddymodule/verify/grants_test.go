package verify

import (
	"runtime"
	"testing"
	"time"

	"github.com/oatgate/oatgate/caddymodule/access"
	"github.com/oatgate/oatgate/caddymodule/scope"
)

func TestGrantsPoolSharesIdenticalScopes(t *testing.T) {
	p := newGrantsPool()
	parse := func(s string) []scope.Scope {
		t.Helper()
		sc, err := scope.ParseList(s)
		if err != nil {
			t.Fatalf("ParseList(%q): %v", s, err)
		}
		return sc
	}
	a := p.compile("acme", testScope, parse(testScope))
	b := p.compile("acme", testScope, parse(testScope))
	other := p.compile("beta", "repository:beta/app:pull", parse("repository:beta/app:pull"))

	t.Run("the same org and scope share one Grants", func(t *testing.T) {
		if a != b {
			t.Fatalf("got two Grants %p and %p, want one", a, b)
		}
	})
	t.Run("another org gets its own Grants", func(t *testing.T) {
		if other == a || !other.Allows("beta/app", access.Pull) || other.Allows("acme/app", access.Pull) {
			t.Fatalf("beta's grants: got %p (acme's is %p), want its own, allowing only beta/app", other, a)
		}
	})
	t.Run("a nil pool compiles without sharing", func(t *testing.T) {
		var none *grantsPool
		if g := none.compile("acme", testScope, parse(testScope)); g == nil || g == a || !g.Allows("acme/app", access.Push) {
			t.Fatalf("nil pool: got %p, want fresh grants allowing push on acme/app", g)
		}
	})
	t.Run("unused Grants are collected and their slots freed", func(t *testing.T) {
		runtime.KeepAlive(a)
		runtime.KeepAlive(b)
		runtime.KeepAlive(other)
		a, b, other = nil, nil, nil
		deadline := time.Now().Add(5 * time.Second)
		for p.size() != 0 {
			if time.Now().After(deadline) {
				t.Fatalf("pool slots after GC: got %d, want 0", p.size())
			}
			runtime.GC()
			time.Sleep(10 * time.Millisecond)
		}
	})
}
