package server

import (
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/oatgate/oatgate/cmd/oatstore/authz"
	"github.com/oatgate/oatgate/cmd/oatstore/store"
)

// sourceIP is the peer address. Forwarding headers are not trusted: the
// store is meant to be reached directly, not through a proxy.
func sourceIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// event is the audit record of a change r makes: the actor is who
// authenticated ("admin:alice", "token:tok_..."), never a value the client
// declares; what it declares in X-Oatstore-Actor is kept apart, as whom it
// acts on behalf of.
func (s *Server) event(r *http.Request, action string) store.Event {
	return store.Event{
		Action:     action,
		Actor:      principal(r).Actor(),
		OnBehalfOf: s.onBehalfOf(r),
		SourceIP:   sourceIP(r),
		At:         s.now().UTC().Truncate(time.Millisecond),
	}
}

// onBehalfOf returns whom the client says it acts for, reduced to a safe
// alphabet by authz.OnBehalfOf, or "" when the value is a credential pasted
// into the wrong header (anything shaped like a token, or one of the admin
// keys, a gateway key): the audit log and the logs must never hold a secret.
func (s *Server) onBehalfOf(r *http.Request) string {
	raw := strings.TrimSpace(r.Header.Get(authz.OnBehalfOfHeader))
	v := authz.OnBehalfOf(raw)
	if authz.Classify(v) == authz.Token || authz.Classify(v) == authz.MalformedToken {
		return ""
	}
	if _, isKey := s.admin.Lookup(raw); isKey || s.gateway.match(raw) {
		return ""
	}
	if _, isKey := s.admin.Lookup(v); isKey {
		return ""
	}
	return v
}
