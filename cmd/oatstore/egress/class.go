package egress

import "net/netip"

// Class is the kind of network an address belongs to.
type Class int

// Classes of addresses, from allowed by default to never allowed.
const (
	// Public is a global unicast address.
	Public Class = iota
	// Loopback is this machine.
	Loopback
	// Private is the internal network.
	Private
	// Never is link-local, multicast, unspecified or reserved: no server
	// oatstore should reach.
	Never
)

func (c Class) String() string {
	switch c {
	case Public:
		return "public"
	case Loopback:
		return "loopback"
	case Private:
		return "private"
	}
	return "link-local, multicast, unspecified or reserved"
}

var (
	// private4 are IPv4's internal ranges besides RFC 1918's.
	private4 = []netip.Prefix{
		netip.MustParsePrefix("100.64.0.0/10"), // carrier-grade NAT (RFC 6598)
		netip.MustParsePrefix("198.18.0.0/15"), // benchmarking (RFC 2544), used internally
		netip.MustParsePrefix("192.0.0.0/24"),  // IETF protocol assignments
	}
	// never4 are IPv4 ranges that no server lives in.
	never4 = []netip.Prefix{
		netip.MustParsePrefix("0.0.0.0/8"),   // "this network"
		netip.MustParsePrefix("240.0.0.0/4"), // reserved, and the broadcast address
	}
	// private6 are IPv6's internal ranges besides fc00::/7.
	private6 = []netip.Prefix{
		netip.MustParsePrefix("fec0::/10"),      // site-local (deprecated)
		netip.MustParsePrefix("64:ff9b:1::/48"), // NAT64 for local use (RFC 8215)
	}
	// never6 are IPv6 ranges that no server lives in, or that tunnel to
	// an address that cannot be checked.
	never6 = []netip.Prefix{
		netip.MustParsePrefix("100::/64"),  // discard-only
		netip.MustParsePrefix("2001::/32"), // Teredo
	}
	// Ranges whose addresses embed an IPv4 address, and where it sits.
	nat64      = netip.MustParsePrefix("64:ff9b::/96")
	compatible = netip.MustParsePrefix("::/96")
	sixToFour  = netip.MustParsePrefix("2002::/16")
)

// Classify says which network addr belongs to. An IPv6 address that
// embeds an IPv4 one is classed as that IPv4 address, or as Never if
// that is stricter than its own class.
func Classify(addr netip.Addr) Class {
	addr = addr.Unmap()
	if v4, ok := embedded(addr); ok {
		return max(classify(addr), classify(v4))
	}
	return classify(addr)
}

// embedded returns the IPv4 address inside an IPv6 one: NAT64's
// well-known prefix and IPv4-compatible addresses hold it in their last
// 32 bits, 6to4 in bits 16 to 48.
func embedded(addr netip.Addr) (netip.Addr, bool) {
	if !addr.Is6() {
		return netip.Addr{}, false
	}
	b := addr.As16()
	switch {
	case nat64.Contains(addr):
		return netip.AddrFrom4([4]byte(b[12:16])), true
	case compatible.Contains(addr) && !addr.IsLoopback() && !addr.IsUnspecified():
		return netip.AddrFrom4([4]byte(b[12:16])), true
	case sixToFour.Contains(addr):
		return netip.AddrFrom4([4]byte(b[2:6])), true
	}
	return netip.Addr{}, false
}

func classify(addr netip.Addr) Class {
	switch {
	case !addr.IsValid(), addr.IsUnspecified(), addr.IsMulticast(), addr.IsLinkLocalUnicast(),
		addr.IsLinkLocalMulticast(), addr.IsInterfaceLocalMulticast(), in(addr, never4), in(addr, never6):
		return Never
	case addr.IsLoopback():
		return Loopback
	case addr.IsPrivate(), in(addr, private4), in(addr, private6):
		return Private
	}
	return Public
}

func in(addr netip.Addr, ranges []netip.Prefix) bool {
	for _, r := range ranges {
		if r.Contains(addr) {
			return true
		}
	}
	return false
}
