package verify

import (
	"runtime"
	"sync"
	"weak"

	"github.com/oatgate/oatgate/caddymodule/scope"
)

// grantsPool shares compiled Grants between tokens of one org with the same
// scope string. Grants are immutable, and fleets of tokens (CI jobs, one per
// repository team) tend to carry identical scopes, so a million cached tokens
// need far fewer than a million compiled Grants. The pool holds them weakly:
// a Grants no cached identity uses any more is collected, and its pool slot
// with it.
type grantsPool struct {
	mu sync.Mutex
	m  map[grantsKey]weak.Pointer[scope.Grants]
}

type grantsKey struct{ org, scope string }

func newGrantsPool() *grantsPool {
	return &grantsPool{m: make(map[grantsKey]weak.Pointer[scope.Grants])}
}

// compile returns the Grants of scopes (parsed from raw) for org, shared with
// any live identity of the same org and raw scope string. A nil pool just
// compiles.
func (p *grantsPool) compile(org, raw string, scopes []scope.Scope) *scope.Grants {
	if p == nil {
		return scope.Compile(org, scopes)
	}
	k := grantsKey{org: org, scope: raw}
	if g := p.lookup(k); g != nil {
		return g
	}
	g := scope.Compile(org, scopes)
	p.mu.Lock()
	if old := p.m[k].Value(); old != nil {
		p.mu.Unlock()
		return old // compiled meanwhile by another introspection
	}
	p.m[k] = weak.Make(g)
	p.mu.Unlock()
	runtime.AddCleanup(g, p.drop, k)
	return g
}

func (p *grantsPool) lookup(k grantsKey) *scope.Grants {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.m[k].Value()
}

// drop removes k's slot once its Grants is collected, unless the slot has
// been refilled since.
func (p *grantsPool) drop(k grantsKey) {
	p.mu.Lock()
	if wp, ok := p.m[k]; ok && wp.Value() == nil {
		delete(p.m, k)
	}
	p.mu.Unlock()
}

// size is the number of slots, for tests.
func (p *grantsPool) size() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.m)
}
