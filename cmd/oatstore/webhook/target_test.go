package webhook

import (
	"errors"
	"net/url"
	"strings"
	"testing"
)

func TestWebhookURLsAreHTTPSOrLoopbackHTTPBehindTheSwitch(t *testing.T) {
	cases := []struct {
		name     string
		url      string
		loopback bool
		private  bool
		ok       bool
	}{
		{"an https URL is accepted", "https://hooks.example.com/oatstore?team=ci", false, false, true},
		{"an https URL with a port is accepted", "https://hooks.example.com:8443/x", false, false, true},
		{"http to a public host is refused", "http://hooks.example.com/x", true, false, false},
		{"http to 127.0.0.1 is refused without the switch", "http://127.0.0.1:9000/hook", false, false, false},
		{"http to 127.0.0.1 is accepted with the switch", "http://127.0.0.1:9000/hook", true, false, true},
		{"http to localhost is accepted with the switch", "http://localhost:9000/hook", true, false, true},
		{"http to ::1 is accepted with the switch", "http://[::1]:9000/hook", true, false, true},
		{"http to 10.0.0.1 is refused even with the switch", "http://10.0.0.1/hook", true, false, false},
		{"http to a name that merely starts with localhost is refused", "http://localhost.example.com/hook", true, false, false},
		{"a user and password are refused", "https://user:pass@hooks.example.com/x", false, false, false},
		{"a fragment is refused", "https://hooks.example.com/x#frag", false, false, false},
		{"another scheme is refused", "ftp://hooks.example.com/x", false, false, false},
		{"a relative URL is refused", "/hook", false, false, false},
		{"a URL without a host is refused", "https:///hook", false, false, false},
		{"an opaque URL is refused", "https:hooks.example.com", false, false, false},
		{"a space is refused", "https://hooks.example.com/a b", false, false, false},
		{"a newline is refused", "https://hooks.example.com/a\nb", false, false, false},
		{"an empty URL is refused", "", false, false, false},
		{"https to a private IP is refused", "https://10.1.2.3/hook", false, false, false},
		{"https to a private IP is accepted with its switch", "https://10.1.2.3/hook", false, true, true},
		{"https to cloud metadata is refused with every switch", "https://169.254.169.254/latest", true, true, false},
		{"https to a loopback IP is refused without the switch", "https://127.0.0.1:8443/hook", false, true, false},
		{"https to an IPv4-mapped loopback is refused without the switch", "https://[::ffff:127.0.0.1]/hook", false, true, false},
		{"https to 0.0.0.0 is refused", "https://0.0.0.0/hook", true, true, false},
		{"a URL over 2048 bytes is refused", "https://hooks.example.com/" + strings.Repeat("a", 2048), false, false, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := CheckURL(c.url, Options{AllowLoopbackHTTP: c.loopback, AllowPrivateNetworks: c.private})
			if (err == nil) != c.ok {
				t.Fatalf("CheckURL(%q, loopback %v, private %v) = %v, want ok=%v", c.url, c.loopback, c.private, err, c.ok)
			}
			if err != nil && !errors.Is(err, ErrURL) {
				t.Errorf("CheckURL error %v does not match ErrURL", err)
			}
			if err != nil && strings.Contains(c.url, "pass") && strings.Contains(err.Error(), "pass@") {
				t.Errorf("CheckURL error %q repeats the URL's password", err)
			}
		})
	}
}

func FuzzCheckURL(f *testing.F) {
	for _, s := range []string{"https://hooks.example.com/x", "http://127.0.0.1:1/h", "http://[::1]/", "https://u:p@h/", "https://h/#f", "http://localhost./", "HTTP://127.0.0.1/", "https://h/%zz", "https://%31%32%37.0.0.1/"} {
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, raw string, loopback bool) {
		if CheckURL(raw, Options{AllowLoopbackHTTP: loopback}) != nil {
			return
		}
		u, err := url.Parse(raw)
		if err != nil {
			t.Fatalf("accepted %q, which does not parse: %v", raw, err)
		}
		switch {
		case u.User != nil || u.Fragment != "" || u.Host == "":
			t.Errorf("accepted %q with a user, a fragment or no host", raw)
		case u.Scheme == "http" && (!loopback || !Loopback(u.Hostname())):
			t.Errorf("accepted plain http %q (loopback switch %v)", raw, loopback)
		case u.Scheme != "http" && u.Scheme != "https":
			t.Errorf("accepted scheme %q", u.Scheme)
		}
	})
}
