package server

import (
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/oatgate/oatgate/cmd/oatstore/store"
)

// ActorHeader names who acts, for the audit log. The admin key is shared, so
// this is what tells "alice via the CLI" from "the CI bootstrap job".
const ActorHeader = "X-Oatstore-Actor"

// maxActor bounds the stored actor name.
const maxActor = 64

// defaultActor is the audit actor when the client names none.
const defaultActor = "admin"

// actor returns the request's actor, reduced to a safe alphabet so that an
// audit log reader (or a terminal) never sees control characters.
func actor(r *http.Request) string {
	raw := r.Header.Get(ActorHeader)
	var b strings.Builder
	for _, c := range raw {
		if b.Len() >= maxActor {
			break
		}
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', strings.ContainsRune("@._:+-", c):
			b.WriteRune(c)
		case c == ' ' || c == '/':
			b.WriteByte('_')
		}
	}
	if b.Len() == 0 {
		return defaultActor
	}
	return b.String()
}

// sourceIP is the peer address. Forwarding headers are not trusted: the
// store is meant to be reached directly, not through a proxy.
func sourceIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

func (s *Server) event(r *http.Request, action string) store.Event {
	return store.Event{Action: action, Actor: actor(r), SourceIP: sourceIP(r), At: s.now().UTC().Truncate(time.Millisecond)}
}
