package verify

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-cleanhttp"
	"github.com/hashicorp/go-retryablehttp"
	"go.uber.org/zap"

	"github.com/oatgate/oatgate/caddymodule/storeapi"
)

// maxAnswerBytes caps what is read of a store answer: an introspection answer
// is a few hundred bytes, and a misbehaving store must not exhaust memory.
const maxAnswerBytes = 64 << 10

// Backoff bounds between retries; LinearJitterBackoff multiplies them by the
// attempt number, and Timeout cuts the whole thing short anyway.
const (
	retryWaitMin = 50 * time.Millisecond
	retryWaitMax = 250 * time.Millisecond
)

// Errors the store client returns, all wrapped with context.
var (
	// ErrUnavailable means the store could not be asked and nothing usable
	// is cached. Verify returns it as is; the gateway answers 503.
	ErrUnavailable = errors.New("token store unavailable")
	// errStoreRejectedKey means the store refused the gateway key (401 or
	// 403): a configuration error at the gateway, never the client's fault.
	errStoreRejectedKey = errors.New("token store rejected the gateway key; check store_key")
	// errStoreStatus is any other non-200 answer.
	errStoreStatus = errors.New("unexpected token store status")
	// errStoreBusy is a 503: for an ID token, the store could not reach
	// its issuer and holds no keys of it.
	errStoreBusy = fmt.Errorf("%w 503", errStoreStatus)
	// errStoreTooMany is a 429: for an ID token, its org has as many
	// active federated tokens as it allows.
	errStoreTooMany = fmt.Errorf("%w 429", errStoreStatus)
)

// replica is one store base URL's endpoints.
type replica struct {
	root, introspect, revocations string
}

// client talks the gateway -> store protocol of DESIGN.md to one store or
// several replicas of it. It stays with the replica that last answered and
// moves to the next one when it fails.
type client struct {
	retrying      *retryablehttp.Client
	plain         *http.Client
	replicas      []replica
	current       atomic.Uint32
	authorization string
	grants        *grantsPool
	log           *zap.Logger
}

func newClient(cfg Config) *client {
	base := cfg.HTTPClient
	if base == nil {
		base = cleanhttp.DefaultPooledClient()
	}
	c := &client{plain: base, authorization: "Bearer " + cfg.StoreKey, grants: newGrantsPool(), log: cfg.Logger}
	for _, raw := range cfg.StoreURLs {
		root := strings.TrimRight(raw, "/")
		c.replicas = append(c.replicas, replica{root: raw, introspect: root + storeapi.IntrospectPath, revocations: root + storeapi.RevocationsPath})
	}
	n := len(c.replicas)
	c.retrying = &retryablehttp.Client{
		HTTPClient:   base,
		Logger:       nil, // errors are logged once per outage by the verifier
		RetryWaitMin: retryWaitMin,
		RetryWaitMax: retryWaitMax,
		// Every replica is tried once before Retries counts: moving to
		// another replica is failover, not a retry of the same one.
		RetryMax:     max(cfg.Retries, n-1),
		CheckRetry:   retryPolicy,
		Backoff:      failoverBackoff(n),
		PrepareRetry: c.nextReplica,
		ErrorHandler: retryablehttp.PassthroughErrorHandler,
	}
	return c
}

// failoverBackoff does not wait before trying a replica not tried yet, and
// waits as LinearJitterBackoff does before asking one a second time.
func failoverBackoff(replicas int) retryablehttp.Backoff {
	return func(lo, hi time.Duration, attempt int, resp *http.Response) time.Duration {
		if attempt+1 < replicas {
			return 0
		}
		return retryablehttp.LinearJitterBackoff(lo, hi, attempt+1-replicas, resp)
	}
}

// retryPolicy retries connection errors and 5xx answers only: a 4xx will not
// change by asking again, and 429 is left to the next request rather than
// holding this one.
func retryPolicy(ctx context.Context, resp *http.Response, err error) (bool, error) {
	if ctx.Err() != nil {
		return false, ctx.Err()
	}
	if err != nil {
		return true, nil
	}
	return resp.StatusCode >= 500, nil
}

// attemptKey carries an introspection's *attempts in its context, for
// nextReplica.
type attemptKey struct{}

// attempts is which replica an introspection asked last.
type attempts struct{ replica int }

// nextReplica points a retried introspection at the next replica.
func (c *client) nextReplica(req *http.Request) error {
	at, ok := req.Context().Value(attemptKey{}).(*attempts)
	if !ok || len(c.replicas) == 1 {
		return nil
	}
	at.replica = (at.replica + 1) % len(c.replicas)
	u, err := url.Parse(c.replicas[at.replica].introspect)
	if err != nil {
		return fmt.Errorf("store URL: %w", err)
	}
	req.URL, req.Host = u, ""
	return nil
}

