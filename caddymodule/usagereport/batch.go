package usagereport

import (
	"strconv"
	"sync/atomic"
	"time"

	"go.uber.org/zap"

	"github.com/oatgate/oatgate/caddymodule/storeapi"
)

// batch is a sealed report, encoded once: a retry sends the same bytes
// with the same id.
type batch struct {
	id    string
	body  []byte
	items int
	// failures counts the intervals in which the store failed this
	// batch but took the one after it (sendQueued).
	failures atomic.Int32
}

// seal moves what the shards counted into batches of at most
// storeapi.MaxUsageReportItems items, queued behind the unsent ones.
func (r *Reporter) seal() {
	var (
		counts []storeapi.UsageCount
		last   []storeapi.LastUse
		acts   []storeapi.RegistryAction
	)
	for i := range r.shards {
		s := &r.shards[i]
		s.mu.Lock()
		// A token's entry held room for its last use; one that only had
		// denials has none to send, and gives its room back.
		var unsent int64
		for _, tu := range s.tokens {
			for _, c := range tu.repos {
				counts = append(counts, *c)
			}
			if tu.last.At.IsZero() {
				unsent++
			} else {
				last = append(last, tu.last)
			}
		}
		r.items.Add(-unsent)
		acts = append(acts, s.actions...)
		s.reset()
		s.mu.Unlock()
	}
	for len(counts)+len(last)+len(acts) > 0 {
		rep := storeapi.UsageReport{ID: r.instance + "-" + strconv.FormatUint(r.seq.Add(1), 10)}
		room := storeapi.MaxUsageReportItems
		rep.Counts, counts = take(counts, &room)
		rep.LastUsed, last = take(last, &room)
		rep.Actions, acts = take(acts, &room)
		// Strings come from requests (a user agent, a tag): made valid
		// UTF-8 within the store's bound here, once per item, rather
		// than on every request.
		rep.Clamp()
		body, err := storeapi.EncodeUsageReport(&rep)
		if err != nil {
			// Cannot happen for these types; dropped rather than retried
			// for ever.
			r.items.Add(-int64(rep.Items()))
			r.dropped(rep.Items(), err.Error())
			continue
		}
		r.qmu.Lock()
		r.queue = append(r.queue, &batch{id: rep.ID, body: body, items: rep.Items()})
		r.qmu.Unlock()
	}
}

// take splits up to *room items off s.
func take[T any](s []T, room *int) (head, rest []T) {
	n := min(len(s), *room)
	*room -= n
	return s[:n:n], s[n:]
}

// dropOldest drops the oldest queued batch to make room; false when none
// is queued.
func (r *Reporter) dropOldest() bool {
	r.qmu.Lock()
	if len(r.queue) == 0 {
		r.qmu.Unlock()
		return false
	}
	b := r.queue[0]
	r.queue[0] = nil
	r.queue = r.queue[1:]
	r.qmu.Unlock()
	r.items.Add(-int64(b.items))
	r.dropped(b.items, "buffer full: oldest unsent batch dropped")
	return true
}

// next returns the oldest queued batch other than skip, or nil.
func (r *Reporter) next(skip *batch) *batch {
	r.qmu.Lock()
	defer r.qmu.Unlock()
	for _, b := range r.queue {
		if b != skip {
			return b
		}
	}
	return nil
}

// done removes b from the queue if it is still there (a full buffer may
// have dropped it while it was being sent) and says whether it was.
func (r *Reporter) remove(b *batch) bool {
	r.qmu.Lock()
	defer r.qmu.Unlock()
	for i, q := range r.queue {
		if q == b {
			r.queue = append(r.queue[:i], r.queue[i+1:]...)
			r.items.Add(-int64(b.items))
			return true
		}
	}
	return false
}

// dropLogEvery bounds how often drops are logged: a long outage under
// load drops on every request.
const dropLogEvery = 10 * time.Second

// dropped counts items lost and logs them, at most once per
// dropLogEvery with the total since the last line.
func (r *Reporter) dropped(items int, why string) {
	if r.observer != nil {
		r.observer.UsageDropped(items)
	}
	r.dropMu.Lock()
	r.dropUnlog += items
	now := time.Now()
	if now.Sub(r.dropLogged) < dropLogEvery {
		r.dropMu.Unlock()
		return
	}
	n := r.dropUnlog
	r.dropUnlog, r.dropLogged = 0, now
	r.dropMu.Unlock()
	r.log.Warn("usage report items dropped; usage in the store will be short by them",
		zap.Int("items", n), zap.String("why", why), zap.Int("buffer", r.cfg.Buffer))
}
