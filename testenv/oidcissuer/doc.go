// Package oidcissuer is a real OpenID Connect issuer for tests: an HTTP
// server on 127.0.0.1 that serves a discovery document and a JWKS, and signs
// ID tokens with go-jose as a CI system (GitHub Actions, GitLab CI, a
// Kubernetes API server) would.
//
// It exists so that federation is tested against the same discovery, key
// fetching and signature checks a production issuer exercises, not against a
// stubbed verifier. Beside honest tokens it mints the hostile ones a
// verifier must refuse — alg none, HS256 keyed with the public key, an
// unknown kid, a payload that is not the one signed, expired and not yet
// valid — and it can rotate its key, go down and come back on the same
// address, and count how often its JWKS is fetched.
//
//	iss, err := oidcissuer.New(oidcissuer.Options{Algorithm: oidcissuer.ES256})
//	defer iss.Close()
//	jwt := iss.Mint(oidcissuer.GitHub("acme", "app", "refs/heads/main"))
package oidcissuer
