package scope

import (
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/oatgate/oatgate/caddymodule/access"
)

// sc builds a scope from a pattern and actions, for tables.
func sc(pattern string, actions ...access.Action) Scope {
	return Scope{Pattern: pattern, Actions: set(actions...)}
}

var (
	pull       = []access.Action{access.Pull}
	push       = []access.Action{access.Push}
	del        = []access.Action{access.Delete}
	pullPush   = []access.Action{access.Pull, access.Push}
	long249    = strings.Repeat("a", 249)
	everyAlnum = perAlnum("acme/", "*")
	// atLimit covers acme/<249 a> and every name one byte longer, which
	// is every name acme/<249 a>* can match within MaxNameLen.
	atLimit = append(perAlnum("acme/"+long249, ""), sc("acme/"+long249, pull...))
)

// perAlnum returns a pull scope prefix+c+suffix for every letter and digit c.
func perAlnum(prefix, suffix string) []Scope {
	var out []Scope
	for _, c := range "abcdefghijklmnopqrstuvwxyz0123456789" {
		out = append(out, sc(prefix+string(c)+suffix, pull...))
	}
	return out
}

var ()

func TestCovers(t *testing.T) {
	tests := []struct {
		name   string
		holder []Scope
		wanted Scope
		want   bool
	}{
		{"a scope covers itself", []Scope{sc("acme/app", push...)}, sc("acme/app", push...), true},
		{"push covers pull on the same repository", []Scope{sc("acme/app", push...)}, sc("acme/app", pull...), true},
		{"push covers pull and push listed together", []Scope{sc("acme/app", push...)}, sc("acme/app", pullPush...), true},
		{"delete covers push", []Scope{sc("acme/app", del...)}, sc("acme/app", push...), true},
		{"pull does not cover push", []Scope{sc("acme/app", pull...)}, sc("acme/app", push...), false},
		{"push does not cover delete", []Scope{sc("acme/app", push...)}, sc("acme/app", del...), false},
		{"one repository does not cover another", []Scope{sc("acme/app", push...)}, sc("acme/web", pull...), false},
		{"one repository does not cover every repository", []Scope{sc("acme/app", push...)}, sc("acme/**", pull...), false},
		{"a subtree covers a name inside it", []Scope{sc("acme/**", pull...)}, sc("acme/team/app", pull...), true},
		{"a subtree covers a star", []Scope{sc("acme/**", pull...)}, sc("acme/*", pull...), true},
		{"a subtree covers a smaller subtree", []Scope{sc("acme/**", pull...)}, sc("acme/team/**", pull...), true},
		{"a subtree covers a glob in the middle", []Scope{sc("acme/**", pull...)}, sc("acme/**/app-*", pull...), true},
		{"a subtree does not cover the org's own name", []Scope{sc("acme/**", pull...)}, sc("acme", pull...), false},
		{"a star does not cover a subtree", []Scope{sc("acme/*", pull...)}, sc("acme/**", pull...), false},
		{"a star and a deeper subtree together cover a subtree", []Scope{sc("acme/*", pull...), sc("acme/*/**", pull...)}, sc("acme/**", pull...), true},
		{"two scopes cover together only with the actions wanted", []Scope{sc("acme/*", push...), sc("acme/*/**", pull...)}, sc("acme/**", push...), false},
		{"the same two scopes cover the smaller action", []Scope{sc("acme/*", push...), sc("acme/*/**", pull...)}, sc("acme/**", pull...), true},
		{"two prefixes do not cover every name", []Scope{sc("acme/a*", pull...), sc("acme/b*", pull...)}, sc("acme/*", pull...), false},
		{"a prefix per letter and digit covers a star, as names start with one", everyAlnum, sc("acme/*", pull...), true},
		{"a prefix per letter and digit does not cover a subtree", everyAlnum, sc("acme/**", pull...), false},
		{"a name and its dashed family do not cover a prefix", []Scope{sc("acme/app", pull...), sc("acme/app-*", pull...)}, sc("acme/app*", pull...), false},
		{"a shorter prefix covers a longer one", []Scope{sc("acme/a*", pull...)}, sc("acme/ab*", pull...), true},
		{"a longer prefix does not cover a shorter one", []Scope{sc("acme/ab*", pull...)}, sc("acme/a*", pull...), false},
		{"a suffix glob covers a longer suffix", []Scope{sc("acme/*a", pull...)}, sc("acme/*ba", pull...), true},
		{"an inner literal is covered by a glob requiring it", []Scope{sc("acme/*b*", pull...)}, sc("acme/a*b", pull...), true},
		{"a glob requiring a suffix does not cover one without", []Scope{sc("acme/a*b", pull...)}, sc("acme/a*", pull...), false},
		{"a middle subtree does not cover the name without a middle", []Scope{sc("acme/**/app", pull...)}, sc("acme/app", pull...), false},
		{"a middle subtree covers a middle star", []Scope{sc("acme/**/app", pull...)}, sc("acme/*/app", pull...), true},
		{"a middle star does not cover a middle subtree", []Scope{sc("acme/*/app", pull...)}, sc("acme/**/app", pull...), false},
		{"names past the length limit do not count", atLimit, sc("acme/"+long249+"*", pull...), true},
		{"names at the length limit do count", atLimit[1:], sc("acme/"+long249+"*", pull...), false},
		{"a bare double star covers anything", []Scope{sc("**", pull...)}, sc("acme/**", pull...), true},
		{"an invalid wanted pattern is not covered", []Scope{sc("**", del...)}, sc("acme/**x", pull...), false},
		{"a wanted scope without actions is not covered", []Scope{sc("**", del...)}, sc("acme/app"), false},
		{"a wanted scope with unknown action bits is not covered", []Scope{sc("**", del...)}, Scope{Pattern: "acme/app", Actions: 1 << 7}, false},
		{"an invalid holder pattern covers nothing", []Scope{sc("acme/**x", del...)}, sc("acme/**x", pull...), false},
		{"an empty holder covers nothing", nil, sc("acme/app", pull...), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Covers(tt.holder, tt.wanted); got != tt.want {
				t.Fatalf("Covers(%v, %v) = %v, want %v", tt.holder, tt.wanted, got, tt.want)
			}
			v, witness := coverage(tt.holder, tt.wanted)
			if !tt.want && v == uncovered {
				checkWitness(t, tt.holder, tt.wanted, witness)
			}
		})
	}
}

