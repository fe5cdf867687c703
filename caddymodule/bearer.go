package caddymodule

import (
	"net/http"
	"time"

	"github.com/oatgate/oatgate/caddymodule/credentials"
	"github.com/oatgate/oatgate/caddymodule/decide"
	"github.com/oatgate/oatgate/caddymodule/dockertoken"
	"github.com/oatgate/oatgate/caddymodule/registryreq"
)

// decideRequest has the policy decide req with the credentials r carries:
// a Docker bearer token, or Basic credentials (or none).
func (ra *RegistryAuth) decideRequest(r *http.Request, req *registryreq.Request, now time.Time, client string) decide.Decision {
	if raw, ok := credentials.Bearer(r.Header); ok {
		return ra.policy.DecideBearer(r.Context(), req, raw, now)
	}
	cred, credErr := credentials.FromRequest(r.Header)
	return ra.policy.Decide(r.Context(), req, cred, credErr, client)
}

// challengeFor is the WWW-Authenticate of a 401 answering req. With
// `challenge bearer` it is the Bearer challenge: the token endpoint's URL,
// the service, the scope req needs (none for /v2/) and, for a bearer token
// that was refused, why (invalid_token or insufficient_scope). With
// `challenge basic` it is the Basic challenge of the realm.
func (ra *RegistryAuth) challengeFor(r *http.Request, req *registryreq.Request, d *decide.Decision) string {
	b := ra.bearer
	if b == nil || b.challenge != challengeBearer {
		return ra.challenge
	}
	c := dockertoken.Challenge{Realm: b.realm(r), Service: b.service, Error: d.Bearer.String()}
	if req.Kind != registryreq.Base {
		c.Scope = decide.ChallengeScope(req)
	}
	if c.Error != "" && d.Err != nil {
		c.Description = d.Err.Message()
	}
	return c.String()
}

// realm is the token endpoint's URL for a client of r: the configured one,
// or built from how the client reached the gateway (scheme and Host). A
// Host that cannot be put in a URL gets the bare path, which no client can
// follow: its request was not a real client's.
func (b *bearerState) realm(r *http.Request) string {
	if b.realmURL != "" {
		return b.realmURL
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	realm, err := dockertoken.Realm(scheme, r.Host, b.path)
	if err != nil {
		return b.path
	}
	return realm
}
