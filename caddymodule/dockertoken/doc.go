// Package dockertoken is Docker's token authentication (distribution's token
// spec, as Docker Hub, GHCR and Harbor speak it) without Caddy: the scopes a
// client asks for and the access a credential is granted from them, the
// signed bearer token the gateway mints and verifies, the token endpoint's
// requests and answers, and the Bearer challenge of a 401.
//
// The flow, as every registry client runs it:
//
//  1. A registry request without a usable token gets 401 with
//     `WWW-Authenticate: Bearer realm="https://host/token",service="...",scope="repository:acme/app:pull"`
//     (Challenge).
//  2. The client asks the realm for a token (ParseRequest): GET with Basic
//     credentials or none, or POST with an OAuth2 form. The gateway checks
//     the credential, intersects the requested scopes (ParseScopes) with what
//     it allows (Grant) and answers with a signed JWT (Signer.Mint,
//     WriteToken), or with an OAuth2 error (WriteError). Endpoint does all
//     of this given an Authenticator; the gateway supplies that (its token
//     verifier) and its anonymous_pull patterns.
//  3. The client repeats the registry request with `Authorization: Bearer
//     <jwt>`; the gateway verifies it (Verifier.Verify, cached by Digest) and
//     checks the access it carries (Claims.Allows).
//
// Which client sends what, and when, is in CLIENTS.md beside this file.
//
// A bearer token is a short-lived copy of a decision about an organization
// access token (OAT). It names the OAT (sub, org) so that the gateway can
// refuse it as soon as the OAT is revoked, deactivated or expired; its own
// expiry is never later than the OAT's. It is never a credential of its own:
// the gateway issues no refresh tokens (see CLIENTS.md for why clients then
// keep sending the OAT to the token endpoint).
package dockertoken
