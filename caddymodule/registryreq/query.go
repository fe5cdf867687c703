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

var paramNames = [paramCount]string{
	paramMount:        "mount",
	paramFrom:         "from",
	paramDigest:       "digest",
	paramN:            "n",
	paramLast:         "last",
	paramArtifactType: "artifactType",
}

// query holds the decoded values of the parameters that matter. An empty
// value counts as absent, as it does for the registry's r.FormValue checks,
// but still counts toward the given-twice rule.
type query struct {
	values [paramCount]string
	seen   uint8 // bit p set once paramNames[p] was given
}

func (q *query) get(p param) string { return q.values[p] }

// parseQuery reads raw the way net/url.ParseQuery (and so the registry's
// r.FormValue) does, but refuses instead of skipping what ParseQuery would
// skip or merge: ';' separators, invalid escapes in keys or in values that
// matter, and any parameter that matters given twice. Keys are compared
// after decoding, so %6Dount is mount, exactly as for the registry. Only
// escaped values allocate.
func parseQuery(raw string) (query, *registryerr.Error) {
	var q query
	for raw != "" {
		var pair string
		pair, raw, _ = strings.Cut(raw, "&")
		if pair == "" {
			continue
		}
		if strings.IndexByte(pair, ';') >= 0 {
			return q, ErrQueryMalformed
		}
		key, value, _ := strings.Cut(pair, "=")
		key, ok := unescape(key)
		if !ok {
			return q, ErrQueryMalformed
		}
		p := lookupParam(key)
		if p == paramCount {
			continue
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
	for p, name := range paramNames {
		if key == name {
			return param(p)
		}
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
// in the header, case-insensitively, so that no parameter or spacing trick
// gets a form past it; no legitimate registry upload type contains either.
func formBody(contentType string) bool {
	return containsFold(contentType, "x-www-form-urlencoded") || containsFold(contentType, "multipart/")
}

// containsFold reports whether sub (lowercase ASCII) occurs in s, ignoring
// ASCII case, without allocating.
func containsFold(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		j := 0
		for j < len(sub) && lower(s[i+j]) == sub[j] {
			j++
		}
		if j == len(sub) {
			return true
		}
	}
	return false
}

func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}
