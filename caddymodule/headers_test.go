package caddymodule

import (
	"net/http"
	"testing"
)

func TestOnlyForwardableHeadersReachTheRegistry(t *testing.T) {
	tests := []struct {
		name   string
		header string
		want   bool
	}{
		{"Accept is read for manifest negotiation", "Accept", true},
		{"Range is read for blob resumes", "Range", true},
		{"Content-Range is read for chunked uploads", "Content-Range", true},
		{"If-None-Match is read for conditional pulls", "If-None-Match", true},
		{"User-Agent is kept", "User-Agent", true},
		{"X-Forwarded-For is left to reverse_proxy", "X-Forwarded-For", true},
		{"Authorization never reaches the registry", "Authorization", false},
		{"Proxy-Authorization is dropped", "Proxy-Authorization", false},
		{"Forwarded is dropped: it would set the upload Location's host", "Forwarded", false},
		{"a method override is dropped", "X-Http-Method-Override", false},
		{"X-Http-Method is dropped", "X-Http-Method", false},
		{"X-Method-Override is dropped", "X-Method-Override", false},
		{"Cookie is dropped", "Cookie", false},
		{"X-Authenticated-User is dropped", "X-Authenticated-User", false},
		{"X-Webauth-User is dropped", "X-Webauth-User", false},
		{"X-Forwarded-Access-Token is dropped", "X-Forwarded-Access-Token", false},
		{"X-Forwarded-User is dropped", "X-Forwarded-User", false},
		{"Remote-User is dropped", "Remote-User", false},
		{"the gateway's own identity headers are dropped", "X-Oatgate-Token-Id", false},
		{"an unknown header is dropped", "X-Anything", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			h.Set(tt.header, "v")
			keepForwardable(h)
			if got := len(h) == 1; got != tt.want {
				t.Errorf("%s kept = %v, want %v", tt.header, got, tt.want)
			}
		})
	}
}

func TestWantsUpgrade(t *testing.T) {
	tests := []struct {
		name   string
		header http.Header
		want   bool
	}{
		{"no upgrade headers", http.Header{"Connection": {"keep-alive"}}, false},
		{"an Upgrade header", http.Header{"Upgrade": {"websocket"}}, true},
		{"an h2c Upgrade header", http.Header{"Upgrade": {"h2c"}}, true},
		{"Connection: Upgrade alone", http.Header{"Connection": {"Upgrade"}}, true},
		{"upgrade among other Connection tokens, any case", http.Header{"Connection": {"keep-alive, UPGRADE"}}, true},
		{"upgrade in a second Connection header", http.Header{"Connection": {"close", "upgrade"}}, true},
		{"a token that only contains upgrade", http.Header{"Connection": {"upgraded"}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := wantsUpgrade(tt.header); got != tt.want {
				t.Errorf("wantsUpgrade(%v) = %v, want %v", tt.header, got, tt.want)
			}
		})
	}
}
