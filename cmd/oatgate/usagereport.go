package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	caddycmd "github.com/caddyserver/caddy/v2/cmd"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/oatgate/oatgate/cmd/oatgate/report"
)

func init() {
	caddycmd.RegisterCommand(usageReportCommand)
}

// usageReportCommand is `oatgate usage-report`.
var usageReportCommand = caddycmd.Command{
	Name:  "usage-report",
	Usage: "[--period hour|day|month|all] [--org <org>] [--token <id|label>] [--repository <glob>] [--since <time>] [--until <time>] [--format table|csv|json] [--ips] [<file>...]",
	Short: "Sums up registry_auth usage events per period, org, token, repository and event",
	Long: `
Reads the usage events registry_auth logs (logger
http.handlers.registry_auth.usage, JSON as Caddy's log writes it) from the
files given — plain or gzip-compressed, as log rotation leaves them — or from
standard input when there is none or the file is "-", and prints one row per
period, org, token, repository and event: requests, pulls (manifest GETs, as
Docker Hub counts them), version checks (manifest HEADs), pushes (manifest
PUTs), deletes, denied requests, bytes in and out, distinct client IPs, and
first and last seen. Memory grows with the number of rows, not of events.

--since and --until take 2006-01-02, 2006-01, an RFC 3339 time, or a
duration back from now (24h, 7d). --repository takes a name or a glob as
scopes do: "*" within a path component, "**" across components.

Lines that are not usage events are counted and reported after the table
(on standard error with --format csv; in the document with --format json).
A file that cannot be read is reported and the others are still read; the
exit status is then 1.
`,
	CobraFunc: func(cmd *cobra.Command) {
		fs := cmd.Flags()
		fs.String("period", "day", "Length of a row's time span: hour, day, month or all")
		fs.String("org", "", "Only this organization")
		fs.String("token", "", "Only the token with this id or label")
		fs.String("repository", "", "Only repositories this name or glob matches, e.g. acme/** or acme/app-*")
		fs.String("since", "", "Only events at or after this time (2006-01-02, RFC 3339, or 7d back from now)")
		fs.String("until", "", "Only events before this time")
		fs.String("format", "table", "Output: table, csv or json")
		fs.Bool("ips", false, "List each row's client IPs")
		// The command is oatgate's own: its help ends with where it is
		// documented, not with the footer Caddy puts on its commands'
		// help (a link to Caddy's site, which does not know it).
		cmd.SetHelpTemplate(cmd.HelpTemplate() + "\n" + usageReportDocs + "\n")
		cmd.Args = cobra.ArbitraryArgs
		cmd.RunE = func(cmd *cobra.Command, args []string) error {
			return usageReport(fs, args, cmd.InOrStdin(), cmd.OutOrStdout(), cmd.ErrOrStderr())
		}
	},
}

// usageReportDocs ends the command's help.
const usageReportDocs = `Documented in oatgate's README.md, section "Usage reports".`

// errUnreadable says that some input could not be read; the report of the
// rest was printed.
var errUnreadable = errors.New("some input could not be read")

// usageReport runs the subcommand: flags, inputs, one report.
func usageReport(fs *pflag.FlagSet, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	opts, format, err := reportOptions(fs, time.Now())
	if err != nil {
		return err
	}
	rep, err := report.New(opts)
	if err != nil {
		return err
	}
	if len(args) == 0 {
		args = []string{"-"}
	}
	failed := false
	for _, name := range args {
		if err := readInput(rep, name, stdin); err != nil {
			fmt.Fprintf(stderr, "usage-report: %v\n", err)
			failed = true
		}
	}
	if err := rep.Write(stdout, format); err != nil {
		return err
	}
	if format == report.CSV {
		fmt.Fprintln(stderr, rep.Counts().Summary(rep.Groups()))
	}
	if failed {
		return errUnreadable
	}
	return nil
}

func readInput(rep *report.Report, name string, stdin io.Reader) error {
	if name == "-" {
		return rep.Read("standard input", stdin)
	}
	f, err := os.Open(name)
	if err != nil {
		return err
	}
	defer f.Close()
	return rep.Read(name, f)
}

// reportOptions reads the flags into report options and an output format.
func reportOptions(fs *pflag.FlagSet, now time.Time) (report.Options, report.Format, error) {
	var opts report.Options
	get := func(name string) string { v, _ := fs.GetString(name); return v }
	period, err := report.ParsePeriod(get("period"))
	if err != nil {
		return opts, "", err
	}
	format, err := report.ParseFormat(get("format"))
	if err != nil {
		return opts, "", err
	}
	opts = report.Options{Period: period, Org: get("org"), Token: get("token"), Repository: get("repository")}
	opts.IPs, _ = fs.GetBool("ips")
	for _, t := range []struct {
		flag string
		dst  *time.Time
	}{{"since", &opts.Since}, {"until", &opts.Until}} {
		if v := get(t.flag); v != "" {
			if *t.dst, err = report.ParseTime(v, now); err != nil {
				return opts, "", fmt.Errorf("--%s: %w", t.flag, err)
			}
		}
	}
	return opts, format, nil
}
