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

// Filter collects up to n names allowed by allow, starting after last, asking
// fetch for pages of n names and reading at most maxPages of them. When it
// stops at maxPages it reports More with Next set to the last name it read
// (allowed or not), so a client that follows Link sees every allowed name
// exactly once, in order, and the registry is never read twice for one name.
func Filter(fetch Fetcher, allow func(string) bool, n int, last string, maxPages int) (Result, error) {
	res := Result{Repositories: make([]string, 0, min(n, 128))}
	cursor := last
	for range maxPages {
		p, err := fetch(n, cursor)
		if err != nil {
			return Result{}, err
		}
		for i, name := range p.Repositories {
			if cursor != "" && !pathLess(cursor, name) {
				return Result{}, ErrNotAdvancing
			}
			cursor = name
			if !allow(name) {
				continue
			}
			res.Repositories = append(res.Repositories, name)
			if len(res.Repositories) == n {
				res.More = i < len(p.Repositories)-1 || p.More
				if res.More {
					res.Next = name
				}
				return res, nil
			}
		}
		if !p.More || len(p.Repositories) == 0 {
			return res, nil
		}
	}
	res.More, res.Next = true, cursor
	return res, nil
}

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