// answered records that replica i answered, so that the next call starts
// there; a change of replica is logged.
func (c *client) answered(i int) {
	if prev := c.current.Swap(uint32(i)); int(prev) != i {
		c.log.Warn("token store replica did not answer; now using another",
			zap.String("from", c.replicas[prev].root), zap.String("to", c.replicas[i].root))
	}
}

// introspect asks the store about q's token (under q's org for an ID
// token): an identity when it is active, a refusal when not, an error when
// no replica could be asked or the answer is not usable. Errors never hold
// the token.
func (c *client) introspect(ctx context.Context, q question) (*Identity, *Refusal, error) {
	at := &attempts{replica: int(c.current.Load())}
	ctx = context.WithValue(ctx, attemptKey{}, at)
	form := url.Values{storeapi.TokenParam: {q.token}}
	if q.org != "" {
		form.Set(storeapi.OrgParam, q.org)
	}
	body := []byte(form.Encode())
	req, err := retryablehttp.NewRequestWithContext(ctx, http.MethodPost, c.replicas[at.replica].introspect, body)
	if err != nil {
		return nil, nil, fmt.Errorf("building introspection request: %w", err)
	}
	req.Header.Set("Authorization", c.authorization)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	resp, err := c.retrying.Do(req)
	if err != nil {
		if resp != nil {
			resp.Body.Close() // PassthroughErrorHandler leaves it open
		}
		return nil, nil, fmt.Errorf("introspecting token: %w", redactErr(err))
	}
	raw, err := readAnswer(resp)
	if err != nil {
		return nil, nil, fmt.Errorf("introspecting token: %w", err)
	}
	c.answered(at.replica)
	id, refusal, err := parseAnswer(raw, c.grants)
	if err != nil {
		return nil, nil, fmt.Errorf("introspecting token: %w", err)
	}
	return id, refusal, nil
}

// revocations reads the feed after cursor from the current replica, or the
// next ones in turn when it fails, each within timeout: the next poll is the
// retry. The replicas share one database, so any of them continues the
// cursor of another.
func (c *client) revocations(ctx context.Context, after string, timeout time.Duration) (storeapi.RevocationPage, error) {
	start := int(c.current.Load())
	var errs []error
	for i := range c.replicas {
		r := (start + i) % len(c.replicas)
		page, err := c.revocationsFrom(ctx, c.replicas[r], after, timeout)
		if err == nil {
			c.answered(r)
			return page, nil
		}
		if ctx.Err() != nil {
			return page, err
		}
		errs = append(errs, err)
	}
	return storeapi.RevocationPage{}, errors.Join(errs...)
}

func (c *client) revocationsFrom(ctx context.Context, r replica, after string, timeout time.Duration) (storeapi.RevocationPage, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, r.revocations+"?"+storeapi.AfterParam+"="+url.QueryEscape(after), nil)
	if err != nil {
		return storeapi.RevocationPage{}, fmt.Errorf("building revocation feed request: %w", err)
	}
	req.Header.Set("Authorization", c.authorization)
	req.Header.Set("Accept", "application/json")
	resp, err := c.plain.Do(req)
	if err != nil {
		return storeapi.RevocationPage{}, fmt.Errorf("polling revocation feed: %w", redactErr(err))
	}
	raw, err := readAnswer(resp)
	if err != nil {
		return storeapi.RevocationPage{}, fmt.Errorf("polling revocation feed: %w", err)
	}
	page, err := storeapi.ParseRevocationPage(raw)
	if err != nil {
		return page, fmt.Errorf("polling revocation feed: %w", err)
	}
	return page, nil
}

// readAnswer reads a capped 200 body and closes it; any other status is an
// error naming it.
func readAnswer(resp *http.Response) ([]byte, error) {
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxAnswerBytes))
		return nil, fmt.Errorf("%w (status %d)", errStoreRejectedKey, resp.StatusCode)
	case resp.StatusCode == http.StatusServiceUnavailable:
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxAnswerBytes))
		return nil, errStoreBusy
	case resp.StatusCode == http.StatusTooManyRequests:
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxAnswerBytes))
		return nil, errStoreTooMany
	case resp.StatusCode != http.StatusOK:
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxAnswerBytes))
		return nil, fmt.Errorf("%w %d", errStoreStatus, resp.StatusCode)
	}
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswerBytes+1))
	if err != nil {
		return nil, fmt.Errorf("reading answer: %w", err)
	}
	if len(raw) > maxAnswerBytes {
		return nil, fmt.Errorf("%w: answer larger than %d bytes", ErrMalformedAnswer, maxAnswerBytes)
	}
	return raw, nil
}

// redactErr drops the request URL from transport errors: it holds no secret
// today, but an operator's StoreURL could carry one in a path.
func redactErr(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("%s: %w", ue.Op, ue.Err)
	}
	return err
}
