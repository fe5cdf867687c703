package caddymodule

import (
	"net/http"
	"strings"
)

// forwardable reports whether a request header may reach the registry. It is
// an allowlist of what a registry reads: content and range headers, content
// negotiation, conditionals, who the client is and request tracing, plus the
// X-Forwarded-* headers, which Caddy's reverse_proxy rewrites itself for
// clients that are not trusted proxies. Everything else is dropped, so that
// no header a registry or a proxy behind the gateway might trust — an
// identity, a cookie, a method override, Forwarded — is decided by the
// client. The README lists the same headers; keep them in step.
func forwardable(key string) bool {
	switch key {
	case "Accept", "Accept-Encoding",
		"Content-Type", "Content-Length", "Content-Range", "Content-Encoding",
		"Range", "If-Range", "If-Match", "If-None-Match", "If-Modified-Since", "If-Unmodified-Since",
		"Cache-Control",
		"User-Agent", "X-Request-Id", "Traceparent", "Tracestate",
		"X-Forwarded-For", "X-Forwarded-Proto", "X-Forwarded-Host",
		// Hop-by-hop: the proxy drops it and the headers it names.
		"Connection":
		return true
	}
	return false
}

// keepForwardable deletes from h every header forwardable refuses. Header
// keys are canonical (the server canonicalizes them, Header.Set does too).
func keepForwardable(h http.Header) {
	for k := range h {
		if !forwardable(k) {
			delete(h, k)
		}
	}
}

// wantsUpgrade reports whether h asks to switch protocols (WebSocket, h2c):
// a registry that agreed would open a tunnel the gateway cannot see into.
func wantsUpgrade(h http.Header) bool {
	if len(h["Upgrade"]) > 0 {
		return true
	}
	for _, v := range h["Connection"] {
		for token := range strings.SplitSeq(v, ",") {
			if strings.EqualFold(strings.TrimSpace(token), "upgrade") {
				return true
			}
		}
	}
	return false
}

// headerValue is h.Get(key) for a key already in canonical form, without
// the canonicalization.
func headerValue(h http.Header, key string) string {
	if v := h[key]; len(v) > 0 {
		return v[0]
	}
	return ""
}
