package server

import (
	"context"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/oatgate/oatgate/cmd/oatstore/store"
)

// lastUsedGap is how often at most last_used_at is written per token.
const lastUsedGap = time.Minute

// lastUsed records token use off the request path: introspection marks a
// token, and one goroutine writes the marked ones in a single transaction,
// so that a gateway's cold start of thousands of tokens costs a handful of
// commits instead of one fsync per answer.
type lastUsed struct {
	store store.Store
	now   func() time.Time
	log   *zap.Logger

	mu      sync.Mutex
	written map[string]time.Time // when each token was last queued
	pending map[string]struct{}
	closed  bool

	kick chan struct{}
	stop chan struct{}
	done chan struct{}
}

func newLastUsed(st store.Store, now func() time.Time, log *zap.Logger) *lastUsed {
	l := &lastUsed{
		store:   st,
		now:     now,
		log:     log,
		written: map[string]time.Time{},
		pending: map[string]struct{}{},
		kick:    make(chan struct{}, 1),
		stop:    make(chan struct{}),
		done:    make(chan struct{}),
	}
	go l.run()
	return l
}

// mark notes a use of token id at now; it never blocks on the database.
func (l *lastUsed) mark(id string, now time.Time) {
	l.mu.Lock()
	if l.closed || now.Sub(l.written[id]) < lastUsedGap {
		l.mu.Unlock()
		return
	}
	l.written[id] = now
	l.pending[id] = struct{}{}
	// Forget old entries now and then so the map stays the size of the
	// working set; the conditional UPDATE keeps the rule if one is lost.
	if len(l.written) > 100000 {
		for k, t := range l.written {
			if now.Sub(t) >= lastUsedGap {
				delete(l.written, k)
			}
		}
	}
	l.mu.Unlock()
	select {
	case l.kick <- struct{}{}:
	default:
	}
}

func (l *lastUsed) run() {
	defer close(l.done)
	for {
		select {
		case <-l.kick:
			l.flush()
		case <-l.stop:
			l.flush()
			return
		}
	}
}

func (l *lastUsed) flush() {
	l.mu.Lock()
	if len(l.pending) == 0 {
		l.mu.Unlock()
		return
	}
	ids := make([]string, 0, len(l.pending))
	for id := range l.pending {
		ids = append(ids, id)
	}
	l.pending = map[string]struct{}{}
	l.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := l.store.TouchLastUsed(ctx, ids, l.now().UTC(), lastUsedGap); err != nil {
		l.log.Warn("recording token use", zap.Int("tokens", len(ids)), zap.Error(err))
	}
}

// close flushes what is pending and stops the writer.
func (l *lastUsed) close() error {
	l.mu.Lock()
	l.closed = true
	l.mu.Unlock()
	close(l.stop)
	<-l.done
	return nil
}
