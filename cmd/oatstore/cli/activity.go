package cli

import (
	"flag"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/oatgate/oatgate/cmd/oatstore/store"
)

// activityCmd is `oatstore activity`: the trail of management and
// registry actions, newest first, of an org or of one token (--token, by
// id or label).
func activityCmd(args []string, env Env, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("activity", flag.ContinueOnError)
	fs.SetOutput(stderr)
	c := clientFlagsWith(fs, env, stdout, "auth-token")
	org := fs.String("org", "", "the org (required)")
	token := fs.String("token", "", "only this token's trail, by id or label")
	kind := fs.String("kind", "", "only management or only registry actions")
	since := fs.String("since", "", "only entries at or after this time: 1h, 7d (back from now), 2026-12-02, or RFC 3339")
	until := fs.String("until", "", "only entries before this time, in the same syntax as --since")
	limit := fs.Int("limit", 50, "entries per page (at most 500)")
	cursor := fs.String("cursor", "", "the next cursor a previous page printed")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if *org == "" || len(pos) != 0 {
		return usageErrorf("activity: want --org ORG and no other arguments")
	}
	if *kind != "" && *kind != store.KindManagement && *kind != store.KindRegistry {
		return usageErrorf("--kind %q: want management or registry", *kind)
	}
	if *limit < 1 || *limit > 500 {
		return usageErrorf("--limit %d: want a number from 1 to 500", *limit)
	}
	q, err := timeQuery(*since, *until)
	if err != nil {
		return err
	}
	base := "/v1/orgs/" + url.PathEscape(*org)
	if *token != "" {
		id, err := resolveToken(c, *org, base+"/tokens", *token)
		if err != nil {
			return err
		}
		q.Set("token", id)
	}
	for k, v := range map[string]string{"kind": *kind, "cursor": *cursor} {
		if v != "" {
			q.Set(k, v)
		}
	}
	q.Set("limit", strconv.Itoa(*limit))
	var page struct {
		Entries    []store.Activity
		NextCursor string `json:"next_cursor"`
	}
	raw, err := c.call("GET", base+"/activity?"+q.Encode(), nil, &page)
	if err != nil {
		return err
	}
	if c.json {
		return c.printJSON(raw)
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TIME\tKIND\tACTION\tTOKEN\tBY / FROM\tDETAIL")
	for _, e := range page.Entries {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", e.At.Format("2006-01-02 15:04:05"), e.Kind, e.Action, or(e.TokenID, "-"), who(e), detail(e))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if page.NextCursor != "" {
		_, err = fmt.Fprintf(stdout, "more: --cursor %s\n", page.NextCursor)
	}
	return err
}

// who is who acted: the audit actor and address, or the client address
// and user agent of a registry action.
func who(e store.Activity) string {
	if e.Kind == store.KindManagement {
		return e.Actor + " " + e.SourceIP
	}
	return strings.TrimSpace(e.ClientIP + " " + e.UserAgent)
}

// detail is what a registry action was on.
func detail(e store.Activity) string {
	var parts []string
	if e.Repository != "" {
		ref := e.Repository
		if e.Tag != "" {
			ref += ":" + e.Tag
		}
		parts = append(parts, ref)
	}
	if e.Digest != "" {
		parts = append(parts, e.Digest)
	}
	if e.Reason != "" {
		parts = append(parts, "token "+e.Reason)
	}
	return or(strings.Join(parts, " "), "-")
}
