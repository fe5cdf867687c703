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
		ok       bool
	}{
		{"an https URL is accepted", "https://hooks.example.com/oatstore?team=ci", false, true},
		{"an https URL with a port is accepted", "https://hooks.example.com:8443/x", false, true},
		{"http to a public host is refused", "http://hooks.example.com/x", true, false},
		{"http to 127.0.0.1 is refused without the switch", "http://127.0.0.1:9000/hook", false, false},
		{"http to 127.0.0.1 is accepted with the switch", "http://127.0.0.1:9000/hook", true, true},
		{"http to localhost is accepted with the switch", "http://localhost:9000/hook", true, true},
		{"http to ::1 is accepted with the switch", "http://[::1]:9000/hook", true, true},
		{"http to 10.0.0.1 is refused even with the switch", "http://10.0.0.1/hook", true, false},
		{"http to a name that merely starts with localhost is refused", "http://localhost.example.com/hook", true, false},
		{"a user and password are refused", "https://user:pass@hooks.example.com/x", false, false},
		{"a fragment is refused", "https://hooks.example.com/x#frag", false, false},
		{"another scheme is refused", "ftp://hooks.example.com/x", false, false},
		{"a relative URL is refused", "/hook", false, false},
		{"a URL without a host is refused", "https:///hook", false, false},
		{"an opaque URL is refused", "https:hooks.example.com", false, false},
		{"a space is refused", "https://hooks.example.com/a b", false, false},
		{"a newline is refused", "https://hooks.example.com/a\nb", false, false},
		{"an empty URL is refused", "", false, false},
		{"a URL over 2048 bytes is refused", "https://hooks.example.com/" + strings.Repeat("a", 2048), false, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := CheckURL(c.url, c.loopback)
			if (err == nil) != c.ok {
				t.Fatalf("CheckURL(%q, %v) = %v, want ok=%v", c.url, c.loopback, err, c.ok)
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
		if CheckURL(raw, loopback) != nil {
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