func TestUncoveredNamesTheShortestRepository(t *testing.T) {
	tests := []struct {
		name   string
		holder []Scope
		wanted Scope
		want   string
	}{
		{"an uncovered exact name is itself", []Scope{sc("acme/app", pull...)}, sc("acme/web", pull...), "acme/web"},
		{"a subtree beyond a star shows two components", []Scope{sc("acme/*", pull...)}, sc("acme/**", pull...), "acme/a/a"},
		{"a star beyond a name shows one more letter", []Scope{sc("acme/app", pull...), sc("acme/app-*", pull...)}, sc("acme/app*", pull...), "acme/appa"},
		{"a covered scope has no example", []Scope{sc("acme/**", pull...)}, sc("acme/*", pull...), ""},
		{"an invalid scope has no example", nil, sc("acme/**x", pull...), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Uncovered(tt.holder, tt.wanted); got != tt.want {
				t.Errorf("Uncovered = %q, want %q", got, tt.want)
			}
		})
	}
}

// checkWitness fails unless name is a valid repository that wanted matches
// and no holder scope with wanted's actions matches.
func checkWitness(t *testing.T, holder []Scope, wanted Scope, name string) {
	t.Helper()
	if !ValidName(name) || !Match(wanted.Pattern, name) {
		t.Fatalf("witness %q is not a valid name that %q matches", name, wanted.Pattern)
	}
	need, _ := largestAction(wanted.Actions)
	for _, h := range holder {
		if h.Actions.Has(need) && Match(h.Pattern, name) {
			t.Fatalf("witness %q is granted by holder scope %v", name, h)
		}
	}
}

