// The rules of delivery: which deliveries a dispatcher may send, and what
// an attempt's outcome does to the next one.

package store

import (
	"context"
	"fmt"
	"math"
	"time"
)

// maxLastError bounds the stored error of an attempt.
const maxLastError = 300

func (r *rules) ClaimDeliveries(ctx context.Context, now time.Time, lease time.Duration, limit, perOrg int) ([]DueDelivery, error) {
	now = Millis(now)
	if perOrg <= 0 {
		perOrg = math.MaxInt32
	}
	ds, err := r.b.ClaimDeliveries(ctx, now, now.Add(lease), limit, perOrg)
	if err != nil {
		return nil, fmt.Errorf("claiming webhook deliveries: %w", err)
	}
	return ds, nil
}

// FinishDelivery applies p: a 2xx delivers, anything else schedules the
// next attempt after an exponential wait, until the attempts or the time
// allowed run out.
func (r *rules) FinishDelivery(ctx context.Context, d DueDelivery, o Outcome, p RetryPolicy) (Delivery, bool, error) {
	next := nextAttempt(d.Delivery, o, p)
	ok, err := r.b.FinishDelivery(ctx, next, d.ClaimedUntil)
	if err != nil {
		return Delivery{}, false, fmt.Errorf("recording delivery %d: %w", d.ID, err)
	}
	return next, ok, nil
}

// nextAttempt is d after an attempt that got o.
func nextAttempt(d Delivery, o Outcome, p RetryPolicy) Delivery {
	at := Millis(o.At)
	d.Attempts++
	d.LastStatus = o.Status
	d.LastError = o.Err
	if len(d.LastError) > maxLastError {
		d.LastError = d.LastError[:maxLastError]
	}
	d.NextAttemptAt = nil
	d.ClaimedUntil = time.UnixMilli(0).UTC()
	if o.Status >= 200 && o.Status < 300 {
		d.DeliveredAt, d.LastError = &at, ""
		return d
	}
	if d.LastError == "" {
		d.LastError = fmt.Sprintf("receiver answered %d", o.Status)
	}
	wait := backoff(d.Attempts, p)
	if d.Attempts >= p.MaxAttempts || at.Add(wait).Sub(d.CreatedAt) > p.GiveUpAfter {
		d.FailedAt = &at
		return d
	}
	due := at.Add(wait)
	d.NextAttemptAt = &due
	return d
}

// backoff is the wait after the n-th failed attempt: Base·2^(n-1), at
// most Max.
func backoff(n int, p RetryPolicy) time.Duration {
	wait := p.Base
	for i := 1; i < n && wait < p.Max; i++ {
		wait *= 2
	}
	return min(wait, p.Max)
}

// DeliveryHistory is how long a finished delivery stays queryable.
const DeliveryHistory = 30 * day

// noticeHistory is how long an expiry notice claim is kept: past the last
// notice (at expiry) and the scan's lookback, a token is never a
// candidate again, so the claim cannot matter; kept longer for margin.
const noticeHistory = 60 * day

func (r *rules) PruneWebhookHistory(ctx context.Context, now time.Time) (int64, error) {
	now = Millis(now)
	n, err := r.b.PruneWebhookHistory(ctx, now.Add(-DeliveryHistory), now.Add(-noticeHistory))
	if err != nil {
		return 0, fmt.Errorf("pruning webhook history: %w", err)
	}
	return n, nil
}
