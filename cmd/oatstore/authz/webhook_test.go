package authz

import (
	"strings"
	"testing"
)

func TestSettingAWebhookNeedsToReadTheTokensItsEventsCarry(t *testing.T) {
	hooks := func(scopes ...string) caller {
		return token(TokenFacts{ID: "tok_hooks", Org: "acme", Active: true, Scopes: scopes})
	}
	cases := []struct {
		name   string
		caller caller
		org    string
		allow  bool
		reason string
	}{
		{"an admin may", admin("alice"), "acme", true, ""},
		{"a token with webhooks:write and tokens:read may", hooks("org:webhooks:write", "org:tokens:read"), "acme", true, ""},
		{"a token with webhooks:write and tokens:write may", hooks("org:webhooks:write", "org:tokens:write"), "acme", true, ""},
		{"a token with webhooks:write alone may not", hooks("org:webhooks:write"), "acme", false, "org:tokens:read"},
		{"a token with webhooks:read and tokens:write may not", hooks("org:webhooks:read", "org:tokens:write"), "acme", false, "org:webhooks:write"},
		{"a token may not set another org's", hooks("org:webhooks:write", "org:tokens:read"), "globex", false, "may not act on org"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, d := c.caller.principal()
			if !d.Allowed() {
				t.Fatalf("authenticating: %+v", d)
			}
			got := p.MaySetWebhook(c.org)
			if got.Allowed() != c.allow || !strings.Contains(got.Reason, c.reason) {
				t.Errorf("MaySetWebhook(%s) = %+v, want allowed=%v with a reason naming %q", c.org, got, c.allow, c.reason)
			}
		})
	}
}
