// Package federation decides whether a CI job's OIDC ID token earns an org
// access token: the trust policies an org sets (which issuer, which
// audience, which claims, which scopes, for how long), the claim matcher,
// the RFC 8693 exchange request, and the ID-token verifier built on
// github.com/coreos/go-oidc/v3.
//
// It answers in the three outcomes the rest of oatgate speaks: a token is
// accepted (with the claims that matched), refused (ErrRefused: bad
// signature, wrong audience, expired, no policy matches — and the caller
// never learns which), or could not be checked (ErrUnavailable: the issuer
// is unreachable and no keys of it are cached). Unavailable is never a
// grant and never a refusal: the caller answers 503.
//
// It knows nothing of HTTP routes or storage: the oatstore server parses,
// verifies and matches here, and the store keeps policies and the tokens
// issued under them.
package federation
