// Package catalog answers GET /v2/_catalog with only the repositories a token
// may pull. It pages through the registry's own catalog, keeps the allowed
// names and builds the answer's next-page Link, so that n/last pagination
// stays correct however many names were filtered out.
package catalog

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"
)

// Page is one page of the registry's catalog.
type Page struct {
	Repositories []string `json:"repositories"`
	// More is true when the registry said there is a next page (Link header).
	More bool `json:"-"`
}

// ParsePage decodes a registry's catalog answer body.
func ParsePage(body []byte, more bool) (Page, error) {
	var p Page
	if err := json.Unmarshal(body, &p); err != nil {
		return Page{}, fmt.Errorf("decoding registry catalog: %w", err)
	}
	p.More = more
	return p, nil
}

// Fetcher asks the registry for up to n names after last.
type Fetcher func(n int, last string) (Page, error)

// ErrNotAdvancing is returned when the registry answers a page whose names do
// not advance past last, which would otherwise loop forever.
var ErrNotAdvancing = errors.New("registry catalog did not advance")

// Result is the filtered answer: at most n allowed names and, when a next
// page may hold more, the `last` value the next page starts after.
type Result struct {
	Repositories []string
	More         bool
	Next         string
}

// Walk is one filtered read of the registry's catalog.
type Walk struct {
	// Fetch reads one page of the registry's catalog.
	Fetch Fetcher
	// Allow reports whether the client may see a name.
	Allow func(string) bool
	// Within, when set, confines the walk to the names it accepts. The
	// registry lists names in path order, so Within must accept one
	// contiguous run of them (one org's namespace); the walk ends at the
	// first name past that run instead of reading other orgs' names.
	Within func(string) bool
	// PageSize is how many names each registry page asks for. It does not
	// depend on the client's n, so that how far a walk reads says nothing
	// the client chose to probe.
	PageSize int
	// MaxPages bounds the registry pages one walk reads.
	MaxPages int
}

// Filter collects up to n allowed names after last. It reports More only
// when it saw another allowed name after them, or when it ran out of pages
// before reaching the end; Next is then where the client resumes: the last
// name returned, or the last name read when the page budget ran out (the
// caller seals a name the client may not see). A client that follows Link
// sees every allowed name exactly once, in order.
func (w Walk) Filter(n int, last string) (Result, error) {
	res := Result{Repositories: make([]string, 0, min(n, 128))}
	cursor := last
	for range w.MaxPages {
		p, err := w.Fetch(w.PageSize, cursor)
		if err != nil {
			return Result{}, err
		}
		for _, name := range p.Repositories {
			if cursor != "" && !pathLess(cursor, name) {
				return Result{}, ErrNotAdvancing
			}
			if w.Within != nil && !w.Within(name) {
				return res, nil
			}
			if !w.Allow(name) {
				cursor = name
				continue
			}
			if len(res.Repositories) == n {
				// One more allowed name exists: the client has a next page.
				res.More, res.Next = true, cursor
				return res, nil
			}
			res.Repositories = append(res.Repositories, name)
			cursor = name
		}
		if !p.More || len(p.Repositories) == 0 {
			return res, nil
		}
	}
	res.More, res.Next = true, cursor
	return res, nil
}

// PathLess reports whether the registry lists a before b.
func PathLess(a, b string) bool { return pathLess(a, b) }

// pathLess orders repository names as distribution's catalog walks them:
// component by component, as if '/' were the lowest byte, so "acme/x" comes
// before "acme-corp/x" although '-' sorts before '/' in plain string order.
func pathLess(a, b string) bool {
	for i := 0; i < len(a) && i < len(b); i++ {
		ca, cb := a[i], b[i]
		if ca == cb {
			continue
		}
		if ca == '/' {
			return true
		}
		if cb == '/' {
			return false
		}
		return ca < cb
	}
	return len(a) < len(b)
}

// Link builds the Link header value for the next page, as distribution writes it.
func Link(n int, last string) string {
	q := url.Values{}
	q.Set("last", last)
	q.Set("n", strconv.Itoa(n))
	return `</v2/_catalog?` + q.Encode() + `>; rel="next"`
}

// Body encodes the filtered answer.
func Body(names []string) []byte {
	if names == nil {
		names = []string{}
	}
	b, _ := json.Marshal(struct {
		Repositories []string `json:"repositories"`
	}{names})
	return append(b, '\n')
}
