package caddymodule

import (
	"strconv"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"github.com/caddyserver/caddy/v2/caddyconfig/httpcaddyfile"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
)

func init() {
	httpcaddyfile.RegisterHandlerDirective("registry_auth", parseCaddyfile)
	// Before reverse_proxy, so that operators need no `order` line.
	httpcaddyfile.RegisterDirectiveOrder("registry_auth", httpcaddyfile.Before, "reverse_proxy")
}

func parseCaddyfile(h httpcaddyfile.Helper) (caddyhttp.MiddlewareHandler, error) {
	ra := new(RegistryAuth)
	if err := ra.UnmarshalCaddyfile(h.Dispenser); err != nil {
		return nil, err
	}
	return ra, nil
}

// UnmarshalCaddyfile sets up the handler from Caddyfile tokens. Syntax:
//
//	registry_auth {
//		store           <url> [<url>...]
//		store_key       <key>
//		realm           <realm>
//		cache_size      <entries>
//		cache_ttl       <duration>
//		negative_ttl    <duration>
//		max_stale       <duration>|off
//		timeout         <duration>
//		retries         <count>
//		revocation_poll <duration>
//		anonymous_pull  <patterns...>
//		max_page_size   <n>
//		unknown_tokens_per_minute <n>|off
//		metrics_token_ids
//		challenge       bearer|basic
//		token_path      <path>
//		token_ttl       <duration>
//		service         <name>
//		token_key       <secret>
//		usage_reports   on|off
//		usage_report_interval <duration>
//		usage_report_buffer   <items>
//	}
//
// `store` and `store_key` are required; every other option has a default.
// `store` takes several URLs for replicas of one store. `max_stale off` (or
// 0) turns the stale window off. `anonymous_pull` may be repeated; its
// patterns add up.
func (ra *RegistryAuth) UnmarshalCaddyfile(d *caddyfile.Dispenser) error {
	d.Next() // the directive name
	if d.NextArg() {
		return d.Errf("registry_auth takes no arguments on its line; put options in a block")
	}
	seen := map[string]bool{}
	for d.NextBlock(0) {
		opt := d.Val()
		if seen[opt] && opt != "anonymous_pull" {
			return d.Errf("%s given more than once", opt)
		}
		seen[opt] = true
		switch opt {
		case "store":
			urls := d.RemainingArgs()
			if len(urls) == 0 {
				return d.Errf("store needs a value: the URL of the token store, or the URLs of its replicas")
			}
			ra.Store = urls
		case "store_key":
			if err := oneString(d, &ra.StoreKey); err != nil {
				return err
			}
		case "realm":
			if err := oneString(d, &ra.Realm); err != nil {
				return err
			}
		case "cache_size":
			var n int
			if err := oneInt(d, &n); err != nil {
				return err
			}
			ra.CacheSize = int64(n)
		case "cache_ttl":
			if err := oneDuration(d, &ra.CacheTTL); err != nil {
				return err
			}
		case "negative_ttl":
			if err := oneDuration(d, &ra.NegativeTTL); err != nil {
				return err
			}
		case "max_stale":
			var window caddy.Duration
			if err := oneDurationOrOff(d, &window); err != nil {
				return err
			}
			ra.MaxStale = &window
		case "timeout":
			if err := oneDuration(d, &ra.Timeout); err != nil {
				return err
			}
		case "retries":
			var n int
			if err := oneInt(d, &n); err != nil {
				return err
			}
			ra.Retries = &n
		case "revocation_poll":
			if err := oneDuration(d, &ra.RevocationPoll); err != nil {
				return err
			}
		case "anonymous_pull":
			patterns := d.RemainingArgs()
			if len(patterns) == 0 {
				return d.Errf("anonymous_pull needs at least one repository pattern, e.g. anonymous_pull acme/public/**")
			}
			ra.AnonymousPull = append(ra.AnonymousPull, patterns...)
		case "unknown_tokens_per_minute":
			var v string
			if err := oneString(d, &v); err != nil {
				return err
			}
			n, err := strconv.Atoi(v)
			switch {
			case v == "off":
				ra.UnknownTokensPerMinute = -1
			case err != nil || n < 1:
				return d.Errf("unknown_tokens_per_minute %q: want a positive whole number, or off", v)
			default:
				ra.UnknownTokensPerMinute = n
			}
		case "max_page_size":
			if err := oneInt(d, &ra.MaxPageSize); err != nil {
				return err
			}
		case "metrics_token_ids":
			if d.NextArg() {
				return d.Errf("metrics_token_ids takes no value")
			}
			ra.MetricsTokenIDs = true
		case "challenge":
			if err := oneString(d, &ra.Challenge); err != nil {
				return err
			}
			if ra.Challenge != challengeBearer && ra.Challenge != challengeBasic {
				return d.Errf("challenge %q: want bearer or basic", ra.Challenge)
			}
		case "token_path":
			if err := oneString(d, &ra.TokenPath); err != nil {
				return err
			}
		case "token_ttl":
			if err := oneDuration(d, &ra.TokenTTL); err != nil {
				return err
			}
		case "service":
			if err := oneString(d, &ra.Service); err != nil {
				return err
			}
		case "token_key":
			if err := oneString(d, &ra.TokenKey); err != nil {
				return err
			}
		case "usage_reports":
			var v string
			if err := oneString(d, &v); err != nil {
				return err
			}
			if v != "on" && v != "off" {
				return d.Errf("usage_reports %q: want on or off", v)
			}
			on := v == "on"
			ra.UsageReports = &on
		case "usage_report_interval":
			if err := oneDuration(d, &ra.UsageReportInterval); err != nil {
				return err
			}
			if ra.UsageReportInterval == 0 {
				return d.Errf("usage_report_interval must be more than 0; use usage_reports off to stop reports")
			}
		case "usage_report_buffer":
			if err := oneInt(d, &ra.UsageReportBuffer); err != nil {
				return err
			}
		default:
			return d.Errf("unknown registry_auth option %q", opt)
		}
	}
	return nil
}

