// The rules of usage reports: applying a gateway's batch once, reading
// usage by period, and pruning what is past its retention.

package store

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/oatgate/oatgate/caddymodule/storeapi"
)

// IngestUsage applies a gateway's batch in one write transaction: it
// claims the batch id first, so a batch applied before (a retry whose
// answer was lost, or one sent to two replicas) changes nothing and
// reports Duplicate; then it adds the counts, records each token's last
// use and appends the registry actions. at is when the store received it.
//
// Counts and last uses are applied in key order, so two replicas applying
// batches at once lock rows in the same order and never deadlock.
func (r *rules) IngestUsage(ctx context.Context, rep storeapi.UsageReport, at time.Time) (IngestResult, error) {
	counts := mergeCounts(rep.Counts)
	lastUsed := latestUses(rep.LastUsed)
	var res IngestResult
	err := r.b.Write(ctx, func(tx Tx) error {
		res = IngestResult{}
		fresh, err := tx.ClaimBatch(ctx, rep.ID, Millis(at))
		if err != nil {
			return err
		}
		if !fresh {
			res.Duplicate = true
			return nil
		}
		if err := tx.AddUsage(ctx, counts); err != nil {
			return err
		}
		if err := tx.RecordLastUses(ctx, lastUsed); err != nil {
			return err
		}
		for _, a := range rep.Actions {
			act := RegistryActivity{
				Org: a.Org, At: Millis(a.At), Action: a.Action, TokenID: a.TokenID, TokenLabel: a.TokenLabel,
				Repository: a.Repository, Tag: a.Tag, Digest: a.Digest, ClientIP: a.ClientIP, UserAgent: a.UserAgent,
			}
			if a.Action == storeapi.ActionInactiveUsed {
				act.Reason = reasonOf(a.Reason)
				err = r.inactiveUsed(ctx, tx, act)
			} else {
				err = tx.AppendRegistryActivity(ctx, act)
			}
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return IngestResult{}, fmt.Errorf("applying usage batch %s: %w", rep.ID, err)
	}
	return res, nil
}

// inactiveUsed records one presentation of a token the store knows but
// that is revoked, deactivated or expired, inside the ingest's
// transaction. It is the one place such a presentation is recorded: what
// else must happen on one (a token.inactive_used webhook's outbox row,
// except for an expired federated token's) belongs here, so that it commits, or not, with the activity row — and a
// batch applied twice queues nothing twice.
func (r *rules) inactiveUsed(ctx context.Context, tx Tx, a RegistryActivity) error {
	if err := tx.AppendRegistryActivity(ctx, a); err != nil {
		return err
	}
	t, err := tx.Token(ctx, a.Org, a.TokenID)
	if errors.Is(err, ErrNotFound) {
		return nil // deleted since, or never this org's: the trail has it
	}
	if err != nil {
		return err
	}
	if expiredFederated(t, a) {
		return nil // a CI job outliving its short-lived token is not news
	}
	return emitInactiveUsed(ctx, tx, t, InactiveUse{At: a.At, Reason: a.Reason, ClientIP: a.ClientIP, UserAgent: a.UserAgent})
}

// expiredFederated says whether a is the presentation of a federated token
// that was expired (as the gateway said, or as the store finds it when the
// gateway did not say why): no token.inactive_used is queued for it.
func expiredFederated(t Token, a RegistryActivity) bool {
	if t.Kind != KindFederated {
		return false
	}
	reason := a.Reason
	if reason == "" || reason == storeapi.ReasonUnknown.String() {
		reason = inactiveReason(t, a.At)
	}
	return reason == storeapi.ReasonExpired.String()
}

// countKey is what a usage row is keyed by.
type countKey struct {
	org, token, repository string
	hour                   int64
}

// mergeCounts sums counts of one key (a gateway sends each key once per
// batch, but nothing else guarantees it) and sorts them by key.
func mergeCounts(in []storeapi.UsageCount) []storeapi.UsageCount {
	byKey := make(map[countKey]int, len(in))
	out := make([]storeapi.UsageCount, 0, len(in))
	for _, c := range in {
		k := countKey{c.Org, c.TokenID, c.Repository, c.Hour}
		if i, ok := byKey[k]; ok {
			out[i].Add(c)
			if c.TokenLabel != "" {
				out[i].TokenLabel = c.TokenLabel
			}
			continue
		}
		byKey[k] = len(out)
		out = append(out, c)
	}
	slices.SortFunc(out, func(a, b storeapi.UsageCount) int {
		return cmp.Or(cmp.Compare(a.Org, b.Org), cmp.Compare(a.TokenID, b.TokenID), cmp.Compare(a.Repository, b.Repository), cmp.Compare(a.Hour, b.Hour))
	})
	return out
}

// latestUses keeps each token's latest use, sorted by token id. A use
// is keyed by org too: one naming the wrong org changes nothing, and must
// not hide the right one.
func latestUses(in []storeapi.LastUse) []storeapi.LastUse {
	type key struct{ org, token string }
	byToken := map[key]storeapi.LastUse{}
	for _, u := range in {
		k := key{u.Org, u.TokenID}
		if cur, ok := byToken[k]; !ok || u.At.After(cur.At) {
			byToken[k] = u
		}
	}
	out := make([]storeapi.LastUse, 0, len(byToken))
	for _, u := range byToken {
		u.At = Millis(u.At)
		out = append(out, u)
	}
	slices.SortFunc(out, func(a, b storeapi.LastUse) int {
		return cmp.Or(cmp.Compare(a.TokenID, b.TokenID), cmp.Compare(a.Org, b.Org))
	})
	return out
}

// MaxUsageHours bounds the hourly rows one usage query sums: a year of
// hours for a few dozen token × repository pairs. A larger answer asks
// the caller to narrow since/until or filter.
const MaxUsageHours = 200000

// Usage sums the org's hourly counters over q.Period, one row per period ×
// token × repository, ordered by period, token id and repository. A
// token's label is the latest one reported.
func (r *rules) Usage(ctx context.Context, q UsageQuery) ([]UsageRow, error) {
	format, ok := periodFormats[q.Period]
	if !ok {
		return nil, Invalidf("period %q: want hour, day or month", q.Period)
	}
	if _, err := r.b.Org(ctx, q.Org); err != nil {
		return nil, err
	}
	hours, err := r.b.UsageCounts(ctx, q, MaxUsageHours+1)
	if err != nil {
		return nil, fmt.Errorf("reading usage of %q: %w", q.Org, err)
	}
	if len(hours) > MaxUsageHours {
		return nil, Invalidf("more than %d hourly rows match (each CI job's federated token has rows of its own); narrow since and until (RFC 3339), or filter by token or repository", MaxUsageHours)
	}
	type key struct{ period, token, repository string }
	index := map[key]int{}
	rows := []UsageRow{}
	for _, h := range hours {
		k := key{periodStart(time.Unix(h.Hour, 0).UTC(), q.Period).Format(format), h.TokenID, h.Repository}
		i, ok := index[k]
		if !ok {
			i = len(rows)
			index[k] = i
			rows = append(rows, UsageRow{Period: k.period, TokenID: h.TokenID, Repository: h.Repository})
		}
		row := &rows[i]
		if h.TokenLabel != "" {
			row.TokenLabel = h.TokenLabel
		}
		row.Requests += h.Requests
		row.Pulls += h.Pulls
		row.VersionChecks += h.VersionChecks
		row.Pushes += h.Pushes
		row.Deletes += h.Deletes
		row.Denied += h.Denied
		row.BytesIn += h.BytesIn
		row.BytesOut += h.BytesOut
	}
	slices.SortFunc(rows, func(a, b UsageRow) int {
		return cmp.Or(cmp.Compare(a.Period, b.Period), cmp.Compare(a.TokenID, b.TokenID), cmp.Compare(a.Repository, b.Repository))
	})
	return rows, nil
}

// periodFormats render a period's start: sortable as text, and what a
// spreadsheet reads as a date.
var periodFormats = map[string]string{
	PeriodHour:  "2006-01-02T15:04:05Z",
	PeriodDay:   "2006-01-02",
	PeriodMonth: "2006-01",
}

// periodStart is the start of the UTC period holding t.
func periodStart(t time.Time, period string) time.Time {
	switch period {
	case PeriodDay:
		return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	case PeriodMonth:
		return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
	}
	return t.Truncate(time.Hour)
}

// Prune deletes usage hours older than ret.Usage, registry activity older
// than ret.Activity (zero durations take the defaults) and batch ids
// older than BatchIDRetention, as of now. The management audit is kept.
func (r *rules) Prune(ctx context.Context, ret Retention, now time.Time) (Pruned, error) {
	if ret.Usage <= 0 {
		ret.Usage = DefaultUsageRetention
	}
	if ret.Activity <= 0 {
		ret.Activity = DefaultActivityRetention
	}
	p := PruneBefore{
		// An hour is kept while any of it is within the retention.
		UsageHour: now.Add(-ret.Usage).Truncate(time.Hour).Unix(),
		Activity:  Millis(now.Add(-ret.Activity)),
		Batches:   Millis(now.Add(-BatchIDRetention)),
	}
	n, err := r.b.Prune(ctx, p)
	if err != nil {
		return Pruned{}, fmt.Errorf("pruning usage and activity: %w", err)
	}
	return n, nil
}
