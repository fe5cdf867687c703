package decide

import (
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// Query returns rawQuery as the registry must see it after the rewrite, with
// pageSize as the n of SetPageSize. Every pair the rewrite does not touch is
// kept byte for byte as sent, in order.
func (rw Rewrite) Query(rawQuery string, pageSize int) string {
	if rw.DropMount {
		rawQuery = withoutParams(rawQuery, "mount", "from")
	}
	if rw.SetPageSize {
		rawQuery = withoutParams(rawQuery, "n")
		if rawQuery != "" {
			rawQuery += "&"
		}
		rawQuery += "n=" + strconv.Itoa(pageSize)
	}
	return rawQuery
}

// Changes reports whether the rewrite changes anything.
func (rw Rewrite) Changes() bool { return rw.DropMount || rw.SetPageSize }

// withoutParams removes the query pairs whose decoded name is one of names.
// A pair whose name does not decode is kept: the registry skips it as well.
func withoutParams(rawQuery string, names ...string) string {
	var b strings.Builder
	for pair := range strings.SplitSeq(rawQuery, "&") {
		key, _, _ := strings.Cut(pair, "=")
		if k, err := url.QueryUnescape(key); err == nil && slices.Contains(names, k) {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('&')
		}
		b.WriteString(pair)
	}
	return b.String()
}
