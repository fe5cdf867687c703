package federation

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/go-jose/go-jose/v4"
	"go.uber.org/zap"
)

// Algorithms are the signature algorithms an ID token may use. HS256 and
// none are absent on purpose: an HMAC "signed" with the issuer's public
// key, or no signature at all, is the oldest trick against JWT verifiers.
var Algorithms = []jose.SignatureAlgorithm{jose.RS256, jose.ES256, jose.EdDSA}

// maxDocument bounds a discovery document or a JWKS.
const maxDocument = 1 << 20

// minRSABits is the smallest RSA key accepted from a JWKS.
const minRSABits = 2048

// maxKeys bounds the keys kept of one JWKS: real issuers publish a few
// (GitHub two or three during a rotation); a JWKS of a thousand RSA-4096
// keys would make each token cost a thousand verifications. Beyond it, the
// first maxKeys usable keys are kept and the rest dropped, with a warning.
const maxKeys = 32

// maxTriesWithoutKid is how many keys a token without a kid header is
// tried against: a set held by an issuer that names no kids is one or two
// keys; trying every key of a big set is the cost a hostile issuer wants.
const maxTriesWithoutKid = 3

// failureBackoff is how long after a failed fetch an issuer with no keys
// cached is left alone: the requests in between get ErrUnavailable at once
// instead of each waiting for a dead issuer.
const failureBackoff = 5 * time.Second

// keySet is one issuer's keys: discovered once, fetched when a token names
// a key it does not hold (at most once per refetch interval, however many
// such tokens arrive) or when they are older than the maximum age. It is
// the oidc.KeySet go-oidc verifies signatures with.
type keySet struct {
	issuer string
	cfg    *VerifierConfig
	checks chan struct{} // the Verifier's slots for signature checks

	mu        sync.Mutex
	jwksURL   string
	keys      []jose.JSONWebKey
	fetchedAt time.Time     // of the keys held
	triedAt   time.Time     // of the last fetch, successful or not
	fetching  chan struct{} // closed when the running fetch ends; nil when none runs
}

// VerifySignature implements oidc.KeySet: it returns the payload of a
// JWS signed by one of the issuer's keys with an allowed algorithm. Its
// error is also left where Verify finds it (see signatureErrKey).
func (k *keySet) VerifySignature(ctx context.Context, jwt string) ([]byte, error) {
	payload, err := k.verifySignature(ctx, jwt)
	if err != nil {
		if dst, ok := ctx.Value(signatureErrKey{}).(*error); ok {
			*dst = err
		}
	}
	return payload, err
}

func (k *keySet) verifySignature(ctx context.Context, jwt string) ([]byte, error) {
	jws, err := jose.ParseSigned(jwt, Algorithms)
	if err != nil {
		return nil, refused("parsing JWS: %v", err)
	}
	if len(jws.Signatures) != 1 {
		return nil, refused("want one signature, got %d", len(jws.Signatures))
	}
	header := jws.Signatures[0].Header
	keys, age := k.held()
	if len(keys) == 0 || !holds(keys, header.KeyID) || age > k.cfg.KeysMaxAge {
		k.refresh(ctx)
		keys, _ = k.held()
	}
	if len(keys) == 0 {
		return nil, unavailable(k.issuer, errors.New("no keys could be fetched"))
	}
	// Only the checks hold a slot: a wait for the issuer's keys costs no
	// CPU, and a slow issuer must not hold up the others' tokens.
	if err := k.acquire(ctx); err != nil {
		return nil, err
	}
	defer func() { <-k.checks }()
	// A kid names one key (fetch keeps no duplicate); without one, at most
	// maxTriesWithoutKid keys of the right algorithm are tried.
	tries := 0
	for i := range keys {
		key := &keys[i]
		if header.KeyID != "" && key.KeyID != header.KeyID {
			continue
		}
		if key.Algorithm != "" && key.Algorithm != header.Algorithm {
			continue
		}
		if tries++; tries > maxTriesWithoutKid {
			break
		}
		if payload, err := jws.Verify(key); err == nil {
			return payload, nil
		}
	}
	return nil, refused("no key of the issuer verifies the signature (kid %q)", header.KeyID)
}

// acquire takes a slot for signature checks, waiting at most BusyWait.
func (k *keySet) acquire(ctx context.Context) error {
	select {
	case k.checks <- struct{}{}:
		return nil
	default:
	}
	wait := time.NewTimer(k.cfg.BusyWait)
	defer wait.Stop()
	select {
	case k.checks <- struct{}{}:
		return nil
	case <-wait.C:
		return ErrBusy
	case <-ctx.Done():
		return ErrBusy
	}
}

// held returns the keys and how old they are.
func (k *keySet) held() ([]jose.JSONWebKey, time.Duration) {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.keys, k.cfg.Now().Sub(k.fetchedAt)
}

func holds(keys []jose.JSONWebKey, kid string) bool {
	if kid == "" {
		return len(keys) > 0
	}
	for _, key := range keys {
		if key.KeyID == kid {
			return true
		}
	}
	return false
}

