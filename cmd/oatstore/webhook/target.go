package webhook

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strings"
)

// maxURL bounds a webhook URL.
const maxURL = 2048

// ErrURL is what CheckURL's errors match.
var ErrURL = errors.New("webhook url not allowed")

// CheckURL decides where a webhook may point: an absolute https URL with
// a host, no user:password (it would be shown back with the webhook) and
// no fragment. Plain http is refused, since a body on the wire can be
// read and its signature replayed, except to a loopback address
// (localhost, 127.0.0.0/8, ::1) when o.AllowLoopbackHTTP is set: a
// receiver on the same machine, in development and tests.
//
// A host that is an IP address is checked as a delivery would check it
// (see Options.AllowPrivateNetworks): a private, link-local or loopback literal is refused here
// already unless o allows it. Names are checked when delivered to, on the
// address they resolve to then.
func CheckURL(raw string, o Options) error {
	if raw == "" {
		return fmt.Errorf("%w: url is required", ErrURL)
	}
	if len(raw) > maxURL {
		return fmt.Errorf("%w: url is longer than %d bytes", ErrURL, maxURL)
	}
	if strings.ContainsFunc(raw, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
		return fmt.Errorf("%w: url holds spaces or control characters; percent-encode them", ErrURL)
	}
	u, err := url.Parse(raw)
	if err != nil || !u.IsAbs() || u.Host == "" || u.Opaque != "" {
		return fmt.Errorf("%w: want an absolute URL such as https://hooks.example.com/oatstore", ErrURL)
	}
	if u.User != nil {
		return fmt.Errorf("%w: url holds a user or password; the body is signed, so the receiver needs no credential in the URL", ErrURL)
	}
	if u.Fragment != "" || strings.Contains(raw, "#") {
		return fmt.Errorf("%w: url has a fragment (#...), which is never sent", ErrURL)
	}
	if ip, err := netip.ParseAddr(strings.Trim(u.Hostname(), "[]")); err == nil {
		if err := o.egress().Check(ip); err != nil {
			return fmt.Errorf("%w: %v%s", ErrURL, err, hint(err))
		}
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		if !Loopback(u.Hostname()) {
			return fmt.Errorf("%w: want https; plain http is accepted only to a loopback address", ErrURL)
		}
		if !o.AllowLoopbackHTTP {
			return fmt.Errorf("%w: want https; http to loopback needs oatstore serve --webhook-allow-loopback-http (or --dev)", ErrURL)
		}
		return nil
	}
	return fmt.Errorf("%w: scheme %q: want https", ErrURL, u.Scheme)
}

// Loopback reports whether host names this machine: localhost or a
// loopback IP.
func Loopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
