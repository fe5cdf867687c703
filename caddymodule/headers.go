package caddymodule

import (
	"net/http"
	"slices"
)

// forgeableHeaders are identity headers that registries or the proxies in
// front of them may trust. A client could send them; the gateway removes them
// so that only what it decided reaches the registry.
var forgeableHeaders = []string{
	"Authorization",
	"Proxy-Authorization",
	"X-Forwarded-User",
	"X-Forwarded-Email",
	"X-Forwarded-Preferred-Username",
	"X-Forwarded-Groups",
	"X-Remote-User",
	"X-Remote-Group",
	"Remote-User",
	"X-Auth-Request-User",
	"X-Auth-Request-Email",
	"X-Auth-Request-Groups",
	"X-Oatgate-Token-Id",
	"X-Oatgate-Org",
}

// stripForgeable deletes forgeableHeaders from h. Header keys are canonical
// (the server canonicalizes them, Header.Set does too), so this is
// h.Del(name) for each name, in one pass over the few headers a request has
// instead of a canonicalization and a map lookup for each of 14 names.
func stripForgeable(h http.Header) {
	for k := range h {
		if slices.Contains(forgeableHeaders, k) {
			delete(h, k)
		}
	}
}

// headerValue is h.Get(key) for a key already in canonical form, without
// the canonicalization.
func headerValue(h http.Header, key string) string {
	if v := h[key]; len(v) > 0 {
		return v[0]
	}
	return ""
}
