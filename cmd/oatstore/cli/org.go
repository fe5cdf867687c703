package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"text/tabwriter"

	"github.com/oatgate/oatgate/cmd/oatstore/store"
)

func orgCmd(args []string, env Env, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usageErrorf("org: want list, set or show")
	}
	fs := flag.NewFlagSet("org "+args[0], flag.ContinueOnError)
	fs.SetOutput(stderr)
	c := clientFlags(fs, env, stdout)
	var maxTokens, maxExpiry, defaultExpiry, allowNever, maxFederated optional
	switch args[0] {
	case "set":
		fs.Var(&maxTokens, "max-tokens", "how many tokens the org may hold (default 100 for a new org)")
		fs.Var(&maxExpiry, "max-expiry-days", "how far ahead a token may expire (default 365)")
		fs.Var(&defaultExpiry, "default-expiry-days", "when a token created without --expires expires (default 90)")
		fs.Var(&allowNever, "allow-never-expires", "whether tokens may never expire (--expires none): true or false (default false)")
		fs.Var(&maxFederated, "max-federated-tokens", "how many federated tokens (issued to CI jobs under trust policies) may be active at once (default 1000)")
	case "show", "list":
	default:
		return usageErrorf("org: unknown subcommand %q", args[0])
	}
	pos, err := parse(fs, args[1:])
	if err != nil {
		return err
	}
	if args[0] == "list" {
		if len(pos) != 0 {
			return usageErrorf("org list: unexpected argument %q", pos[0])
		}
		return listOrgs(c)
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
		for name, f := range map[string]optional{"max_tokens": maxTokens, "max_expiry_days": maxExpiry, "default_expiry_days": defaultExpiry, "max_federated_tokens": maxFederated} {
			if f.set {
				n, err := strconv.Atoi(f.val)
				if err != nil {
					return usageErrorf("%s %q: want a number", flagNames(name, fs), f.val)
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
	return printOrgs(stdout, []store.Org{o})
}

// errNoOrgList is what `org list` says to a store without GET /v1/orgs.
var errNoOrgList = errors.New("this oatstore cannot list orgs (GET /v1/orgs is not served); `oatstore org show ORG` shows one org, and the org names are the first path component of your repositories")

// listOrgs prints every org, from GET /v1/orgs ({"orgs":[...]}).
func listOrgs(c *client) error {
	var page struct{ Orgs []store.Org }
	raw, err := c.call("GET", "/v1/orgs", nil, &page)
	var ae *apiError
	if errors.As(err, &ae) && (ae.Status == http.StatusNotFound || ae.Status == http.StatusMethodNotAllowed) {
		return errNoOrgList
	}
	if err != nil {
		return err
	}
	if c.json {
		return c.printJSON(raw)
	}
	return printOrgs(c.stdout, page.Orgs)
}

func printOrgs(w io.Writer, orgs []store.Org) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ORG\tMAX TOKENS\tMAX EXPIRY\tDEFAULT EXPIRY\tNEVER EXPIRES")
	for _, o := range orgs {
		fmt.Fprintf(tw, "%s\t%d\t%dd\t%dd\t%v\n", o.Name, o.MaxTokens, o.MaxExpiryDays, o.DefaultExpiryDays, o.AllowNeverExpires)
	}
	return tw.Flush()
}