// refresh fetches the keys unless a fetch ran too recently: within the
// refetch interval of the last one (a flood of tokens naming unknown keys
// costs the issuer one request a minute), or within failureBackoff of a
// failed one while no keys are held. A caller that finds a fetch running
// waits for it. A refresh for age is limited the same way.
func (k *keySet) refresh(ctx context.Context) {
	k.mu.Lock()
	if ch := k.fetching; ch != nil {
		k.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
		}
		return
	}
	now := k.cfg.Now()
	gap := k.cfg.MinRefetch
	if len(k.keys) == 0 {
		gap = failureBackoff
	}
	if !k.triedAt.IsZero() && now.Sub(k.triedAt) < gap {
		k.mu.Unlock()
		return
	}
	k.triedAt = now
	ch := make(chan struct{})
	k.fetching = ch
	jwksURL := k.jwksURL
	k.mu.Unlock()

	// The fetch outlives a caller that gives up: the next one finds its
	// result instead of starting over.
	fetchCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), k.cfg.FetchTimeout)
	defer cancel()
	keys, jwksURL, err := k.fetch(fetchCtx, jwksURL)

	k.mu.Lock()
	if err == nil {
		k.keys, k.fetchedAt, k.jwksURL = keys, now, jwksURL
	} else {
		// Discover again next time: the issuer may have moved its keys.
		k.jwksURL = ""
		k.cfg.logFetchFailure(k.issuer, err)
	}
	k.fetching = nil
	close(ch)
	k.mu.Unlock()
}

// fetch discovers the JWKS URL (unless known) and reads the keys.
func (k *keySet) fetch(ctx context.Context, jwksURL string) ([]jose.JSONWebKey, string, error) {
	if jwksURL == "" {
		var err error
		if jwksURL, err = k.discover(ctx); err != nil {
			return nil, "", err
		}
	}
	var set struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := k.getJSON(ctx, jwksURL, &set); err != nil {
		return nil, "", fmt.Errorf("fetching JWKS: %w", err)
	}
	var keys []jose.JSONWebKey
	kids := map[string]bool{}
	dropped := 0
	for _, raw := range set.Keys {
		var key jose.JSONWebKey
		if json.Unmarshal(raw, &key) != nil || !usable(key) {
			continue // a key of a type we do not verify with is not an error
		}
		if key.KeyID != "" && kids[key.KeyID] {
			continue // a kid names one key: the first
		}
		if len(keys) == maxKeys {
			dropped++
			continue
		}
		kids[key.KeyID] = true
		keys = append(keys, key)
	}
	if dropped > 0 {
		k.cfg.Logger.Warn("OIDC issuer's JWKS holds more keys than are kept", zap.String("issuer", k.issuer),
			zap.Int("kept", maxKeys), zap.Int("dropped", dropped))
	}
	if len(keys) == 0 {
		return nil, "", fmt.Errorf("JWKS at %s holds no RSA (2048+ bits), P-256 or Ed25519 signing key", jwksURL)
	}
	return keys, jwksURL, nil
}

// usable reports whether key is a public signing key of a type the
// allowed algorithms use.
func usable(key jose.JSONWebKey) bool {
	if !key.Valid() || (key.Use != "" && key.Use != "sig") {
		return false
	}
	switch pub := key.Key.(type) {
	case *rsa.PublicKey:
		return pub.N.BitLen() >= minRSABits
	case *ecdsa.PublicKey:
		return pub.Curve == elliptic.P256()
	case ed25519.PublicKey:
		return true
	}
	return false
}

// discover reads the issuer's discovery document with go-oidc, which
// checks that it names the issuer exactly (OpenID Connect Discovery 1.0,
// section 4.3), and returns its jwks_uri, which must pass the same scheme
// rule as issuers.
func (k *keySet) discover(ctx context.Context) (string, error) {
	provider, err := oidc.NewProvider(oidc.ClientContext(ctx, k.cfg.Client), k.issuer)
	if err != nil {
		return "", fmt.Errorf("discovery: %w", err)
	}
	var doc struct {
		JWKSURI string `json:"jwks_uri"`
	}
	if err := provider.Claims(&doc); err != nil {
		return "", fmt.Errorf("discovery: %w", err)
	}
	if err := CheckIssuer(doc.JWKSURI, k.cfg.Options); err != nil {
		return "", fmt.Errorf("discovery document's jwks_uri: %w", err)
	}
	return doc.JWKSURI, nil
}

// getJSON GETs url and decodes a 200 answer of at most maxDocument bytes.
func (k *keySet) getJSON(ctx context.Context, url string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "application/json")
	res, err := k.cfg.Client.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", url, res.Status)
	}
	body, err := io.ReadAll(io.LimitReader(res.Body, maxDocument+1))
	if err != nil {
		return fmt.Errorf("reading %s: %w", url, err)
	}
	if len(body) > maxDocument {
		return fmt.Errorf("%s is larger than %d bytes", url, maxDocument)
	}
	if err := json.Unmarshal(body, v); err != nil {
		return fmt.Errorf("decoding %s: %w", url, err)
	}
	return nil
}
