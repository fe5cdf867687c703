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
	guessed := !strings.Contains(s, "://")
	raw := s
	if guessed {
		raw = "http://" + s
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return "", fmt.Errorf("oatstore address %q (--server or OATSTORE_SERVER): want http(s)://host:port, e.g. %s", s, defaultServer)
	}
	// The host is judged as the URL parser sees it, the one the request
	// goes to: "127.0.0.1:1@evil.example" is evil.example.
	if guessed && !isLoopback(u.Hostname()) {
		return "", fmt.Errorf("oatstore address %q (--server or OATSTORE_SERVER) has no scheme: write https://%s, or http://%s on a network you trust (the admin key goes with every call)", s, s, s)
	}
	return strings.TrimSuffix(u.String(), "/"), nil
}

// isLoopback reports whether host names this machine: localhost or a
// loopback IP address.
func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
