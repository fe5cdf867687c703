package scope

import (
	"strings"

	"github.com/distribution/reference"
)

// MaxNameLen is the longest repository name, and the longest pattern, in
// bytes: the limit of distribution's name grammar.
const MaxNameLen = reference.RepositoryNameTotalLengthMax

// ValidName reports whether name is a repository name as the OCI
// distribution spec writes it: path components matching
// [a-z0-9]+((\.|_|__|-+)[a-z0-9]+)* joined by single slashes, at most
// MaxNameLen bytes. Unlike distribution/reference, the first component may
// not be a registry host ("host:port", uppercase): the gateway sees names
// as the registry's router does, without a domain.
func ValidName(name string) bool {
	if len(name) == 0 || len(name) > MaxNameLen {
		return false
	}
	for {
		i := strings.IndexByte(name, '/')
		if i < 0 {
			return validComponent(name)
		}
		if !validComponent(name[:i]) {
			return false
		}
		name = name[i+1:]
	}
}

// ValidOrg reports whether org can name an organization: one name
// component, the first component of every repository in its namespace.
func ValidOrg(org string) bool {
	return len(org) <= MaxNameLen && validComponent(org)
}

// validComponent reports whether c matches
// [a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*.
func validComponent(c string) bool { return validGlobComponent(c, false) }

// validGlobComponent is validComponent where, if star is set, "*" counts as
// an alphanumeric. That is the most permissive reading of a glob's "*" (an
// alphanumeric may sit next to anything), so a glob component that fails it
// can match no name component.
func validGlobComponent(c string, star bool) bool {
	if len(c) == 0 || !isAlnumOr(c[0], star) || !isAlnumOr(c[len(c)-1], star) {
		return false
	}
	for i := 1; i < len(c); i++ {
		switch ch := c[i]; {
		case isAlnumOr(ch, star):
		case ch == '.':
			if !isAlnumOr(c[i-1], star) {
				return false
			}
		case ch == '_':
			// "_" or "__", always after an alphanumeric.
			if !isAlnumOr(c[i-1], star) && (c[i-1] != '_' || i < 2 || !isAlnumOr(c[i-2], star)) {
				return false
			}
		case ch == '-':
			// Any run of dashes, after an alphanumeric.
			if !isAlnumOr(c[i-1], star) && c[i-1] != '-' {
				return false
			}
		default:
			return false
		}
	}
	return true
}

// isAlnumOr reports whether c is a lowercase letter or digit, or "*" when
// star is set.
func isAlnumOr(c byte, star bool) bool {
	return 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || star && c == '*'
}
