package cli

import (
	"flag"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"text/tabwriter"

	"github.com/oatgate/oatgate/cmd/oatstore/store"
)

func orgCmd(args []string, env Env, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usageErrorf("org: want set or show")
	}
	fs := flag.NewFlagSet("org "+args[0], flag.ContinueOnError)
	fs.SetOutput(stderr)
	c := clientFlags(fs, env, stdout)
	var maxTokens, maxExpiry, allowNever optional
	switch args[0] {
	case "set":
		fs.Var(&maxTokens, "max-tokens", "how many tokens the org may hold (default 100 for a new org)")
		fs.Var(&maxExpiry, "max-expiry-days", "how far ahead a token may expire (default 365)")
		fs.Var(&allowNever, "allow-never-expires", "whether tokens may never expire: true or false (default true)")
	case "show":
	default:
		return usageErrorf("org: unknown subcommand %q", args[0])
	}
	pos, err := parse(fs, args[1:])
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usageErrorf("org %s: want exactly one org name", args[0])
	}
	path := "/v1/orgs/" + url.PathEscape(pos[0])
	var (
		o   store.Org
		raw []byte
	)
	if args[0] == "show" {
		raw, err = c.call("GET", path, nil, &o)
	} else {
		body := map[string]any{}
		for name, f := range map[string]optional{"max_tokens": maxTokens, "max_expiry_days": maxExpiry} {
			if f.set {
				n, err := strconv.Atoi(f.val)
				if err != nil {
					return usageErrorf("--%s %q: want a number", name, f.val)
				}
				body[name] = n
			}
		}
		if allowNever.set {
			b, err := strconv.ParseBool(allowNever.val)
			if err != nil {
				return usageErrorf("--allow-never-expires %q: want true or false", allowNever.val)
			}
			body["allow_never_expires"] = b
		}
		raw, err = c.call("PUT", path, body, &o)
	}
	if err != nil {
		return err
	}
	if c.json {
		return c.printJSON(raw)
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ORG\tMAX TOKENS\tMAX EXPIRY\tNEVER EXPIRES")
	fmt.Fprintf(tw, "%s\t%d\t%dd\t%v\n", o.Name, o.MaxTokens, o.MaxExpiryDays, o.AllowNeverExpires)
	return tw.Flush()
}
