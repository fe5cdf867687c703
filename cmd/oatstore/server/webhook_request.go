package server

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/oatgate/oatgate/cmd/oatstore/store"
	"github.com/oatgate/oatgate/cmd/oatstore/webhook"
)

// Bounds of a webhook's secret: at least 16 bytes (the 64 hex characters
// of "openssl rand -hex 32" are the advice), at most 256.
const (
	minWebhookSecret = 16
	maxWebhookSecret = 256
)

// webhookName is what a webhook may be called: short, lowercase, safe in
// a path and a log line.
var webhookName = regexp.MustCompile(`^[a-z0-9][a-z0-9_.-]{0,62}$`)

// webhookRequest is the PUT /v1/orgs/{org}/webhooks/{name} body. On an
// update, an omitted field keeps its value: the secret in particular,
// which is never shown back, need not be sent again to change the events
// (but must be to change the url).
type webhookRequest struct {
	URL    *string  `json:"url"`
	Secret *string  `json:"secret"`
	Events []string `json:"events"`
}

// check validates what the request holds, before the store is asked.
// Its errors never quote the secret.
func (req webhookRequest) check(o webhook.Options) error {
	if req.URL != nil {
		if err := webhook.CheckURL(*req.URL, o); err != nil {
			return err
		}
	}
	if req.Secret != nil {
		s := *req.Secret
		switch {
		case len(s) < minWebhookSecret:
			return fmt.Errorf("secret is %d bytes, want at least %d; make one with: openssl rand -hex 32", len(s), minWebhookSecret)
		case len(s) > maxWebhookSecret:
			return fmt.Errorf("secret is longer than %d bytes", maxWebhookSecret)
		case strings.ContainsFunc(s, func(r rune) bool { return r <= ' ' || r >= 0x7f }):
			return fmt.Errorf("secret holds spaces, control or non-ASCII characters; use printable ASCII, e.g. openssl rand -hex 32")
		}
	}
	if req.Events != nil {
		if len(req.Events) == 0 {
			return fmt.Errorf("events is empty: subscribe to at least one of %s", strings.Join(store.EventTypes, ", "))
		}
		for _, e := range req.Events {
			if !slices.Contains(store.EventTypes, e) {
				return fmt.Errorf("unknown event %q: want one of %s", e, strings.Join(store.EventTypes, ", "))
			}
		}
	}
	return nil
}

// apply returns cur changed by req; a new webhook needs every field.
func (req webhookRequest) apply(cur store.Webhook, exists bool) (store.Webhook, error) {
	if !exists {
		var missing []string
		for name, v := range map[string]bool{"url": req.URL == nil, "secret": req.Secret == nil, "events": req.Events == nil} {
			if v {
				missing = append(missing, name)
			}
		}
		if len(missing) > 0 {
			slices.Sort(missing)
			return cur, store.Invalidf("a new webhook needs %s", strings.Join(missing, ", "))
		}
	}
	if req.URL != nil {
		// The secret stays with the receiver it was set for: a new URL with
		// the old secret would send the org's signed bodies to whoever
		// holds org:webhooks:write, to replay where only the signature is
		// checked.
		if exists && *req.URL != cur.URL && req.Secret == nil {
			return cur, store.Invalidf("changing a webhook's url needs its secret in the same request (the same or a new one): the old secret's signatures must not follow the url elsewhere")
		}
		cur.URL = *req.URL
	}
	if req.Secret != nil {
		cur.Secret = store.WebhookSecret(*req.Secret)
	}
	if req.Events != nil {
		cur.Events = req.Events
	}
	return cur, nil
}