func oneString(d *caddyfile.Dispenser, dst *string) error {
	opt := d.Val()
	if !d.NextArg() {
		return d.Errf("%s needs a value", opt)
	}
	*dst = d.Val()
	if d.NextArg() {
		return d.Errf("%s takes one value, got another: %q", opt, d.Val())
	}
	return nil
}

func oneInt(d *caddyfile.Dispenser, dst *int) error {
	opt := d.Val()
	var s string
	if err := oneString(d, &s); err != nil {
		return err
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return d.Errf("%s %q: want a whole number, 0 or more", opt, s)
	}
	*dst = n
	return nil
}

func oneDuration(d *caddyfile.Dispenser, dst *caddy.Duration) error {
	opt := d.Val()
	var s string
	if err := oneString(d, &s); err != nil {
		return err
	}
	dur, err := caddy.ParseDuration(s)
	if err != nil || dur < 0 {
		return d.Errf("%s %q: want a duration such as 30s, 5m or 1d", opt, s)
	}
	*dst = caddy.Duration(dur)
	return nil
}

// oneDurationOrOff reads a duration, or "off" as 0.
func oneDurationOrOff(d *caddyfile.Dispenser, dst *caddy.Duration) error {
	opt := d.Val()
	var s string
	if err := oneString(d, &s); err != nil {
		return err
	}
	if s == "off" {
		*dst = 0
		return nil
	}
	dur, err := caddy.ParseDuration(s)
	if err != nil || dur < 0 {
		return d.Errf("%s %q: want a duration such as 30s, 5m or 1d, or off", opt, s)
	}
	*dst = caddy.Duration(dur)
	return nil
}

// Interface guard
var _ caddyfile.Unmarshaler = (*RegistryAuth)(nil)
