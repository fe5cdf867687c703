package usagereport

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"go.uber.org/zap"

	"github.com/oatgate/oatgate/caddymodule/storeapi"
)

// sender posts batches to the store replicas: to the one that last
// answered, then to the others in turn. A batch no replica took waits for
// the next interval, as a revocation feed poll does.
type sender struct {
	client        *http.Client
	urls          []string
	authorization string
	timeout       time.Duration
	current       atomic.Uint32
}

func newSender(cfg Config) *sender {
	s := &sender{client: cfg.HTTPClient, authorization: "Bearer " + cfg.StoreKey, timeout: cfg.Timeout}
	for _, u := range cfg.StoreURLs {
		s.urls = append(s.urls, strings.TrimRight(u, "/")+storeapi.UsageReportsPath)
	}
	return s
}

// errRefused is a batch a store answered with a 4xx other than 401, 403,
// 404, 405 or 429: sending it again would get the same.
var errRefused = errors.New("the store refused the batch")

// errNotAccepted is a store without the usage report endpoint (404, 405):
// an older oatstore, or another RFC 7662 server.
var errNotAccepted = errors.New("the token store does not accept usage reports (no " + storeapi.UsageReportsPath + "); upgrade oatstore, or set usage_reports off")

// send posts body to each replica in turn until one takes it, and returns
// how many items the one that took it left out (storeapi.UsageReportAnswer).
func (s *sender) send(ctx context.Context, body []byte) (skipped int, err error) {
	start := int(s.current.Load())
	var errs []error
	for i := range s.urls {
		n := (start + i) % len(s.urls)
		skipped, err := s.post(ctx, s.urls[n], body)
		if err == nil || errors.Is(err, errRefused) || errors.Is(err, errNotAccepted) {
			s.current.Store(uint32(n))
			return skipped, err
		}
		errs = append(errs, err)
		if ctx.Err() != nil {
			break
		}
	}
	return 0, errors.Join(errs...)
}

func (s *sender) post(ctx context.Context, target string, body []byte) (skipped int, err error) {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return 0, fmt.Errorf("building usage report request: %w", err)
	}
	req.Header.Set("Authorization", s.authorization)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Content-Encoding", "gzip")
	resp, err := s.client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // the URL holds no secret, but stays out of logs as in verify
		}
		return 0, fmt.Errorf("sending usage report: %w", err)
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	switch {
	case resp.StatusCode == http.StatusOK:
		// An answer that does not parse (an older store's) skipped
		// nothing.
		var a storeapi.UsageReportAnswer
		_ = json.Unmarshal(answer, &a)
		return max(a.Skipped, 0), nil
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		return 0, fmt.Errorf("sending usage report: the store rejected the gateway key (status %d); check store_key", resp.StatusCode)
	case resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusMethodNotAllowed:
		return 0, fmt.Errorf("%w (status %d)", errNotAccepted, resp.StatusCode)
	case resp.StatusCode >= 400 && resp.StatusCode < 500 && resp.StatusCode != http.StatusTooManyRequests:
		return 0, fmt.Errorf("%w (status %d)", errRefused, resp.StatusCode)
	}
	// 5xx or 429: the store is failing or busy, which passes: keep the
	// batch.
	return 0, fmt.Errorf("sending usage report: store status %d", resp.StatusCode)
}

// maxBatchFailures bounds how often a batch may fail while the store takes
// the batches behind it: one the store can never apply (a 5xx every time)
// is then dropped, counted and logged, rather than held at the head of the
// queue while the queue fills.
const maxBatchFailures = 5

// sendQueued sends queued batches oldest first until the queue is empty,
// two batches fail (they stay queued, with their ids, for the next
// interval: the store is down or failing) or the deadline passes or ctx
// ends. When one batch fails and the next is taken, the store is up and
// the failed batch is skipped this interval and counts a failure; at
// maxBatchFailures it is dropped. An outage therefore counts against no
// batch.
func (r *Reporter) sendQueued(ctx context.Context, deadline time.Time) {
	ctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	var (
		failed *batch // the batch that failed this interval, skipped after
		struck bool   // whether failed has counted its failure
	)
	for ctx.Err() == nil {
		b := r.next(failed)
		if b == nil {
			return
		}
		skipped, err := r.client.send(ctx, b.body)
		switch {
		case err == nil:
			skipped = min(skipped, b.items)
			if r.remove(b) {
				if r.observer != nil {
					r.observer.UsageReported(b.items - skipped)
				}
				if skipped > 0 {
					r.dropped(skipped, "the store left out malformed items of a batch")
				}
			}
			if failed != nil && !struck {
				struck = true
				if failed.failures.Add(1) >= maxBatchFailures && r.remove(failed) {
					r.log.Warn("usage report batch dropped: the store failed it every time while it took the others",
						zap.String("batch", failed.id), zap.Int("items", failed.items), zap.Int("attempts", maxBatchFailures))
					r.dropped(failed.items, "the store failed the batch every time")
				}
			}
		case errors.Is(err, errRefused):
			if r.remove(b) {
				r.dropped(b.items, "the store refused the batch")
			}
		case errors.Is(err, errNotAccepted):
			// Said once: it will not change until someone acts, and every
			// batch is dropped (and counted) until then.
			if !r.notAccepted.Swap(true) {
				r.log.Warn("usage reports are dropped", zap.Error(err))
			}
			if r.remove(b) && r.observer != nil {
				r.observer.UsageDropped(b.items)
			}
		case failed == nil && ctx.Err() == nil:
			// Try the next batch: if the store takes it, this one is
			// what fails.
			failed = b
		default:
			r.log.Warn("usage report not sent; it stays queued for the next interval",
				zap.String("batch", b.id), zap.Int("queued_items", int(r.items.Load())), zap.Error(err))
			return
		}
	}
}
