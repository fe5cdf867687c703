package scope

import (
	"slices"
	"strings"
)

// The coverage search walks three automata in step over the bytes of a
// candidate repository name, breadth first: the wanted glob, the union of
// the holder globs, and the name grammar. A state where the name is valid
// and the wanted glob accepts but no holder glob does is a name wanted
// grants and the holder does not; breadth first finds the shortest. When no
// such state is reachable within MaxNameLen bytes, the holder covers.
//
// Globs become automata with Match's semantics: "*" is any run of non-slash
// bytes; a "**" component is any run of one or more bytes, which, between
// slashes or the ends of a valid name, is exactly one or more whole
// components (a valid name has no empty component).

// Search budget: a question that needs more is answered "not covered".
// The largest question in the tests that is not built to be hostile (37
// holder scopes at the 255-byte limit) takes 294 states and 390k steps; a
// step costs about 25 ns, so the bounds keep a hostile pile of stars near
// 13 ms a scope. Variables only so that a test can shrink them to reach the
// undecided path.
var (
	maxSearchStates = 1 << 12
	maxSearchSteps  = 1 << 19
)

// globOp is one step of a compiled glob.
type globOp uint8

const (
	opByte   globOp = iota // one literal byte
	opStar                 // any run of non-slash bytes ("*")
	opAny                  // any one byte (the first of "**")
	opAnyRun               // any run of bytes (the rest of "**")
	opAccept               // the end of a glob
)

type globStep struct {
	op globOp
	b  byte
}

// machine is one or more globs compiled into one automaton. A state is an
// index into steps: "before this step". Each glob ends with opAccept.
type machine struct {
	steps  []globStep
	starts []uint16
	// mark and gen dedupe states while a set is built.
	mark []uint32
	gen  uint32
}

// newMachine compiles patterns, each a valid pattern.
func newMachine(patterns ...string) *machine {
	m := &machine{}
	for _, p := range patterns {
		m.starts = append(m.starts, uint16(len(m.steps)))
		for i, c := range splitPattern(nil, p) {
			if i > 0 {
				m.steps = append(m.steps, globStep{op: opByte, b: '/'})
			}
			if c == anyComponents {
				m.steps = append(m.steps, globStep{op: opAny}, globStep{op: opAnyRun})
				continue
			}
			for j := 0; j < len(c); j++ {
				if c[j] == '*' {
					m.steps = append(m.steps, globStep{op: opStar})
				} else {
					m.steps = append(m.steps, globStep{op: opByte, b: c[j]})
				}
			}
		}
		m.steps = append(m.steps, globStep{op: opAccept})
	}
	m.mark = make([]uint32, len(m.steps))
	return m
}

// add puts state i and every state it reaches without reading a byte into
// set, once each.
func (m *machine) add(set []uint16, i uint16) []uint16 {
	for {
		if m.mark[i] == m.gen {
			return set
		}
		m.mark[i] = m.gen
		set = append(set, i)
		if op := m.steps[i].op; op != opStar && op != opAnyRun {
			return set
		}
		i++
	}
}

// start returns the initial state set, sorted.
func (m *machine) start() []uint16 {
	m.gen++
	var set []uint16
	for _, s := range m.starts {
		set = m.add(set, s)
	}
	slices.Sort(set)
	return set
}

// step returns the states reached from set by reading ch, sorted.
func (m *machine) step(set []uint16, ch byte) []uint16 {
	m.gen++
	var next []uint16
	for _, i := range set {
		switch st := m.steps[i]; st.op {
		case opByte:
			if st.b == ch {
				next = m.add(next, i+1)
			}
		case opStar:
			if ch != '/' {
				next = m.add(next, i)
			}
		case opAny:
			next = m.add(next, i+1)
		case opAnyRun:
			next = m.add(next, i)
		}
	}
	slices.Sort(next)
	return next
}

// accepts reports whether set holds the end of some glob.
func (m *machine) accepts(set []uint16) bool {
	for _, i := range set {
		if m.steps[i].op == opAccept {
			return true
		}
	}
	return false
}

// universal reports whether set holds a glob's trailing "**", which
// accepts every continuation.
func (m *machine) universal(set []uint16) bool {
	for _, i := range set {
		if m.steps[i].op == opAnyRun && m.steps[i+1].op == opAccept {
			return true
		}
	}
	return false
}

// nameState is a state of the repository name grammar: components of
// [a-z0-9]+((\.|_|__|-+)[a-z0-9]+)* joined by single slashes.
type nameState uint8

