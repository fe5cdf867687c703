package testenv

import (
	"context"
	"net/http"
	"net/url"

	"github.com/oatgate/oatgate/cmd/oatstore/store"
)

// Usage reads an org's usage from the store's API; q holds its filters
// (period, since, until, token, repository).
func (a *Admin) Usage(ctx context.Context, org string, q url.Values) ([]store.UsageRow, error) {
	var answer struct{ Rows []store.UsageRow }
	err := a.do(ctx, http.MethodGet, "/v1/orgs/"+url.PathEscape(org)+"/usage?"+q.Encode(), nil, &answer)
	return answer.Rows, err
}

// Activity reads an org's whole activity trail, newest first, following
// the cursor from page to page; q holds its filters (token, kind, since,
// until, limit).
func (a *Admin) Activity(ctx context.Context, org string, q url.Values) ([]store.Activity, error) {
	var all []store.Activity
	q = cloneValues(q)
	for {
		var page struct {
			Entries    []store.Activity
			NextCursor string `json:"next_cursor"`
		}
		if err := a.do(ctx, http.MethodGet, "/v1/orgs/"+url.PathEscape(org)+"/activity?"+q.Encode(), nil, &page); err != nil {
			return nil, err
		}
		all = append(all, page.Entries...)
		if page.NextCursor == "" {
			return all, nil
		}
		q.Set("cursor", page.NextCursor)
	}
}

func cloneValues(q url.Values) url.Values {
	out := url.Values{}
	for k, v := range q {
		out[k] = append([]string(nil), v...)
	}
	return out
}
