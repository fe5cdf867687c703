package cli

import (
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/oatgate/oatgate/cmd/oatstore/store"
)

// webhookCmd runs `oatstore webhook set|list|show|delete|test|deliveries`.
// The secret is never a flag value (it would show in ps and in shell
// history): it comes from --secret-file or OATSTORE_WEBHOOK_SECRET.
func webhookCmd(args []string, env Env, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usageErrorf("webhook: want set, list, show, delete, test or deliveries")
	}
	sub := args[0]
	fs := flag.NewFlagSet("webhook "+sub, flag.ContinueOnError)
	fs.SetOutput(stderr)
	c := clientFlags(fs, env, stdout)
	org := fs.String("org", "", "the org (required)")
	var (
		hookURL    optional
		events     multi
		secretFile = new(string)
		limit      = new(int)
	)
	switch sub {
	case "set":
		fs.Var(&hookURL, "url", "where events are POSTed: https://..., or http:// to loopback when the server allows it")
		fs.Var(&events, "event", "an event to send, repeatable: "+strings.Join(store.EventTypes, ", "))
		secretFile = fs.String("secret-file", "", "file holding the signing secret (\"-\": stdin; default $OATSTORE_WEBHOOK_SECRET); make one with openssl rand -hex 32")
	case "deliveries":
		limit = fs.Int("limit", 50, "deliveries to show, newest first (at most 500)")
	case "list", "show", "delete", "test":
	default:
		return usageErrorf("webhook: unknown subcommand %q", sub)
	}
	pos, err := parse(fs, args[1:])
	if err != nil {
		return err
	}
	if *org == "" {
		return usageErrorf("webhook %s: --org is required", sub)
	}
	base := "/v1/orgs/" + url.PathEscape(*org) + "/webhooks"
	if sub == "list" {
		if len(pos) != 0 {
			return usageErrorf("webhook list: unexpected argument %q", pos[0])
		}
		var page struct{ Webhooks []store.Webhook }
		raw, err := c.call("GET", base, nil, &page)
		if err != nil {
			return err
		}
		if c.json {
			return c.printJSON(raw)
		}
		return printWebhooks(stdout, page.Webhooks)
	}
	if len(pos) != 1 {
		return usageErrorf("webhook %s: want exactly one webhook name", sub)
	}
	path := base + "/" + url.PathEscape(pos[0])
	switch sub {
	case "set":
		body := map[string]any{}
		if hookURL.set {
			body["url"] = hookURL.val
		}
		if len(events) > 0 {
			body["events"] = events.fields()
		}
		secret, err := readSecret(*secretFile, env)
		if err != nil {
			return err
		}
		if secret != "" {
			body["secret"] = secret
		}
		var w store.Webhook
		raw, err := c.call("PUT", path, body, &w)
		if err != nil {
			return err
		}
		if c.json {
			return c.printJSON(raw)
		}
		return printWebhooks(stdout, []store.Webhook{w})
	case "show":
		var w store.Webhook
		raw, err := c.call("GET", path, nil, &w)
		if err != nil {
			return err
		}
		if c.json {
			return c.printJSON(raw)
		}
		return printWebhooks(stdout, []store.Webhook{w})
	case "delete":
		if _, err := c.call("DELETE", path, nil, nil); err != nil {
			return err
		}
		_, err := fmt.Fprintf(stdout, "webhook %s of %s deleted, with its pending deliveries\n", pos[0], *org)
		return err
	case "test":
		var out struct {
			EventID string `json:"event_id"`
		}
		raw, err := c.call("POST", path+"/test", nil, &out)
		if err != nil {
			return err
		}
		if c.json {
			return c.printJSON(raw)
		}
		_, err = fmt.Fprintf(stdout, "test event %s queued; see it arrive with: oatstore webhook deliveries --org %s %s\n", out.EventID, *org, pos[0])
		return err
	}
	if *limit < 1 || *limit > 500 {
		return usageErrorf("--limit %d: want a number from 1 to 500", *limit)
	}
	var page struct {
		Deliveries []struct {
			store.Delivery
			State string `json:"state"`
		}
	}
	raw, err := c.call("GET", path+"/deliveries?limit="+strconv.Itoa(*limit), nil, &page)
	if err != nil {
		return err
	}
	if c.json {
		return c.printJSON(raw)
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "CREATED\tEVENT\tTYPE\tSTATE\tATTEMPTS\tLAST STATUS\tNEXT ATTEMPT\tLAST ERROR")
	for _, d := range page.Deliveries {
		status := "-"
		if d.LastStatus != 0 {
			status = strconv.Itoa(d.LastStatus)
		}
		next := "-"
		if d.NextAttemptAt != nil {
			next = d.NextAttemptAt.Format(time.RFC3339)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\t%s\t%s\n", d.CreatedAt.Format("2006-01-02 15:04:05"), d.EventID, d.EventType, d.State, d.Attempts, status, next, or(d.LastError, "-"))
	}
	return tw.Flush()
}

// readSecret reads the signing secret from file ("-": stdin), or from
// OATSTORE_WEBHOOK_SECRET; "" when neither is given (an update that keeps
// the secret). Surrounding white space, a trailing newline above all, is
// not part of it.
func readSecret(file string, env Env) (string, error) {
	if file == "" {
		return strings.TrimSpace(env("OATSTORE_WEBHOOK_SECRET")), nil
	}
	var (
		b   []byte
		err error
	)
	if file == "-" {
		b, err = io.ReadAll(io.LimitReader(os.Stdin, 4096))
	} else {
		b, err = os.ReadFile(file)
	}
	if err != nil {
		return "", fmt.Errorf("reading the webhook secret: %w", err)
	}
	s := strings.TrimSpace(string(b))
	if s == "" {
		return "", usageErrorf("--secret-file %s is empty", file)
	}
	return s, nil
}

func printWebhooks(w io.Writer, hooks []store.Webhook) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tURL\tEVENTS\tUPDATED")
	for _, h := range hooks {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", h.Name, h.URL, strings.Join(h.Events, ","), h.UpdatedAt.Format("2006-01-02 15:04:05"))
	}
	return tw.Flush()
}
