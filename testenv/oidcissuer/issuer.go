package oidcissuer

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// Options configure an issuer. The zero value is an RS256 issuer for the
// audience "oatgate" on the real clock.
type Options struct {
	// Algorithm is what the issuer signs with. Default RS256.
	Algorithm Algorithm
	// Audience is the aud Mint puts in a token that names none. Default
	// "oatgate".
	Audience string
	// Now is the issuer's clock, for iat, nbf and exp. Default time.Now.
	Now func() time.Time
	// Lifetime is how long a minted token is valid. Default 5 minutes, as
	// GitHub's ID tokens.
	Lifetime time.Duration
	// TLS serves https with a self-signed certificate for 127.0.0.1 that
	// Client trusts, so that a verifier's https-only rule is tested as it
	// runs in production. Default plain http.
	TLS bool
}

// Issuer is a running OIDC issuer on a loopback port. Its methods are safe
// for concurrent use.
type Issuer struct {
	opts Options
	addr string
	cert *tls.Certificate
	pool *x509.CertPool

	mu     sync.Mutex
	key    *signingKey
	server *http.Server
	served chan struct{}

	jwksFetches      atomic.Int64
	discoveryFetches atomic.Int64
}

// New starts an issuer on a free loopback port. Close stops it.
func New(opts Options) (*Issuer, error) {
	if opts.Algorithm == "" {
		opts.Algorithm = RS256
	}
	if opts.Audience == "" {
		opts.Audience = "oatgate"
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Lifetime == 0 {
		opts.Lifetime = 5 * time.Minute
	}
	key, err := newKey(opts.Algorithm)
	if err != nil {
		return nil, fmt.Errorf("starting issuer: %w", err)
	}
	iss := &Issuer{opts: opts, key: key, addr: "127.0.0.1:0"}
	if opts.TLS {
		cert, pool, err := selfSigned()
		if err != nil {
			return nil, fmt.Errorf("starting issuer: %w", err)
		}
		iss.cert, iss.pool = &cert, pool
	}
	if err := iss.Start(); err != nil {
		return nil, err
	}
	return iss, nil
}

// Start serves the issuer on its address again after Stop: the same URL,
// the same key. Starting a running issuer does nothing.
func (iss *Issuer) Start() error {
	iss.mu.Lock()
	defer iss.mu.Unlock()
	if iss.server != nil {
		return nil
	}
	ln, err := net.Listen("tcp", iss.addr)
	if err != nil {
		return fmt.Errorf("listening for the OIDC issuer on %s: %w", iss.addr, err)
	}
	iss.addr = ln.Addr().String()
	if iss.cert != nil {
		ln = tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{*iss.cert}, MinVersion: tls.VersionTLS12})
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", iss.serveDiscovery)
	mux.HandleFunc("GET /jwks", iss.serveJWKS)
	iss.server = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	iss.served = make(chan struct{})
	go func(srv *http.Server, done chan struct{}) {
		defer close(done)
		_ = srv.Serve(ln)
	}(iss.server, iss.served)
	return nil
}

// Stop takes the issuer down: its address refuses connections until Start.
// Open connections are closed too, so that a client's kept-alive
// connection does not outlive the issuer.
func (iss *Issuer) Stop() {
	iss.mu.Lock()
	srv, done := iss.server, iss.served
	iss.server = nil
	iss.mu.Unlock()
	if srv == nil {
		return
	}
	_ = srv.Close()
	<-done
}

// Close stops the issuer for good.
func (iss *Issuer) Close() { iss.Stop() }

// URL is the issuer identifier, http://127.0.0.1:<port> (https with
// Options.TLS), which is also where its discovery document is served from.
func (iss *Issuer) URL() string {
	if iss.cert != nil {
		return "https://" + iss.addr
	}
	return "http://" + iss.addr
}

// Audience is the aud a minted token carries unless its claims name another.
func (iss *Issuer) Audience() string { return iss.opts.Audience }

// KeyID is the kid of the key the issuer signs with now.
func (iss *Issuer) KeyID() string {
	iss.mu.Lock()
	defer iss.mu.Unlock()
	return iss.key.kid
}

// Rotate replaces the signing key with a fresh one of the same algorithm.
// The old key leaves the JWKS at once, so tokens it signed stop verifying
// once a verifier refetches.
func (iss *Issuer) Rotate() error {
	key, err := newKey(iss.opts.Algorithm)
	if err != nil {
		return fmt.Errorf("rotating the issuer's key: %w", err)
	}
	iss.mu.Lock()
	iss.key = key
	iss.mu.Unlock()
	return nil
}

// JWKSFetches is how many times the JWKS has been served.
func (iss *Issuer) JWKSFetches() int64 { return iss.jwksFetches.Load() }

// DiscoveryFetches is how many times the discovery document has been served.
func (iss *Issuer) DiscoveryFetches() int64 { return iss.discoveryFetches.Load() }

// currentKey is the signing key, read under the lock.
func (iss *Issuer) currentKey() *signingKey {
	iss.mu.Lock()
	defer iss.mu.Unlock()
	return iss.key
}

// discovery is the part of the OpenID Provider Metadata a verifier reads.
type discovery struct {
	Issuer          string   `json:"issuer"`
	JWKSURI         string   `json:"jwks_uri"`
	ResponseTypes   []string `json:"response_types_supported"`
	SubjectTypes    []string `json:"subject_types_supported"`
	SigningAlgs     []string `json:"id_token_signing_alg_values_supported"`
	ClaimsSupported []string `json:"claims_supported,omitempty"`
	ScopesSupported []string `json:"scopes_supported,omitempty"`
}

func (iss *Issuer) serveDiscovery(w http.ResponseWriter, _ *http.Request) {
	iss.discoveryFetches.Add(1)
	writeJSON(w, discovery{
		Issuer:          iss.URL(),
		JWKSURI:         iss.URL() + "/jwks",
		ResponseTypes:   []string{"id_token"},
		SubjectTypes:    []string{"public", "pairwise"},
		SigningAlgs:     []string{string(iss.opts.Algorithm)},
		ClaimsSupported: []string{"sub", "aud", "exp", "iat", "iss", "nbf", "jti", "repository", "repository_owner", "ref"},
		ScopesSupported: []string{"openid"},
	})
}

func (iss *Issuer) serveJWKS(w http.ResponseWriter, _ *http.Request) {
	iss.jwksFetches.Add(1)
	writeJSON(w, jose.JSONWebKeySet{Keys: []jose.JSONWebKey{iss.currentKey().public()}})
}

func writeJSON(w http.ResponseWriter, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		http.Error(w, "encoding the answer failed", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(body)
}
