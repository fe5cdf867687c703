package webhook

import (
	"context"
	"net/http"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/oatgate/oatgate/cmd/oatstore/egress"
	"github.com/oatgate/oatgate/cmd/oatstore/store"
)

// Options configure delivery. Zero fields take their defaults.
type Options struct {
	// AllowLoopbackHTTP accepts http:// URLs to loopback addresses (see
	// CheckURL): for development and tests, never needed in production.
	// Default false.
	AllowLoopbackHTTP bool
	// AllowPrivateNetworks lets deliveries connect to private addresses
	// (10/8, 172.16/12, 192.168/16, 100.64/10, fc00::/7): receivers inside
	// the internal network. Off, an org cannot make oatstore probe it.
	// Link-local addresses (cloud metadata) are refused either way.
	// Default false.
	AllowPrivateNetworks bool
	// PollInterval is how often due deliveries are looked for. Default 1s.
	PollInterval time.Duration
	// ScanInterval is how often tokens near expiry are scanned. Default 1m.
	ScanInterval time.Duration
	// Timeout bounds one attempt, connection to answer. Default 10s.
	Timeout time.Duration
	// Retry is the retry rule: waits from RetryBase doubling up to
	// RetryMax, giving up after GiveUpAfter or MaxAttempts. Defaults 30s,
	// 1h, 24h and 30.
	Retry store.RetryPolicy
	// Disabled stops this replica from delivering and scanning (another
	// replica on the same database does it). Events are still queued.
	// Default false.
	Disabled bool
}

// Defaults of Options.
const (
	DefaultPollInterval = time.Second
	DefaultScanInterval = time.Minute
	DefaultTimeout      = 10 * time.Second
	DefaultRetryBase    = 30 * time.Second
	DefaultRetryMax     = time.Hour
	DefaultGiveUpAfter  = 24 * time.Hour
	DefaultMaxAttempts  = 30
)

// workers is how many attempts a replica runs at once. Each runs on its
// own: a receiver that takes the whole timeout holds one worker, not a
// round of them.
const workers = 16

// perOrg is how many of the workers one org's deliveries may hold,
// counting those in flight on other replicas: an org whose receiver never
// answers, with thousands of events queued, slows its own deliveries only.
const perOrg = 4

// WithDefaults returns o with every zero field set to its default.
func (o Options) WithDefaults() Options {
	set := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	set(&o.PollInterval, DefaultPollInterval)
	set(&o.ScanInterval, DefaultScanInterval)
	set(&o.Timeout, DefaultTimeout)
	set(&o.Retry.Base, DefaultRetryBase)
	set(&o.Retry.Max, DefaultRetryMax)
	set(&o.Retry.GiveUpAfter, DefaultGiveUpAfter)
	if o.Retry.MaxAttempts <= 0 {
		o.Retry.MaxAttempts = DefaultMaxAttempts
	}
	return o
}

// egress is where o's deliveries may connect: an org chooses the URL, so
// without it an org could make oatstore probe its own network.
func (o Options) egress() egress.Policy {
	return egress.Policy{Loopback: o.AllowLoopbackHTTP, Private: o.AllowPrivateNetworks}
}

// lease is how long a claimed delivery is this replica's: its attempt
// starts at once, bounded by the timeout, so twice the timeout and a
// margin outlast it.
func (o Options) lease() time.Duration { return 2*o.Timeout + 30*time.Second }

// Dispatcher is the background loop of one replica. Several replicas may
// run one each over one database: the store leases each delivery and
// claims each expiry notice to one of them.
type Dispatcher struct {
	store  store.Store
	now    func() time.Time
	log    *zap.Logger
	opts   Options
	client *http.Client
	kick   chan struct{}
	stop   context.CancelFunc
	wg     sync.WaitGroup
	// busy holds a place per attempt running; only the delivery loop
	// takes one, each attempt gives its own back.
	busy chan struct{}
	// pruned is when the scan loop last pruned the webhook history.
	pruned time.Time
}

// pruneEvery is how often a replica prunes finished deliveries.
const pruneEvery = time.Hour

