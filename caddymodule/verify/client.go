package verify

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/hashicorp/go-cleanhttp"
	"github.com/hashicorp/go-retryablehttp"

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
)

// client talks the gateway -> store protocol of DESIGN.md.
type client struct {
	retrying       *retryablehttp.Client
	plain          *http.Client
	introspectURL  string
	revocationsURL string
	authorization  string
	grants         *grantsPool
}

func newClient(cfg Config) *client {
	base := cfg.HTTPClient
	if base == nil {
		base = cleanhttp.DefaultPooledClient()
	}
	root := strings.TrimRight(cfg.StoreURL, "/")
	rc := &retryablehttp.Client{
		HTTPClient:   base,
		Logger:       nil, // errors are logged once per outage by the verifier
		RetryWaitMin: retryWaitMin,
		RetryWaitMax: retryWaitMax,
		RetryMax:     cfg.Retries,
		CheckRetry:   retryPolicy,
		Backoff:      retryablehttp.LinearJitterBackoff,
		ErrorHandler: retryablehttp.PassthroughErrorHandler,
	}
	return &client{
		retrying:       rc,
		plain:          base,
		introspectURL:  root + storeapi.IntrospectPath,
		revocationsURL: root + storeapi.RevocationsPath,
		authorization:  "Bearer " + cfg.StoreKey,
		grants:         newGrantsPool(),
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

// introspect asks the store about token. (id, nil): active; (nil, nil): not
// active; error: the store could not be asked or its answer is not usable.
func (c *client) introspect(ctx context.Context, token string) (*Identity, error) {
	body := []byte(url.Values{storeapi.TokenParam: {token}}.Encode())
	req, err := retryablehttp.NewRequestWithContext(ctx, http.MethodPost, c.introspectURL, body)
	if err != nil {
		return nil, fmt.Errorf("building introspection request: %w", err)
	}
	req.Header.Set("Authorization", c.authorization)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	resp, err := c.retrying.Do(req)
	if err != nil {
		if resp != nil {
			resp.Body.Close() // PassthroughErrorHandler leaves it open
		}
		return nil, fmt.Errorf("introspecting token: %w", redactErr(err))
	}
	raw, err := readAnswer(resp)
	if err != nil {
		return nil, fmt.Errorf("introspecting token: %w", err)
	}
	id, err := parseAnswer(raw, c.grants)
	if err != nil {
		return nil, fmt.Errorf("introspecting token: %w", err)
	}
	return id, nil
}

// revocations reads the feed after cursor, once: the next poll is the retry.
func (c *client) revocations(ctx context.Context, after string) (storeapi.RevocationPage, error) {
	var page storeapi.RevocationPage
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.revocationsURL+"?"+storeapi.AfterParam+"="+url.QueryEscape(after), nil)
	if err != nil {
		return page, fmt.Errorf("building revocation feed request: %w", err)
	}
	req.Header.Set("Authorization", c.authorization)
	req.Header.Set("Accept", "application/json")
	resp, err := c.plain.Do(req)
	if err != nil {
		return page, fmt.Errorf("polling revocation feed: %w", redactErr(err))
	}
	raw, err := readAnswer(resp)
	if err != nil {
		return page, fmt.Errorf("polling revocation feed: %w", err)
	}
	page, err = storeapi.ParseRevocationPage(raw)
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
