package webhook

import (
	"fmt"
	"net"
	"net/netip"
	"syscall"
)

// A webhook URL is the org's to choose, and an org management token may
// set one: without a guard, oatstore would POST from inside the network to
// any address the org names (a cloud metadata endpoint, an admin port on
// localhost) and report in the delivery's last_error whether it answered.
// The guard runs when the connection is made, on the address DNS returned,
// so a name that resolves elsewhere on the next lookup gains nothing.

// guard decides which addresses deliveries may connect to.
type guard struct {
	loopback bool // AllowLoopbackHTTP: receivers on this machine
	private  bool // AllowPrivateNetworks: receivers in the internal network
}

// check refuses an address that is not a public unicast one, unless the
// options allow its kind. Link-local addresses (169.254.0.0/16, where
// cloud metadata answers, and fe80::/10) and unspecified or multicast ones
// are always refused.
func (g guard) check(addr netip.Addr) error {
	addr = addr.Unmap()
	switch {
	case addr.IsLoopback():
		if g.loopback {
			return nil
		}
		return fmt.Errorf("address %s is loopback; oatstore serve --webhook-allow-loopback-http allows receivers on this machine", addr)
	case addr.IsLinkLocalUnicast() || addr.IsLinkLocalMulticast() || addr.IsUnspecified() || addr.IsMulticast() || addr.IsInterfaceLocalMulticast():
		return fmt.Errorf("address %s is link-local, multicast or unspecified, never a webhook receiver", addr)
	case addr.IsPrivate() || sharedAddressSpace.Contains(addr):
		if g.private {
			return nil
		}
		return fmt.Errorf("address %s is private; oatstore serve --webhook-allow-private-networks allows receivers in the internal network", addr)
	}
	return nil
}

// sharedAddressSpace is RFC 6598's carrier-grade NAT range, internal like
// the private ones.
var sharedAddressSpace = netip.MustParsePrefix("100.64.0.0/10")

// control is net.Dialer's Control: it sees the address being connected to
// after resolution, for every attempt (each address of a name included).
func (g guard) control(_, address string, _ syscall.RawConn) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return fmt.Errorf("webhook receiver address %q: %w", address, err)
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return fmt.Errorf("webhook receiver address %q is not an IP", host)
	}
	return g.check(ip)
}
