package webhook

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"
)

func TestDeliveriesConnectOnlyWhereTheOptionsAllow(t *testing.T) {
	cases := []struct {
		name    string
		addr    string
		g       guard
		refused bool
	}{
		{"a public IPv4 address is allowed", "203.0.113.10", guard{}, false},
		{"a public IPv6 address is allowed", "2001:db8::1", guard{}, false},
		{"loopback is refused by default", "127.0.0.1", guard{}, true},
		{"loopback is allowed with its switch", "127.0.0.1", guard{loopback: true}, false},
		{"IPv6 loopback is refused by default", "::1", guard{}, true},
		{"an IPv4-mapped loopback is loopback", "::ffff:127.0.0.1", guard{}, true},
		{"10/8 is refused by default", "10.0.0.7", guard{loopback: true}, true},
		{"10/8 is allowed with the private switch", "10.0.0.7", guard{private: true}, false},
		{"192.168/16 is refused by default", "192.168.1.1", guard{}, true},
		{"172.16/12 is refused by default", "172.20.0.1", guard{}, true},
		{"carrier-grade NAT space is private", "100.64.1.1", guard{}, true},
		{"an IPv6 unique local address is private", "fd12::1", guard{}, true},
		{"cloud metadata is refused with every switch", "169.254.169.254", guard{loopback: true, private: true}, true},
		{"IPv6 link-local is refused with every switch", "fe80::1", guard{loopback: true, private: true}, true},
		{"the unspecified address is refused", "0.0.0.0", guard{loopback: true, private: true}, true},
		{"multicast is refused", "224.0.0.1", guard{loopback: true, private: true}, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.g.check(netip.MustParseAddr(c.addr))
			if (err != nil) != c.refused {
				t.Errorf("check(%s) = %v, want refused=%v", c.addr, err, c.refused)
			}
		})
	}
}

func TestANameResolvingToLoopbackIsRefusedWhenItConnects(t *testing.T) {
	var hits int
	srv := httptest.NewTLSServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { hits++ }))
	defer srv.Close()
	// https to a name passes CheckURL; the connection is what is refused.
	url := strings.Replace(srv.URL, "127.0.0.1", "localhost", 1) + "/hook"
	o := send(context.Background(), newClient(time.Second, guard{}), due(url), Options{}, time.Now())
	if o.Status != 0 || !strings.Contains(o.Err, "is loopback") || !strings.Contains(o.Err, "--webhook-allow-loopback-http") {
		t.Errorf("send = %+v, want refused before connecting, saying why", o)
	}
	if hits != 0 {
		t.Errorf("the loopback receiver got %d requests", hits)
	}
}
