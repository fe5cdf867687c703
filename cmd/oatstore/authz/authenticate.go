package authz

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/oatgate/oatgate/caddymodule/oat"
	"github.com/oatgate/oatgate/cmd/oatstore/adminkeys"
)

// CredentialKind is what a bearer credential presented to oatstore is.
type CredentialKind uint8

// The credential kinds.
const (
	// NoCredential is an empty credential.
	NoCredential CredentialKind = iota
	// AdminKey is anything not shaped like a token: admin keys may not
	// start with "oat_" (adminkeys refuses them), so the prefix decides.
	AdminKey
	// Token is an "oat_" string with a valid checksum: looked up by hash.
	Token
	// MalformedToken is an "oat_" string whose shape or checksum is wrong:
	// refused without a lookup.
	MalformedToken
)

// Classify tells a token from an admin key by the "oat_" prefix, and
// checks a token's checksum, so that garbage costs no store lookup.
func Classify(credential string) CredentialKind {
	switch {
	case credential == "":
		return NoCredential
	case !strings.HasPrefix(credential, oat.Prefix):
		return AdminKey
	case oat.Check(credential) != nil:
		return MalformedToken
	}
	return Token
}

// Lookup finds a token by the SHA-256 of its secret. It returns ok=false
// for a token the store does not know, and an error only when the store
// could not answer. oatstore passes its own store, so a revoked or
// deactivated token is refused at its next call, with no cache between.
type Lookup func(ctx context.Context, hash oat.Hash) (f TokenFacts, ok bool, err error)

// Authenticate finds who presented credential (the value of an
// "Authorization: Bearer" header): an admin key by name in keys, or a
// token through lookup, usable at now. A refusal is a Decision
// (Unauthenticated, saying which case it is); an error means the store
// could not be asked, which the server answers 503, never 401.
func Authenticate(ctx context.Context, credential string, keys *adminkeys.Ring, lookup Lookup, now time.Time) (Principal, Decision, error) {
	switch Classify(credential) {
	case NoCredential:
		return Principal{}, unauthenticated("no credential: send Authorization: Bearer <admin key or oat_ token>"), nil
	case AdminKey:
		name, ok := keys.Lookup(credential)
		if !ok {
			return Principal{}, unauthenticated("unknown admin key"), nil
		}
		return Admin(name), allow, nil
	case MalformedToken:
		return Principal{}, unauthenticated("not an organization access token: the oat_ string is mistyped or truncated"), nil
	}
	if lookup == nil {
		return Principal{}, unauthenticated("this server does not accept organization access tokens"), nil
	}
	f, ok, err := lookup(ctx, oat.HashOf(credential))
	if err != nil {
		return Principal{}, Decision{}, fmt.Errorf("looking up token: %w", err)
	}
	if !ok {
		return Principal{}, unauthenticated("unknown token: it was deleted, or never issued by this store"), nil
	}
	p, d := FromToken(f, now)
	return p, d, nil
}

// Bearer returns the credential of an "Authorization: Bearer ..." header,
// or "" when there is none.
func Bearer(r *http.Request) string {
	h := r.Header.Get("Authorization")
	const prefix = "bearer "
	if len(h) <= len(prefix) || !strings.EqualFold(h[:len(prefix)], prefix) {
		return ""
	}
	return strings.TrimSpace(h[len(prefix):])
}

// OnBehalfOfHeader is the header in which a client names the person or job
// it acts for. It is recorded beside the authenticated actor, never as it.
const OnBehalfOfHeader = "X-Oatstore-Actor"

// maxOnBehalfOf bounds the recorded on-behalf-of value.
const maxOnBehalfOf = 64

// OnBehalfOf reduces a client-declared on-behalf-of value to a safe
// alphabet (letters, digits, "@._:+-"; space and "/" become "_"), at most
// 64 bytes, so that an audit reader or a terminal never sees control or
// bidi characters. It returns "" when nothing is left: the field is
// optional and has no default.
func OnBehalfOf(raw string) string {
	var b strings.Builder
	for _, c := range raw {
		if b.Len() >= maxOnBehalfOf {
			break
		}
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', strings.ContainsRune("@._:+-", c):
			b.WriteRune(c)
		case c == ' ' || c == '/':
			b.WriteByte('_')
		}
	}
	return b.String()
}
