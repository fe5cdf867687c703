package federation

import (
	"fmt"
	"net"
	"net/url"
	"strings"
)

// CheckIssuer refuses an issuer URL the verifier would not fetch keys
// from: anything but https://host[:port][/path] without user info, query
// or fragment, or http:// on a loopback host when opts.AllowLoopbackHTTP
// is set. Keys fetched over plain http could be swapped by anyone on the
// path, and a forged key is a forged identity.
func CheckIssuer(issuer string, opts Options) error {
	if err := checkText("issuer", issuer, maxIssuerLen); err != nil {
		return err
	}
	u, err := url.Parse(issuer)
	if err != nil || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" || u.Opaque != "" {
		return fmt.Errorf("issuer %q: want https://host[/path] exactly as the tokens' iss claim spells it", issuer)
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		if !IsLoopback(u.Hostname()) {
			return fmt.Errorf("issuer %q: plain http is refused; use https", issuer)
		}
		if !opts.AllowLoopbackHTTP {
			return fmt.Errorf("issuer %q: http is accepted only on loopback and only when oatstore runs with --insecure-loopback-issuers (tests and development)", issuer)
		}
		return nil
	}
	return fmt.Errorf("issuer %q: want an https:// URL", issuer)
}

// IsLoopback reports whether host names this machine: localhost or a
// loopback IP address.
func IsLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
