package scope

import "strings"

// anyComponents is the pattern component that spans components.
const anyComponents = "**"

// ValidPattern reports whether pattern is a repository pattern: slash-joined
// components, each either "**" or a name component in which "*" may stand
// for any run of characters, at most MaxNameLen bytes. A component must be
// able to match something: "app-*" is valid, "-*" and "**x" are not.
func ValidPattern(pattern string) bool {
	if len(pattern) == 0 || len(pattern) > MaxNameLen {
		return false
	}
	for {
		i := strings.IndexByte(pattern, '/')
		c := pattern
		if i >= 0 {
			c = pattern[:i]
		}
		if !validPatternComponent(c) {
			return false
		}
		if i < 0 {
			return true
		}
		pattern = pattern[i+1:]
	}
}

// validPatternComponent reports whether c is "**" or a component glob that
// could match some name component.
func validPatternComponent(c string) bool {
	if c == anyComponents {
		return true
	}
	return !strings.Contains(c, anyComponents) && validGlobComponent(c, true)
}

// Match reports whether name is a valid repository name (ValidName) that
// pattern matches. Matching is byte-exact, without case folding. In a
// component "*" matches any run of characters, never "/"; a "**" component
// matches one or more whole components, so "acme/**" matches "acme/a" and
// "acme/a/b" but neither "acme" itself nor "acmex/a", and "acme/**/app"
// does not match "acme/app". An invalid pattern matches nothing. Match does
// not allocate.
func Match(pattern, name string) bool {
	if !ValidName(name) || !ValidPattern(pattern) {
		return false
	}
	var buf [maxComponents]string
	return matchPath(splitPattern(buf[:0], pattern), name)
}

// maxComponents bounds the components of a valid pattern: each takes at
// least one byte and a slash.
const maxComponents = (MaxNameLen + 1) / 2

// splitPattern appends the components of a valid pattern to dst.
func splitPattern(dst []string, pattern string) []string {
	for {
		i := strings.IndexByte(pattern, '/')
		if i < 0 {
			return append(dst, pattern)
		}
		dst = append(dst, pattern[:i])
		pattern = pattern[i+1:]
	}
}

// matchPath matches the components of a valid name against pattern
// components with the classic greedy wildcard algorithm, lifted from bytes
// to components: a "**" first takes one component, and on a later mismatch
// the most recent "**" takes one more. Backtracking only to the most recent
// "**" is enough because it can absorb anything an earlier one could; the
// work is at most len(pattern) x components(name) component matches.
// Name offsets past the end (len+1) mean no components are left.
func matchPath(pattern []string, name string) bool {
	p, n := 0, 0
	starP, starN := -1, -1
	for n <= len(name) {
		nc, nNext := component(name, n)
		if p < len(pattern) {
			if pattern[p] == anyComponents {
				p, n = p+1, nNext
				starP, starN = p, n
				continue
			}
			if matchComponent(pattern[p], nc) {
				p, n = p+1, nNext
				continue
			}
		}
		if starP < 0 || starN > len(name) {
			return false
		}
		// Let the most recent "**" take one more component.
		_, starN = component(name, starN)
		p, n = starP, starN
	}
	return p == len(pattern)
}

// component returns the component of s starting at offset i <= len(s) and
// the offset of the next one, len(s)+1 after the last.
func component(s string, i int) (string, int) {
	j := strings.IndexByte(s[i:], '/')
	if j < 0 {
		return s[i:], len(s) + 1
	}
	return s[i : i+j], i + j + 1
}

// matchComponent matches one name component against a component glob in
// which "*" matches any run of bytes, with the classic greedy algorithm.
func matchComponent(pattern, name string) bool {
	p, n := 0, 0
	starP, starN := -1, -1
	for n < len(name) {
		switch {
		case p < len(pattern) && pattern[p] == '*':
			starP, starN = p+1, n
			p++
		case p < len(pattern) && pattern[p] == name[n]:
			p++
			n++
		case starP >= 0:
			starN++
			p, n = starP, starN
		default:
			return false
		}
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}
