package registryreq

import "github.com/distribution/reference"

// validName reports whether s is a repository name in the OCI spec's
// grammar: path components [a-z0-9]+((\.|_|__|-+)[a-z0-9]+)* separated by
// '/', at most reference.RepositoryNameTotalLengthMax bytes. It is
// reference's path-component grammar without the optional domain, so a first
// component with a port or capitals (which the registry's router accepts) is
// refused: a token for acme/** must never match ACME/app or
// localhost:5000/acme/app. Hand-written rather than a regexp because it runs
// on every request; the tests cross-check it against reference's regexps.
func validName(s string) bool {
	if s == "" || len(s) > reference.RepositoryNameTotalLengthMax {
		return false
	}
	start := 0
	for i := 0; i <= len(s); i++ {
		if i == len(s) || s[i] == '/' {
			if !validComponent(s[start:i]) {
				return false
			}
			start = i + 1
		}
	}
	return true
}

// validComponent reports whether c is one name component:
// [a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*.
func validComponent(c string) bool {
	i := 0
	for {
		run := i
		for i < len(c) && byteClass[c[i]]&clsLowerAlnum != 0 {
			i++
		}
		if i == run {
			return false // empty component, or a separator not followed by [a-z0-9]
		}
		if i == len(c) {
			return true
		}
		switch c[i] {
		case '.':
			i++
		case '_':
			i++
			if i < len(c) && c[i] == '_' {
				i++
			}
		case '-':
			for i < len(c) && c[i] == '-' {
				i++
			}
		default:
			return false
		}
	}
}
