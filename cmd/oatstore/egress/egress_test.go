package egress

import (
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestOnlyTheAddressesAPolicyAllowsAreConnectedTo(t *testing.T) {
	all := Policy{Loopback: true, Private: true}
	cases := []struct {
		name    string
		addr    string
		p       Policy
		refused bool
	}{
		{"a public IPv4 address is allowed", "203.0.113.10", Policy{}, false},
		{"a public IPv6 address is allowed", "2001:db8::1", Policy{}, false},
		{"loopback is refused by default", "127.0.0.1", Policy{}, true},
		{"loopback is allowed with its switch", "127.0.0.1", Policy{Loopback: true}, false},
		{"IPv6 loopback is refused by default", "::1", Policy{}, true},
		{"an IPv4-mapped loopback is loopback", "::ffff:127.0.0.1", Policy{}, true},
		{"10/8 is refused by default", "10.0.0.7", Policy{Loopback: true}, true},
		{"10/8 is allowed with the private switch", "10.0.0.7", Policy{Private: true}, false},
		{"192.168/16 is refused by default", "192.168.1.1", Policy{}, true},
		{"172.16/12 is refused by default", "172.20.0.1", Policy{}, true},
		{"carrier-grade NAT space is private", "100.64.1.1", Policy{}, true},
		{"benchmarking space 198.18/15 is private", "198.18.0.1", Policy{}, true},
		{"an IPv6 unique local address is private", "fd12::1", Policy{}, true},
		{"an IPv6 site-local address is private", "fec0::1", Policy{}, true},
		{"cloud metadata is refused with every switch", "169.254.169.254", all, true},
		{"IPv6 link-local is refused with every switch", "fe80::1", all, true},
		{"the unspecified address is refused", "0.0.0.0", all, true},
		{"0.0.0.0/8 is refused with every switch", "0.1.2.3", all, true},
		{"240/4 is refused with every switch", "240.0.0.1", all, true},
		{"the broadcast address is refused", "255.255.255.255", all, true},
		{"multicast is refused", "224.0.0.1", all, true},
		{"NAT64 of a private address is private", "64:ff9b::a00:1", Policy{}, true},
		{"NAT64 of a private address is allowed with the private switch", "64:ff9b::a00:1", Policy{Private: true}, false},
		{"NAT64 of cloud metadata is refused with every switch", "64:ff9b::a9fe:a9fe", all, true},
		{"NAT64 of a public address is allowed", "64:ff9b::cb00:710a", Policy{}, false},
		{"local-use NAT64 is private", "64:ff9b:1::a00:1", Policy{}, true},
		{"an IPv4-compatible private address is private", "::a00:1", Policy{}, true},
		{"an IPv4-mapped private address is private", "::ffff:10.0.0.1", Policy{}, true},
		{"6to4 of a private address is private", "2002:a00:1::1", Policy{}, true},
		{"6to4 of loopback is refused by default", "2002:7f00:1::1", Policy{}, true},
		{"6to4 of a public address is allowed", "2002:cb00:710a::1", Policy{}, false},
		{"Teredo is refused with every switch", "2001:0:4136:e378:8000:63bf:3fff:fdd2", all, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.p.Check(netip.MustParseAddr(c.addr))
			if (err != nil) != c.refused {
				t.Errorf("Check(%s) = %v, want refused=%v", c.addr, err, c.refused)
			}
			if err != nil && !errors.Is(err, ErrRefused) {
				t.Errorf("Check(%s) = %v, want it to match ErrRefused", c.addr, err)
			}
		})
	}
}

func TestANameResolvingToLoopbackIsRefusedBeforeItConnects(t *testing.T) {
	var conns atomic.Int32
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	defer srv.Close()
	url := strings.Replace(srv.URL, "127.0.0.1", "localhost", 1)
	c := &http.Client{Transport: Policy{}.Transport(time.Second)}
	_, err := c.Get(url)
	if !errors.Is(err, ErrRefused) {
		t.Errorf("GET %s = %v, want ErrRefused", url, err)
	}
	if n := conns.Load(); n != 0 {
		t.Errorf("the loopback server saw %d connections, want none", n)
	}
	allowed := &http.Client{Transport: Policy{Loopback: true}.Transport(time.Second)}
	res, err := allowed.Get(url)
	if err != nil {
		t.Fatalf("GET %s with loopback allowed: %v", url, err)
	}
	res.Body.Close()
}
