package cli

import (
	"flag"
	"time"

	"github.com/oatgate/oatgate/cmd/oatstore/webhook"
)

// webhookFlags adds serve's webhook flags to fs and returns a function
// that reads them once parsed; dev (serve --dev) allows loopback http too.
func webhookFlags(fs *flag.FlagSet) func(dev bool) webhook.Options {
	allow := fs.Bool("webhook-allow-loopback-http", false, "accept webhook URLs http://127.0.0.1, http://[::1] and http://localhost, for a receiver on this machine (--dev turns it on); other URLs must be https")
	private := fs.Bool("webhook-allow-private-networks", false, "let deliveries connect to private addresses (10/8, 172.16/12, 192.168/16, fc00::/7): receivers inside your network; link-local addresses such as cloud metadata stay refused")
	deliver := fs.Bool("webhook-deliver", true, "deliver webhook events and scan for expiring tokens on this replica (events are queued either way; one replica delivering is enough)")
	timeout := fs.Duration("webhook-timeout", webhook.DefaultTimeout, "how long one delivery attempt may take")
	retryFor := fs.Duration("webhook-retry-for", webhook.DefaultGiveUpAfter, "how long after an event a failing delivery is retried (waits double from 30s up to 1h)")
	attempts := fs.Int("webhook-max-attempts", webhook.DefaultMaxAttempts, "attempts at one delivery before it is given up")
	return func(dev bool) webhook.Options {
		o := webhook.Options{
			AllowLoopbackHTTP:    *allow || dev,
			AllowPrivateNetworks: *private,
			Disabled:             !*deliver,
			Timeout:              *timeout,
		}
		o.Retry.GiveUpAfter = *retryFor
		o.Retry.MaxAttempts = *attempts
		return o.WithDefaults()
	}
}

// webhookFlagsValid checks what WithDefaults would silently replace.
func webhookFlagsValid(o webhook.Options) error {
	if o.Timeout < time.Second {
		return usageErrorf("--webhook-timeout %s: want at least 1s", o.Timeout)
	}
	if o.Retry.GiveUpAfter < time.Minute {
		return usageErrorf("--webhook-retry-for %s: want at least 1m", o.Retry.GiveUpAfter)
	}
	return nil
}
