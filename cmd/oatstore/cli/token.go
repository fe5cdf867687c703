package cli

import (
	"flag"
	"fmt"
	"io"
	"net/url"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/oatgate/oatgate/cmd/oatstore/store"
)

func tokenCmd(args []string, env Env, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usageErrorf("token: want create, list, show, update, deactivate, activate, revoke or delete")
	}
	sub := args[0]
	fs := flag.NewFlagSet("token "+sub, flag.ContinueOnError)
	fs.SetOutput(stderr)
	c := clientFlags(fs, env, stdout)
	org := fs.String("org", "", "the token's org (required)")
	var label, description, expires optional
	var scopes multi
	switch sub {
	case "create", "update":
		fs.Var(&label, "label", "a name for the token, unique in the org (required on create)")
		fs.Var(&description, "description", "what the token is for (at most 200 characters)")
		fs.Var(&scopes, "scope", "a scope such as repository:ORG/app:pull,push (repeat, or separate several with spaces)")
		fs.Var(&expires, "expires", "90d, 12h, a date (2027-02-01), an RFC 3339 time, or none (default: the org's default expiry; update: only earlier)")
	case "list", "show", "deactivate", "activate", "revoke", "delete":
	default:
		return usageErrorf("token: unknown subcommand %q", sub)
	}
	pos, err := parse(fs, args[1:])
	if err != nil {
		return err
	}
	if *org == "" {
		return usageErrorf("token %s: --org is required", sub)
	}
	base := "/v1/orgs/" + url.PathEscape(*org) + "/tokens"
	needID := sub != "create" && sub != "list"
	switch {
	case needID && len(pos) != 1:
		return usageErrorf("token %s: want exactly one token id or label", sub)
	case !needID && len(pos) != 0:
		return usageErrorf("token %s: unexpected argument %q", sub, pos[0])
	}
	var path, id string
	if needID {
		if id, err = resolveToken(c, *org, base, pos[0]); err != nil {
			return err
		}
		path = base + "/" + url.PathEscape(id)
	}

	var (
		t   store.Token
		raw []byte
	)
	switch sub {
	case "create":
		return createToken(c, base, label, description, expires, scopes)
	case "list":
		var page struct{ Tokens []store.Token }
		if raw, err = c.call("GET", base, nil, &page); err != nil {
			return err
		}
		if c.json {
			return c.printJSON(raw)
		}
		return printTokens(stdout, page.Tokens)
	case "show":
		raw, err = c.call("GET", path, nil, &t)
	case "update":
		body := map[string]any{}
		if label.set {
			body["label"] = label.val
		}
		if description.set {
			body["description"] = description.val
		}
		if len(scopes.fields()) > 0 {
			body["scopes"] = scopes.fields()
		}
		if expires.set {
			if err := addExpiry(body, expires.val); err != nil {
				return err
			}
		}
		if len(body) == 0 {
			return usageErrorf("token update: nothing to change; give --label, --description, --scope or --expires")
		}
		raw, err = c.call("PATCH", path, body, &t)
	case "deactivate", "activate", "revoke":
		raw, err = c.call("POST", path+"/"+sub, nil, &t)
	case "delete":
		if _, err = c.call("DELETE", path+"?purge=true", nil, nil); err != nil {
			return err
		}
		if c.json {
			return c.printJSON([]byte(`{"deleted":` + quote(id) + `}`))
		}
		_, err = fmt.Fprintf(stdout, "deleted %s\n", id)
		return err
	}
	if err != nil {
		return err
	}
	if c.json {
		return c.printJSON(raw)
	}
	return printTokens(stdout, []store.Token{t})
}

func createToken(c *client, base string, label, description, expires optional, scopes multi) error {
	if !label.set || label.val == "" {
		return usageErrorf("token create: --label is required")
	}
	if len(scopes.fields()) == 0 {
		return usageErrorf("token create: give at least one --scope, e.g. repository:ORG/app:pull")
	}
	body := map[string]any{"label": label.val, "scopes": scopes.fields()}
	if description.set {
		body["description"] = description.val
	}
	if expires.set {
		if err := addExpiry(body, expires.val); err != nil {
			return err
		}
	}
	var out struct {
		store.Token
		Secret string `json:"token"`
	}
	raw, err := c.call("POST", base, body, &out)
	if err != nil {
		return err
	}
	if c.json {
		return c.printJSON(raw)
	}
	if err := printTokens(c.stdout, []store.Token{out.Token}); err != nil {
		return err
	}
	_, err = fmt.Fprintf(c.stdout, "\ntoken: %s\nThis is the only time the token is shown; store it now.\n", out.Secret)
	return err
}

// addExpiry puts --expires into a request body, in the one time syntax
// (see when.go).
func addExpiry(body map[string]any, v string) error {
	field, value, err := expiryField(v, time.Now())
	if err != nil {
		return usageError{msg: err.Error()}
	}
	body[field] = value
	return nil
}

func printTokens(w io.Writer, ts []store.Token) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tLABEL\tSTATE\tEXPIRES\tLAST USED\tLAST IP\tLAST CLIENT\tSCOPES\tDESCRIPTION")
	now := time.Now()
	for _, t := range ts {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", t.ID, t.Label, state(t, now), when(t.ExpiresAt, "never"), when(t.LastUsedAt, "-"),
			or(t.LastUsedIP, "-"), or(firstProduct(t.LastUserAgent), "-"), strings.Join(t.Scopes, " "), t.Description)
	}
	return tw.Flush()
}

func state(t store.Token, now time.Time) string {
	switch {
	case t.RevokedAt != nil:
		return "revoked"
	case !t.Active:
		return "inactive"
	case t.ExpiresAt != nil && !now.Before(*t.ExpiresAt):
		return "expired"
	}
	return "active"
}

func when(t *time.Time, none string) string {
	if t == nil {
		return none
	}
	return t.Format("2006-01-02 15:04")
}

// firstProduct shortens a user agent to its first product (docker/27.3.1), so
// a table row stays one line; --json has it whole.
func firstProduct(userAgent string) string {
	first, _, _ := strings.Cut(userAgent, " ")
	return first
}

func quote(s string) string { return fmt.Sprintf("%q", s) }
