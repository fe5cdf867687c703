package cli

import (
	"fmt"
	"net"
	"net/url"
	"strings"
)

// serverURL turns --server (or OATSTORE_SERVER) into the API's base URL.
// A bare host:port is taken as http:// when the host is loopback, where
// plain HTTP never leaves the machine; for any other host the scheme must
// be written out, because the admin key travels with every call and
// guessing http:// would send it in clear over a network.
func serverURL(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", fmt.Errorf("no oatstore address: pass --server or set OATSTORE_SERVER (e.g. %s)", defaultServer)
	}
	if !strings.Contains(s, "://") {
		host := s
		if h, _, err := net.SplitHostPort(s); err == nil {
			host = h
		}
		if !isLoopback(host) {
			return "", fmt.Errorf("oatstore address %q (--server or OATSTORE_SERVER) has no scheme: write https://%s, or http://%s on a network you trust (the admin key goes with every call)", s, s, s)
		}
		s = "http://" + s
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return "", fmt.Errorf("oatstore address %q (--server or OATSTORE_SERVER): want http(s)://host:port, e.g. %s", s, defaultServer)
	}
	return strings.TrimSuffix(u.String(), "/"), nil
}

// isLoopback reports whether host names this machine: localhost or a
// loopback IP address (IPv6 in brackets or not).
func isLoopback(host string) bool {
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
