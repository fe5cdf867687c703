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

// usageCmd is `oatstore usage`: the org's usage by period, as a table, the
// API's JSON (--json) or its CSV (--csv, for a spreadsheet).
func usageCmd(args []string, env Env, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("usage", flag.ContinueOnError)
	fs.SetOutput(stderr)
	c := clientFlagsWith(fs, env, stdout, "auth-token")
	org := fs.String("org", "", "the org (required)")
	period := fs.String("period", "day", "hour, day or month (UTC)")
	since := fs.String("since", "", "only usage at or after this time: 1h, 7d (back from now), 2026-12-02, 2026-12, or RFC 3339 (default: 7 days by hour, 90 days by day, 12 months by month)")
	until := fs.String("until", "", "only usage before this time, in the same syntax as --since")
	token := fs.String("token", "", "only this token, by id or label")
	repository := fs.String("repository", "", "only this repository, e.g. acme/app")
	asCSV := fs.Bool("csv", false, "print the CSV export (header row, one row per period, token and repository)")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if *org == "" || len(pos) != 0 {
		return usageErrorf("usage: want --org ORG and no other arguments")
	}
	if *asCSV && c.json {
		return usageErrorf("--csv and --json both given: pass one")
	}
	q, err := timeQuery(*since, *until)
	if err != nil {
		return err
	}
	q.Set("period", *period)
	base := "/v1/orgs/" + url.PathEscape(*org)
	if *token != "" {
		id, err := resolveToken(c, *org, base+"/tokens", *token)
		if err != nil {
			return err
		}
		q.Set("token", id)
	}
	if *repository != "" {
		q.Set("repository", *repository)
	}
	if *asCSV {
		q.Set("format", "csv")
		raw, err := c.call("GET", base+"/usage?"+q.Encode(), nil, nil)
		if err != nil {
			return err
		}
		_, err = stdout.Write(raw)
		return err
	}
	var answer struct{ Rows []store.UsageRow }
	raw, err := c.call("GET", base+"/usage?"+q.Encode(), nil, &answer)
	if err != nil {
		return err
	}
	if c.json {
		return c.printJSON(raw)
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "PERIOD\tTOKEN\tLABEL\tREPOSITORY\tREQUESTS\tPULLS\tVERSION CHECKS\tPUSHES\tDELETES\tDENIED\tBYTES IN\tBYTES OUT\t")
	n := func(v int64) string { return strconv.FormatInt(v, 10) }
	for _, r := range answer.Rows {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", r.Period, r.TokenID, r.TokenLabel, or(r.Repository, "-"),
			n(r.Requests), n(r.Pulls), n(r.VersionChecks), n(r.Pushes), n(r.Deletes), n(r.Denied), n(r.BytesIn), n(r.BytesOut))
	}
	return tw.Flush()
}

// timeQuery turns --since and --until (the CLI's time syntax) into the
// API's RFC 3339 query parameters.
func timeQuery(since, until string) (url.Values, error) {
	q := url.Values{}
	now := time.Now()
	for k, v := range map[string]string{"since": since, "until": until} {
		if v == "" {
			continue
		}
		t, err := parseWhen(v, now, false)
		if err != nil {
			return nil, usageErrorf("--%s %v", k, err)
		}
		q.Set(k, t.UTC().Format(time.RFC3339Nano))
	}
	return q, nil
}
