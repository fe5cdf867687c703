package registryreq

import (
	"net/url"
	"strings"

	"github.com/oatgate/oatgate/caddymodule/registryerr"
)

// param identifies a query parameter that changes a request's meaning.
type param uint8

const (
	paramMount param = iota
	paramFrom
	paramDigest
	paramN
	paramLast
	paramArtifactType
	paramCount
)

// query holds the decoded values of the parameters that matter. An empty
// value counts as absent, as it does for the registry's r.FormValue checks,
// but still counts toward the given-twice rule.
type query struct {
	values [paramCount]string
	seen   uint8 // bit p set once parameter p was given
}

func (q *query) get(p param) string { return q.values[p] }

// parseQuery reads raw the way net/url.ParseQuery (and so the registry's
// r.FormValue) does: pairs split on '&', key and value split on the first
// '=', both decoded, so %6Dount is mount exactly as for the registry. Where
// ParseQuery would skip a pair that matters (a ';' in it, an invalid escape)
// or keep the first of two, it refuses instead: any parameter that matters
// given twice is refused. Control characters in a pair that matters are
// refused too; net/url never leaves them in RawQuery, so that check only
// keeps hand-built inputs honest. Pairs that do not matter are skipped
// without reading their values, because upload URLs carry long opaque state;
// only escaped values that matter allocate.
func parseQuery(raw string) (query, *registryerr.Error) {
	var q query
	for raw != "" {
		var pair string
		if i := strings.IndexByte(raw, '&'); i >= 0 {
			pair, raw = raw[:i], raw[i+1:]
		} else {
			pair, raw = raw, ""
		}
		key, value := pair, ""
		if i := strings.IndexByte(pair, '='); i >= 0 {
			key, value = pair[:i], pair[i+1:]
		}
		key, ok := unescape(key)
		if !ok {
			return q, ErrQueryMalformed
		}
		p := lookupParam(key)
		if p == paramCount {
			continue // the registry skips or ignores it; so may we
		}
		for i := 0; i < len(pair); i++ {
			switch c := pair[i]; {
			case c == ';':
				return q, ErrQueryMalformed
			case c < 0x20 || c == 0x7f:
				return q, ErrControlCharacter
			}
		}
		if q.seen&(1<<p) != 0 {
			return q, ErrDuplicateParameter
		}
		q.seen |= 1 << p
		if q.values[p], ok = unescape(value); !ok {
			return q, ErrQueryMalformed
		}
	}
	return q, nil
}

func lookupParam(key string) param {
	switch key {
	case "mount":
		return paramMount
	case "from":
		return paramFrom
	case "digest":
		return paramDigest
	case "n":
		return paramN
	case "last":
		return paramLast
	case "artifactType":
		return paramArtifactType
	}
	return paramCount
}

// unescape decodes a query component, returning s itself when it holds no
// escapes so that the common case does not allocate.
func unescape(s string) (string, bool) {
	if strings.IndexByte(s, '%') < 0 && strings.IndexByte(s, '+') < 0 {
		return s, true
	}
	d, err := url.QueryUnescape(s)
	return d, err == nil
}

// parsePageSize reads ?n=: digits only, clamped to limit. An empty value is
// absent (0). Unlike strconv.Atoi it refuses a sign, and it clamps instead of
// overflowing.
func parsePageSize(s string, limit int) (int, *registryerr.Error) {
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, ErrPagination
		}
		if d := int(c - '0'); n > (limit-d)/10 {
			n = limit
		} else {
			n = n*10 + d
		}
	}
	return n, nil
}

// formBody reports whether a Content-Type makes Go's (and so the registry's)
// r.FormValue read the body: form-encoded or multipart. It matches anywhere
// in the header, ignoring ASCII case, so that no parameter or spacing trick
// gets a form past it; no legitimate registry upload type contains either.
func formBody(contentType string) bool {
	if contentType == "application/octet-stream" {
		return false // what every blob upload sends; skip the scan
	}
	for i := 0; i < len(contentType); i++ {
		switch contentType[i] | 0x20 { // ASCII lowercase for letters
		case 'x':
			if hasPrefixFold(contentType[i:], "x-www-form-urlencoded") {
				return true
			}
		case 'm':
			if hasPrefixFold(contentType[i:], "multipart/") {
				return true
			}
		}
	}
	return false
}

// hasPrefixFold reports whether s starts with prefix (lowercase ASCII),
// ignoring ASCII case, without allocating.
func hasPrefixFold(s, prefix string) bool {
	if len(s) < len(prefix) {
		return false
	}
	for i := 0; i < len(prefix); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != prefix[i] {
			return false
		}
	}
	return true
}
