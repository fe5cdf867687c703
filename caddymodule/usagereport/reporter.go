// Package usagereport is the gateway's side of usage reports: it counts
// every request a token makes (per token × repository × hour), remembers
// each token's last use and the registry actions that change state, and
// sends them to the token store in the background, batched, compressed
// and idempotent (storeapi.UsageReport).
//
// Record is on the request path and never waits for the network: it
// updates a counter in one of a few lock-sharded maps, allocating nothing
// for a key it has seen this interval. A goroutine seals what was counted
// every interval into batches that keep their id until a store replica
// accepts them, so a retry after a lost answer is applied once. Memory is
// bounded: past Config.Buffer items, the oldest unsent batch is dropped,
// counted (Observer.UsageDropped) and logged, never a request blocked.
//
// The package does not import Caddy.
package usagereport

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-cleanhttp"
	"go.uber.org/zap"
)

// Defaults of Config.
const (
	DefaultInterval = 10 * time.Second
	DefaultBuffer   = 100000
	DefaultTimeout  = 10 * time.Second
	// closeTimeout bounds the flush on Close: a store that does not answer
	// must not hold a Caddy reload or shutdown for long.
	closeTimeout = 5 * time.Second
)

// Observer is told what happens to reports, for metrics; it must not
// block.
type Observer interface {
	// UsageDropped counts items (counters, last uses, actions) dropped
	// unsent: the buffer was full, or the store refused a batch for good.
	UsageDropped(items int)
	// UsageReported counts items a store accepted.
	UsageReported(items int)
}

// Config configures a Reporter.
type Config struct {
	// StoreURLs are the token store's base URLs (replicas of one store);
	// a batch goes to the one that last answered, or the next one.
	StoreURLs []string
	// StoreKey is the gateway key.
	StoreKey string
	// Interval is how often what was counted is sealed and sent. Default
	// 10s.
	Interval time.Duration
	// Buffer bounds the items (counters, last uses, actions) held, counted
	// and unsent together. Default 100000.
	Buffer int
	// Timeout bounds one send to one replica. Default 10s.
	Timeout time.Duration
	// HTTPClient sends batches. Default: a pooled cleanhttp client.
	HTTPClient *http.Client
	// Logger gets drops and store errors, never a key. Default: none.
	Logger *zap.Logger
	// Observer gets counts for metrics. Default: none.
	Observer Observer
	// Now is the clock of sealing. Default time.Now.
	Now func() time.Time
}

// String describes the config without the key, for pool keys and logs.
func (c Config) String() string {
	return fmt.Sprintf("usage reports to %s every %s, buffer %d, timeout %s, key ***", strings.Join(c.StoreURLs, " "), c.Interval, c.Buffer, c.Timeout)
}

// Reporter aggregates and sends usage. The zero value is not usable; a
// nil *Reporter records nothing.
type Reporter struct {
	cfg      Config
	instance string
	seq      atomic.Uint64
	client   *sender
	log      *zap.Logger
	observer Observer

	shards [numShards]shard
	// items counts what is held: live keys, last uses and actions in the
	// shards plus the items of queued batches.
	items atomic.Int64

	qmu   sync.Mutex
	queue []*batch

	// notAccepted is set once a store said it has no usage report
	// endpoint, which is logged once.
	notAccepted atomic.Bool

	dropMu     sync.Mutex
	dropLogged time.Time
	dropUnlog  int

	stop chan struct{}
	// stopped is cancelled when stop closes: it ends the interval's
	// flush, so that Close waits for its own flush only.
	stopped    context.Context
	cancelStop context.CancelFunc
	done       chan struct{}
	startOnce  sync.Once
	closeOnce  sync.Once
}

// New checks cfg, applies defaults and returns a Reporter; Start starts
// its sender.
func New(cfg Config) (*Reporter, error) {
	if len(cfg.StoreURLs) == 0 {
		return nil, errors.New("usage reports: no store URL")
	}
	if strings.TrimSpace(cfg.StoreKey) == "" {
		return nil, errors.New("usage reports: no gateway key")
	}
	if cfg.Interval <= 0 {
		cfg.Interval = DefaultInterval
	}
	if cfg.Buffer <= 0 {
		cfg.Buffer = DefaultBuffer
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = cleanhttp.DefaultPooledClient()
	}
	if cfg.Logger == nil {
		cfg.Logger = zap.NewNop()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	id := make([]byte, 8)
	if _, err := rand.Read(id); err != nil {
		return nil, fmt.Errorf("usage reports: making an instance id: %w", err)
	}
	r := &Reporter{
		cfg:      cfg,
		instance: "gw" + hex.EncodeToString(id),
		client:   newSender(cfg),
		log:      cfg.Logger,
		observer: cfg.Observer,
		stop:     make(chan struct{}),
		done:     make(chan struct{}),
	}
	r.stopped, r.cancelStop = context.WithCancel(context.Background())
	for i := range r.shards {
		r.shards[i].reset()
	}
	return r, nil
}

// Start starts the goroutine that seals and sends every interval.
func (r *Reporter) Start() {
	r.startOnce.Do(func() { go r.run() })
}

func (r *Reporter) run() {
	defer close(r.done)
	t := time.NewTicker(r.cfg.Interval)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			r.flush(r.stopped, r.cfg.Timeout*3)
		case <-r.stop:
			return
		}
	}
}

// Flush seals what was counted and sends every queued batch, oldest
// first, until one fails or within limit; what fails stays queued.
func (r *Reporter) Flush(limit time.Duration) {
	r.flush(context.Background(), limit)
}

func (r *Reporter) flush(ctx context.Context, limit time.Duration) {
	r.seal()
	r.sendQueued(ctx, time.Now().Add(limit))
}

// Close stops the sender and flushes within closeTimeout (5s): an
// interval's flush under way is cut short, the batch it was sending stays
// queued for Close's own. What cannot be sent by then is logged as lost.
func (r *Reporter) Close() error {
	r.closeOnce.Do(func() {
		close(r.stop)
		r.cancelStop()
		r.startOnce.Do(func() { close(r.done) }) // never started
		<-r.done
		r.Flush(closeTimeout)
		if n := r.items.Load(); n > 0 {
			r.log.Warn("usage report items not sent before shutdown; the store was unreachable", zap.Int64("items", n))
			r.dropped(int(n), "shutdown")
		}
	})
	return nil
}

// Pending is how many items are held unsent (for tests and metrics).
func (r *Reporter) Pending() int64 { return r.items.Load() }