const (
	nameDead   nameState = iota
	nameStart            // at the start of a component
	nameAlnum            // after a letter or digit; a name may end here
	nameDot              // after "."
	nameUnder            // after "_"
	nameUnder2           // after "__"
	nameDash             // after a run of "-"
)

// nameStep reads ch in state s.
func nameStep(s nameState, ch byte) nameState {
	if isAlnumOr(ch, false) {
		if s == nameDead {
			return nameDead
		}
		return nameAlnum
	}
	switch {
	case s == nameAlnum && ch == '/':
		return nameStart
	case s == nameAlnum && ch == '.':
		return nameDot
	case s == nameAlnum && ch == '_':
		return nameUnder
	case s == nameUnder && ch == '_':
		return nameUnder2
	case (s == nameAlnum || s == nameDash) && ch == '-':
		return nameDash
	}
	return nameDead
}

// searchNode is one product state, with the byte and parent that first
// reached it, to spell the name back.
type searchNode struct {
	name   nameState
	want   []uint16
	have   []uint16
	parent int32
	ch     byte
	depth  uint16
}

// search is one coverage question.
type search struct {
	want, have *machine
	alphabet   []byte
}

func newSearch(holder []string, wanted string) *search {
	return &search{
		want:     newMachine(wanted),
		have:     newMachine(holder...),
		alphabet: alphabet(append([]string{wanted}, holder...)),
	}
}

// alphabet returns one byte of each class the automata tell apart: every
// byte the patterns spell, the separators, and one letter or digit that no
// pattern spells, standing for all of them.
func alphabet(patterns []string) []byte {
	var seen [256]bool
	for _, p := range patterns {
		for i := 0; i < len(p); i++ {
			seen[p[i]] = true
		}
	}
	seen['*'] = false
	for _, c := range []byte("/._-") {
		seen[c] = true
	}
	var out []byte
	for c := range 256 {
		if seen[c] {
			out = append(out, byte(c))
		}
	}
	for _, c := range []byte("abcdefghijklmnopqrstuvwxyz0123456789") {
		if !seen[c] {
			return append(out, c)
		}
	}
	return out
}

// maxMachineStates keeps state indexes below 0xffff, which key uses as a
// separator; MaxScopes patterns need about a fifth of it.
const maxMachineStates = 0xfff0

// run explores the product breadth first.
func (s *search) run() (verdict, string) {
	if len(s.have.steps) > maxMachineStates || len(s.want.steps) > maxMachineStates {
		return undecided, ""
	}
	nodes := []searchNode{{name: nameStart, want: s.want.start(), have: s.have.start(), parent: -1}}
	seen := map[string]struct{}{key(nodes[0]): {}}
	steps := 0
	for i := 0; i < len(nodes); i++ {
		n := nodes[i]
		if s.have.universal(n.have) {
			continue
		}
		if n.name == nameAlnum && s.want.accepts(n.want) && !s.have.accepts(n.have) {
			return uncovered, spell(nodes, i)
		}
		if n.depth == MaxNameLen {
			continue
		}
		for _, ch := range s.alphabet {
			ns := nameStep(n.name, ch)
			if ns == nameDead {
				continue
			}
			steps += len(n.want) + len(n.have)
			if steps > maxSearchSteps {
				return undecided, ""
			}
			want := s.want.step(n.want, ch)
			if len(want) == 0 {
				continue
			}
			next := searchNode{name: ns, want: want, have: s.have.step(n.have, ch), parent: int32(i), ch: ch, depth: n.depth + 1}
			k := key(next)
			if _, ok := seen[k]; ok {
				continue
			}
			if len(nodes) >= maxSearchStates {
				return undecided, ""
			}
			seen[k] = struct{}{}
			nodes = append(nodes, next)
		}
	}
	return covered, ""
}

// key identifies a product state.
func key(n searchNode) string {
	var b strings.Builder
	b.Grow(1 + 2*(len(n.want)+len(n.have)) + 2)
	b.WriteByte(byte(n.name))
	for _, st := range n.want {
		b.WriteByte(byte(st >> 8))
		b.WriteByte(byte(st))
	}
	// No state index reaches 0xffff (run checks maxMachineStates).
	b.WriteString("\xff\xff")
	for _, st := range n.have {
		b.WriteByte(byte(st >> 8))
		b.WriteByte(byte(st))
	}
	return b.String()
}

// spell returns the name that reached nodes[i].
func spell(nodes []searchNode, i int) string {
	b := make([]byte, nodes[i].depth)
	for j := i; nodes[j].parent >= 0; j = int(nodes[j].parent) {
		b[nodes[j].depth-1] = nodes[j].ch
	}
	return string(b)
}
