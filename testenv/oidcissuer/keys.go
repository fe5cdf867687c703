package oidcissuer

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"fmt"

	"github.com/go-jose/go-jose/v4"
)

// Algorithm is a JWS signature algorithm the issuer signs with: the three a
// federation verifier accepts.
type Algorithm string

// The algorithms the issuer can sign with.
const (
	RS256 Algorithm = "RS256"
	ES256 Algorithm = "ES256"
	EdDSA Algorithm = "EdDSA"
)

// Algorithms lists every algorithm the issuer supports, for tables that run
// a case per algorithm.
var Algorithms = []Algorithm{RS256, ES256, EdDSA}

// signingKey is one private key and the key ID it is published under.
type signingKey struct {
	alg  Algorithm
	kid  string
	priv crypto.Signer
}

// newKey generates a fresh key for alg, with a random key ID.
func newKey(alg Algorithm) (*signingKey, error) {
	var priv crypto.Signer
	var err error
	switch alg {
	case RS256:
		priv, err = rsa.GenerateKey(rand.Reader, 2048)
	case ES256:
		priv, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case EdDSA:
		_, priv, err = ed25519.GenerateKey(rand.Reader)
	default:
		return nil, fmt.Errorf("unsupported algorithm %q: use RS256, ES256 or EdDSA", alg)
	}
	if err != nil {
		return nil, fmt.Errorf("generating %s key: %w", alg, err)
	}
	id := make([]byte, 8)
	if _, err := rand.Read(id); err != nil {
		return nil, fmt.Errorf("generating key id: %w", err)
	}
	return &signingKey{alg: alg, kid: hex.EncodeToString(id), priv: priv}, nil
}

// public is the key as the JWKS publishes it.
func (k *signingKey) public() jose.JSONWebKey {
	return jose.JSONWebKey{
		Key:       k.priv.Public(),
		KeyID:     k.kid,
		Algorithm: string(k.alg),
		Use:       "sig",
	}
}

// publicPEM is the public key in PKIX PEM form: the bytes an attacker keys
// HMAC with in the classic algorithm-confusion attack.
func (k *signingKey) publicPEM() []byte {
	der, err := x509.MarshalPKIXPublicKey(k.priv.Public())
	if err != nil {
		// Every key newKey makes marshals; failing here is a bug in this package.
		panic(fmt.Sprintf("marshalling %s public key: %v", k.alg, err))
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
}

// signer signs compact JWSs with k, naming it in the kid header.
func (k *signingKey) signer() (jose.Signer, error) {
	opts := (&jose.SignerOptions{}).WithType("JWT").WithHeader(jose.HeaderKey("kid"), k.kid)
	return jose.NewSigner(jose.SigningKey{Algorithm: jose.SignatureAlgorithm(k.alg), Key: k.priv}, opts)
}
