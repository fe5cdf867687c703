package cli

import (
	"flag"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/oatgate/oatgate/cmd/oatstore/store"
)

func auditCmd(args []string, env Env, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("audit", flag.ContinueOnError)
	fs.SetOutput(stderr)
	c := clientFlags(fs, env, stdout)
	org := fs.String("org", "", "the org (required)")
	since := fs.String("since", "", "only entries at or after this time: 1h, 7d (back from now), 2026-12-02, or RFC 3339")
	until := fs.String("until", "", "only entries before this time, in the same syntax as --since")
	action := fs.String("action", "", "only this action, e.g. token.revoked")
	limit := fs.Int("limit", 50, "entries per page (at most 500)")
	cursor := fs.String("cursor", "", "the next cursor a previous page printed")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if *org == "" || len(pos) != 0 {
		return usageErrorf("audit: want --org ORG and no other arguments")
	}
	if *limit < 1 || *limit > 500 {
		return usageErrorf("--limit %d: want a number from 1 to 500", *limit)
	}
	q := url.Values{}
	now := time.Now()
	for k, v := range map[string]string{"since": *since, "until": *until} {
		if v == "" {
			continue
		}
		t, err := parseWhen(v, now, false)
		if err != nil {
			return usageErrorf("--%s %v", k, err)
		}
		q.Set(k, t.UTC().Format(time.RFC3339Nano))
	}
	for k, v := range map[string]string{"action": *action, "cursor": *cursor} {
		if v != "" {
			q.Set(k, v)
		}
	}
	q.Set("limit", strconv.Itoa(*limit))
	var page struct {
		Entries    []store.AuditEntry
		NextCursor string `json:"next_cursor"`
	}
	raw, err := c.call("GET", "/v1/orgs/"+url.PathEscape(*org)+"/audit?"+q.Encode(), nil, &page)
	if err != nil {
		return err
	}
	if c.json {
		return c.printJSON(raw)
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TIME\tACTION\tACTOR\tON BEHALF OF\tSOURCE\tTOKEN")
	for _, e := range page.Entries {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", e.At.Format("2006-01-02 15:04:05"), e.Action, e.Actor, or(e.OnBehalfOf, "-"), e.SourceIP, e.TokenID)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if page.NextCursor != "" {
		_, err = fmt.Fprintf(stdout, "more: --cursor %s\n", page.NextCursor)
	}
	return err
}
