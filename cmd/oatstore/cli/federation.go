package cli

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/oatgate/oatgate/cmd/oatstore/store"
)

// maxPolicyFile bounds a --file policy.
const maxPolicyFile = 64 << 10

// federationCmd runs `oatstore federation set|list|show|delete`: an org's
// trust policies, under which CI jobs exchange their OIDC ID tokens for
// short-lived tokens.
func federationCmd(args []string, env Env, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usageErrorf("federation: want set, list, show or delete")
	}
	sub := args[0]
	fs := flag.NewFlagSet("federation "+sub, flag.ContinueOnError)
	fs.SetOutput(stderr)
	c := clientFlags(fs, env, stdout)
	org := fs.String("org", "", "the policy's org (required)")
	var file, issuer, audience, ttl optional
	var claims, scopes multi
	switch sub {
	case "set":
		fs.Var(&file, "file", "a JSON policy ({\"issuer\",\"audience\",\"claims\",\"scopes\",\"ttl\"}); the flags below override its fields")
		fs.Var(&issuer, "issuer", "the OIDC issuer URL, as the tokens' iss claim spells it (https://token.actions.githubusercontent.com)")
		fs.Var(&audience, "audience", "the audience the tokens must carry in aud (e.g. oatgate)")
		fs.Var(&claims, "claim", "a claim condition NAME=VALUE, exact or with * globs (repeat; NAME= removes one)")
		fs.Var(&scopes, "scope", "a scope granted, such as repository:ORG/app:pull,push (repeat, or separate several with spaces; replaces the policy's)")
		fs.Var(&ttl, "ttl", "how long an issued token lives: 5m to 1h (default 15m)")
	case "list", "show", "delete":
	default:
		return usageErrorf("federation: unknown subcommand %q", sub)
	}
	pos, err := parse(fs, args[1:])
	if err != nil {
		return err
	}
	if *org == "" {
		return usageErrorf("federation %s: --org is required", sub)
	}
	base := "/v1/orgs/" + url.PathEscape(*org) + "/federation"
	if sub == "list" {
		if len(pos) != 0 {
			return usageErrorf("federation list: unexpected argument %q", pos[0])
		}
		var page struct{ Policies []store.Policy }
		raw, err := c.call("GET", base, nil, &page)
		if err != nil {
			return err
		}
		if c.json {
			return c.printJSON(raw)
		}
		return printPolicies(stdout, page.Policies)
	}
	if len(pos) != 1 {
		return usageErrorf("federation %s: want exactly one policy name", sub)
	}
	path := base + "/" + url.PathEscape(pos[0])
	var (
		p   store.Policy
		raw []byte
	)
	switch sub {
	case "show":
		raw, err = c.call("GET", path, nil, &p)
	case "delete":
		var gone struct {
			RevokedTokens []string `json:"revoked_tokens"`
		}
		if raw, err = c.call("DELETE", path, nil, &gone); err != nil {
			return err
		}
		if c.json {
			return c.printJSON(raw)
		}
		_, err = fmt.Fprintf(stdout, "deleted trust policy %s; revoked %d tokens issued under it\n", pos[0], len(gone.RevokedTokens))
		return err
	case "set":
		body, berr := policyBody(c, path, file, issuer, audience, ttl, claims, scopes)
		if berr != nil {
			return berr
		}
		raw, err = c.call("PUT", path, body, &p)
	}
	if err != nil {
		return err
	}
	if c.json {
		return c.printJSON(raw)
	}
	return printPolicies(stdout, []store.Policy{p})
}

// policyBody is the PUT body of `federation set`: the stored policy, or
// --file's, with the flags applied over it. Starting from the stored one
// lets `federation set NAME --ttl 30m` change one field.
func policyBody(c *client, path string, file, issuer, audience, ttl optional, claims, scopes multi) (map[string]any, error) {
	body := map[string]any{}
	if file.set {
		b, err := readPolicyFile(file.val)
		if err != nil {
			return nil, err
		}
		if err := json.Unmarshal(b, &body); err != nil {
			return nil, usageErrorf("--file %s: not a JSON object: %v", file.val, err)
		}
	} else {
		var cur store.Policy
		_, err := c.call("GET", path, nil, &cur)
		var ae *apiError
		switch {
		case err == nil:
			body = map[string]any{"issuer": cur.Issuer, "audience": cur.Audience, "claims": cur.Claims, "scopes": cur.Scopes, "ttl": time.Duration(cur.TTL).String()}
		case errors.As(err, &ae) && ae.Status == http.StatusNotFound:
		default:
			return nil, err
		}
	}
	if issuer.set {
		body["issuer"] = issuer.val
	}
	if audience.set {
		body["audience"] = audience.val
	}
	if ttl.set {
		body["ttl"] = ttl.val
	}
	if s := scopes.fields(); len(s) > 0 {
		body["scopes"] = s
	}
	if len(claims) > 0 {
		merged := map[string]any{}
		if cur, ok := body["claims"].(map[string]any); ok {
			maps.Copy(merged, cur)
		} else if cur, ok := body["claims"].(map[string]string); ok {
			for k, v := range cur {
				merged[k] = v
			}
		}
		for _, c := range claims {
			name, value, ok := strings.Cut(c, "=")
			if !ok || name == "" {
				return nil, usageErrorf("--claim %q: want NAME=VALUE, e.g. --claim repository_owner=acme", c)
			}
			if value == "" {
				delete(merged, name)
				continue
			}
			merged[name] = value
		}
		body["claims"] = merged
	}
	return body, nil
}

func readPolicyFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, usageErrorf("--file: %v", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxPolicyFile+1))
	if err != nil {
		return nil, fmt.Errorf("reading --file %s: %w", path, err)
	}
	if len(b) > maxPolicyFile {
		return nil, usageErrorf("--file %s is larger than %d bytes", path, maxPolicyFile)
	}
	return b, nil
}

func printPolicies(w io.Writer, ps []store.Policy) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tISSUER\tAUDIENCE\tTTL\tCLAIMS\tSCOPES")
	for _, p := range ps {
		var conds []string
		for _, k := range slices.Sorted(maps.Keys(p.Claims)) {
			conds = append(conds, k+"="+p.Claims[k])
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", p.Name, p.Issuer, p.Audience, shortDuration(time.Duration(p.TTL)), strings.Join(conds, " "), strings.Join(p.Scopes, " "))
	}
	return tw.Flush()
}

// shortDuration writes 15m0s as 15m and 1h0m0s as 1h.
func shortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
