package cli

import (
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/oatgate/oatgate/cmd/oatstore/authz"
)

// whoamiCmd prints who the configured credential is and what it may do,
// so that an org owner handed a management token can see its reach before
// using it.
func whoamiCmd(args []string, env Env, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("whoami", flag.ContinueOnError)
	fs.SetOutput(stderr)
	c := clientFlags(fs, env, stdout)
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		return usageErrorf("whoami: unexpected argument %q", pos[0])
	}
	var s authz.Summary
	raw, err := c.call("GET", "/v1/whoami", nil, &s)
	if err != nil {
		return err
	}
	if c.json {
		return c.printJSON(raw)
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "actor:\t%s\n", s.Actor)
	if s.Kind == authz.KindAdmin.String() {
		fmt.Fprintf(tw, "may:\teverything, on every org\n")
		return tw.Flush()
	}
	fmt.Fprintf(tw, "org:\t%s\n", s.Org)
	may := "nothing in oatstore (no org: scopes)"
	if len(s.May) > 0 {
		may = strings.Join(s.May, " ")
	}
	fmt.Fprintf(tw, "may:\t%s\n", may)
	fmt.Fprintf(tw, "scopes:\t%s\n", strings.Join(s.Scopes, " "))
	expires := "never"
	if s.ExpiresAt != nil {
		expires = s.ExpiresAt.UTC().Format(time.RFC3339)
	}
	fmt.Fprintf(tw, "expires:\t%s\n", expires)
	return tw.Flush()
}