// holderAllows reports whether some holder scope grants every action of
// wanted on name, by Match alone: the brute force Covers must agree with.
func holderAllows(holder []Scope, wanted access.Set, name string) bool {
	for _, a := range [...]access.Action{access.Pull, access.Push, access.Delete} {
		if wanted.Add(a) != wanted {
			continue
		}
		ok := false
		for _, h := range holder {
			if h.Actions.Has(a) && Match(h.Pattern, name) {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

// Pools the property test draws from: components that overlap in many
// ways, and names built from the same letters.
var (
	patternParts = []string{"a", "b", "ab", "a-b", "a.b", "*", "a*", "*b", "a*b", "*-*", "*a*", "**"}
	nameParts    = []string{"a", "b", "ab", "ba", "aa", "bb", "a-b", "a.b", "a_b", "a__b", "a--b", "b-a", "aab", "abb"}
	fillers      = []string{"", "a", "b", "ab", "a-b", "b.a", "x", "xa"}
	deepFillers  = []string{"a", "b", "b/a", "a/b/a", "x/y"}
)

// randomPattern returns a valid pattern under acme/ of one to three
// components.
func randomPattern(r *rand.Rand) string {
	for {
		parts := []string{"acme"}
		for range 1 + r.IntN(3) {
			parts = append(parts, patternParts[r.IntN(len(patternParts))])
		}
		if p := strings.Join(parts, "/"); ValidPattern(p) {
			return p
		}
	}
}

func randomActions(r *rand.Rand) access.Set {
	var s access.Set
	for s == 0 {
		for _, a := range [...]access.Action{access.Pull, access.Push, access.Delete} {
			if r.IntN(2) == 0 {
				s = s.Add(a)
			}
		}
	}
	return s
}

// sampleNames returns every name of acme/ plus one to three nameParts.
func sampleNames() []string {
	names := []string{"acme"}
	level := []string{"acme"}
	for range 3 {
		var next []string
		for _, prefix := range level {
			for _, p := range nameParts {
				next = append(next, prefix+"/"+p)
			}
		}
		names = append(names, next...)
		level = next
	}
	return names
}

// instances returns names wanted matches, made by filling its stars.
func instances(r *rand.Rand, pattern string, n int) []string {
	var out []string
	for range n {
		var b strings.Builder
		for i, c := range strings.Split(pattern, "/") {
			if i > 0 {
				b.WriteByte('/')
			}
			if c == anyComponents {
				b.WriteString(deepFillers[r.IntN(len(deepFillers))])
				continue
			}
			for j := 0; j < len(c); j++ {
				if c[j] == '*' {
					b.WriteString(fillers[r.IntN(len(fillers))])
				} else {
					b.WriteByte(c[j])
				}
			}
		}
		if name := b.String(); ValidName(name) && Match(pattern, name) {
			out = append(out, name)
		}
	}
	return out
}

// TestCoversAgreesWithBruteForce checks random holder and wanted scopes
// against the gateway's own Grants over sampled names: when Covers says
// true, no sampled name that wanted matches is refused by the holder's
// grants; when it says false, its example name is a real escalation.
func TestCoversAgreesWithBruteForce(t *testing.T) {
	r := rand.New(rand.NewPCG(15, 2026))
	names := sampleNames()
	counts := map[verdict]int{}
	for i := range 3000 {
		var holder []Scope
		for range 1 + r.IntN(4) {
			holder = append(holder, Scope{Pattern: randomPattern(r), Actions: randomActions(r)})
		}
		wanted := Scope{Pattern: randomPattern(r), Actions: randomActions(r)}
		v, witness := coverage(holder, wanted)
		counts[v]++
		switch v {
		case undecided:
			t.Fatalf("case %d: Covers(%v, %v) could not decide a small question", i, holder, wanted)
		case uncovered:
			checkWitness(t, holder, wanted, witness)
			continue
		}
		grants := Compile("acme", holder)
		for _, name := range append(instances(r, wanted.Pattern, 20), names...) {
			if !Match(wanted.Pattern, name) {
				continue
			}
			for _, a := range [...]access.Action{access.Pull, access.Push, access.Delete} {
				if wanted.Actions.Add(a) == wanted.Actions && !grants.Allows(name, a) {
					t.Fatalf("case %d: Covers(%v, %v) = true, but the holder's grants refuse %s on %q", i, holder, wanted, a, name)
				}
			}
		}
	}
	// A generator that only ever produced one answer would prove nothing.
	if counts[covered] < 300 || counts[uncovered] < 300 {
		t.Fatalf("verdicts %v: want at least 300 covered and 300 uncovered cases", counts)
	}
	t.Logf("verdicts: %d covered, %d uncovered", counts[covered], counts[uncovered])
}

// TestCoversStaysCheapOnHostileScopes bounds the cost of questions an
// attacker with org:tokens:write could ask, and checks each answer is safe.
func TestCoversStaysCheapOnHostileScopes(t *testing.T) {
	stars := func(n int, lit string) string { return strings.Repeat("*"+lit, n) + "*" }
	var manyStars, mixed []Scope
	for i := range MaxScopes {
		manyStars = append(manyStars, sc("acme/"+stars(1+i%20, "a")+"/**", del...))
		mixed = append(mixed, sc("acme/"+stars(1+i%7, "ab")+"/"+stars(1+i%5, "ba")+"/**", del...))
	}
	tests := []struct {
		name   string
		holder []Scope
		wanted Scope
	}{
		{"many stars against a star pile", manyStars, sc("acme/"+stars(60, "a")+"/**/"+stars(40, "b"), pull...)},
		{"alternating literals against a subtree", mixed, sc("acme/**", pull...)},
		{"alternating literals against two star piles", mixed, sc("acme/"+stars(30, "ab")+"/"+stars(30, "ba")+"/**", pull...)},
		{"a long exact-ish glob against star piles", manyStars, sc("acme/"+strings.Repeat("a", 100)+"*/"+stars(20, "a"), pull...)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			v, witness := coverage(tt.holder, tt.wanted)
			elapsed := time.Since(start)
			t.Logf("verdict %d in %v", v, elapsed)
			if v == uncovered {
				checkWitness(t, tt.holder, tt.wanted, witness)
			}
			if v == undecided && Covers(tt.holder, tt.wanted) {
				t.Error("an undecided question answered true")
			}
			if elapsed > 5*time.Second {
				t.Errorf("took %v; the budget should bound it to milliseconds", elapsed)
			}
		})
	}
}

func FuzzCovers(f *testing.F) {
	f.Add("acme/*", "acme/*/**", "acme/**", uint8(2), uint8(2), uint8(2))
	f.Add("acme/a*", "acme/b*", "acme/*", uint8(6), uint8(2), uint8(4))
	f.Add("acme/**/app", "acme/app", "acme/*/app", uint8(8), uint8(2), uint8(2))
	f.Fuzz(func(t *testing.T, h1, h2, w string, a1, a2, aw uint8) {
		holder := []Scope{{Pattern: h1, Actions: access.Set(a1)}, {Pattern: h2, Actions: access.Set(a2)}}
		wanted := Scope{Pattern: w, Actions: access.Set(aw)}
		v, witness := coverage(holder, wanted)
		switch v {
		case uncovered:
			checkWitness(t, holder, wanted, witness)
		case covered:
			r := rand.New(rand.NewPCG(uint64(len(w)), uint64(aw)))
			for _, name := range instances(r, w, 30) {
				if !holderAllows(holder, wanted.Actions, name) {
					t.Fatalf("Covers(%v, %v) = true, but %q is not granted", holder, wanted, name)
				}
			}
		}
	})
}

// TestCoversSaysFalseWhenOverBudget shrinks the budget so that a question
// that is covered cannot be settled, and checks the answer is the safe one.
func TestCoversSaysFalseWhenOverBudget(t *testing.T) {
	holder := []Scope{sc("acme/*", pull...), sc("acme/*/**", pull...)}
	wanted := sc("acme/**", pull...)
	if !Covers(holder, wanted) {
		t.Fatal("Covers = false with the full budget; the question must be covered for this test to mean anything")
	}
	tests := []struct {
		name          string
		states, steps int
	}{
		{"too few states", 3, maxSearchSteps},
		{"too few steps", maxSearchStates, 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			states, steps := maxSearchStates, maxSearchSteps
			maxSearchStates, maxSearchSteps = tt.states, tt.steps
			defer func() { maxSearchStates, maxSearchSteps = states, steps }()
			if v, _ := coverage(holder, wanted); v != undecided {
				t.Errorf("verdict %d, want undecided", v)
			}
			if Covers(holder, wanted) {
				t.Error("Covers = true over budget, want the safe false")
			}
			if got := Uncovered(holder, wanted); got != "" {
				t.Errorf("Uncovered = %q over budget, want no example", got)
			}
		})
	}
}
