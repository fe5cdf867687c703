// Package egress connects only to public addresses. oatstore makes
// requests to URLs an org chooses (webhook receivers, OIDC issuers and
// the jwks_uri their discovery names); without a guard an org could make
// it reach into the network it runs in (a cloud metadata endpoint, an
// admin port on localhost) and learn from the timing or the error whether
// something answered there.
//
// The check runs when a connection is made, on the address DNS returned,
// so a name that resolves elsewhere on the next lookup gains nothing.
package egress

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"syscall"
	"time"
)

// Policy decides which addresses may be connected to. The zero value
// allows public unicast addresses only.
type Policy struct {
	// Loopback allows 127.0.0.0/8 and ::1: a server on this machine, for
	// development and tests.
	Loopback bool
	// Private allows the internal network: 10/8, 172.16/12, 192.168/16,
	// 100.64/10, 198.18/15, fc00::/7, fec0::/10 and NAT64's local-use
	// 64:ff9b:1::/48.
	Private bool
}

// ErrRefused is what every refusal of Check matches.
var ErrRefused = errors.New("address not allowed")

// RefusedError is a refused address and its class. Its text holds the
// address: fit for the server's log, not for an org to read (it would
// resolve internal names for them).
type RefusedError struct {
	Addr  netip.Addr
	Class Class
}

func (e *RefusedError) Error() string {
	return fmt.Sprintf("address %s is %s", e.Addr, e.Class)
}

// Is makes a RefusedError match ErrRefused.
func (e *RefusedError) Is(target error) bool { return target == ErrRefused }

// Check refuses an address that is not a public unicast one, unless p
// allows its class. Link-local (169.254.0.0/16, where cloud metadata
// answers, and fe80::/10), multicast, unspecified and reserved addresses
// are refused whatever p says. An IPv6 address that embeds an IPv4 one
// (IPv4-mapped or -compatible, NAT64, 6to4) is checked as that IPv4
// address too.
func (p Policy) Check(addr netip.Addr) error {
	c := Classify(addr)
	switch {
	case c == Public, c == Loopback && p.Loopback, c == Private && p.Private:
		return nil
	}
	return &RefusedError{Addr: addr, Class: c}
}

// Control is net.Dialer's Control: it sees the address being connected to
// after resolution, for every attempt (each address of a name included).
func (p Policy) Control(_, address string, _ syscall.RawConn) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return fmt.Errorf("dialing %q: %w", address, err)
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return fmt.Errorf("dialing %q: not an IP address", host)
	}
	return p.Check(ip)
}

// Transport returns a transport that connects only where p allows, with
// timeout bounding the connection and the wait for the answer's headers.
// It connects directly, never through a proxy from the environment: the
// guard must see the server's own address, not the proxy's.
func (p Policy) Transport(timeout time.Duration) *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.Proxy = nil
	t.DialContext = (&net.Dialer{Timeout: timeout, KeepAlive: 30 * time.Second, Control: p.Control}).DialContext
	t.ResponseHeaderTimeout = timeout
	return t
}