// Start runs the loop until Close. With opts.Disabled it runs nothing.
func Start(st store.Store, now func() time.Time, log *zap.Logger, opts Options) *Dispatcher {
	opts = opts.WithDefaults()
	ctx, cancel := context.WithCancel(context.Background())
	d := &Dispatcher{store: st, now: now, log: log, opts: opts, client: newClient(opts.Timeout, opts.egress()), kick: make(chan struct{}, 1), stop: cancel, busy: make(chan struct{}, workers)}
	if opts.Disabled {
		return d
	}
	d.wg.Add(2)
	go d.loop(ctx, opts.PollInterval, d.kick, d.deliverAll)
	go d.loop(ctx, opts.ScanInterval, nil, d.scan)
	return d
}

// Kick asks for a delivery round now rather than at the next poll.
func (d *Dispatcher) Kick() {
	select {
	case d.kick <- struct{}{}:
	default:
	}
}

// Close stops the loops and waits for the attempts in flight: an attempt
// cut short is recorded as failed and retried, by this or another replica.
func (d *Dispatcher) Close() {
	d.stop()
	d.wg.Wait()
}

// loop runs round now and then every interval, or sooner when kicked (a
// nil kick never fires).
func (d *Dispatcher) loop(ctx context.Context, every time.Duration, kick <-chan struct{}, round func(context.Context)) {
	defer d.wg.Done()
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		round(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-kick:
		}
	}
}

// scan queues the expiry notices due now, and once an hour prunes the
// history no one needs any more.
func (d *Dispatcher) scan(ctx context.Context) {
	now := d.now()
	if now.Sub(d.pruned) >= pruneEvery {
		if n, err := d.store.PruneWebhookHistory(ctx, now); err != nil {
			if ctx.Err() == nil {
				d.log.Error("pruning webhook history", zap.Error(err))
			}
		} else {
			d.pruned = now
			if n > 0 {
				d.log.Info("webhook history pruned", zap.Int64("rows", n))
			}
		}
	}
	n, err := d.store.NotifyExpiry(ctx, now)
	if err != nil {
		if ctx.Err() == nil {
			d.log.Error("scanning tokens near expiry for webhooks", zap.Error(err))
		}
		return
	}
	if n > 0 {
		d.log.Info("expiry notices queued", zap.Int("count", n))
	}
}

// deliverAll fills the free workers with due deliveries until none is
// free or nothing more is due; it returns without waiting for them. An
// attempt that ends kicks the loop, so its worker is refilled at once.
func (d *Dispatcher) deliverAll(ctx context.Context) {
	for ctx.Err() == nil {
		free := cap(d.busy) - len(d.busy)
		if free == 0 {
			return
		}
		due, err := d.store.ClaimDeliveries(ctx, d.now(), d.opts.lease(), free, perOrg)
		if err != nil {
			if ctx.Err() == nil {
				d.log.Error("claiming webhook deliveries", zap.Error(err))
			}
			return
		}
		for _, dd := range due {
			d.busy <- struct{}{}
			d.wg.Add(1)
			go func() {
				defer d.wg.Done()
				d.deliver(ctx, dd)
				<-d.busy
				d.Kick()
			}()
		}
		if len(due) < free {
			return
		}
	}
}

func (d *Dispatcher) deliver(ctx context.Context, dd store.DueDelivery) {
	o, why := send(ctx, d.client, dd, d.opts, d.now())
	o.At = d.now()
	// Recorded even while shutting down: the attempt happened.
	got, ok, err := d.store.FinishDelivery(context.WithoutCancel(ctx), dd, o, d.opts.Retry)
	fields := []zap.Field{
		zap.String("org", dd.Org), zap.String("webhook", dd.Webhook),
		zap.String("event_id", dd.EventID), zap.String("event_type", dd.EventType),
		zap.Int("attempt", got.Attempts), zap.Int("status", o.Status),
	}
	if why != nil {
		// In full, refused address included: the operator's log, not the org's.
		fields = append(fields, zap.NamedError("cause", why))
	}
	switch {
	case err != nil:
		d.log.Error("recording a webhook delivery", append(fields, zap.Error(err))...)
	case !ok:
		d.log.Warn("webhook delivery lease lost: another replica took it over; the receiver may see the event twice and should dedupe on its id", fields...)
	case got.DeliveredAt != nil:
		d.log.Info("webhook delivered", fields...)
	case got.FailedAt != nil:
		d.log.Warn("webhook delivery given up", append(fields, zap.String("error", got.LastError))...)
	default:
		d.log.Info("webhook delivery failed; will retry", append(fields, zap.String("error", got.LastError), zap.Timep("next_attempt_at", got.NextAttemptAt))...)
	}
}
