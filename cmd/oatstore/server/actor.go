package server

import (
	"net"
	"net/http"
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
		OnBehalfOf: authz.OnBehalfOf(r.Header.Get(authz.OnBehalfOfHeader)),
		SourceIP:   sourceIP(r),
		At:         s.now().UTC().Truncate(time.Millisecond),
	}
}
