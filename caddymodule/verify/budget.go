package verify

import (
	"errors"
	"net/netip"
	"sync"
	"time"
)

// ErrTooManyUnknown is VerifyFrom's answer, without asking the store, for a
// token that is not cached when its client address has made the store look
// up more unknown tokens than Config.UnknownPerMinute allows. The client is
// guessing tokens or misconfigured; the gateway answers 429 and the budget
// refills within a minute.
var ErrTooManyUnknown = errors.New("too many unknown tokens from this client address; try again in a minute")

// maxTrackedClients bounds the addresses unknownBudget remembers. Past it,
// addresses not yet tracked share one budget, so that an attacker spread over
// many addresses is bounded as a whole instead of growing the table.
const maxTrackedClients = 1 << 16

// unknownBudget is a token bucket per client address that each introspection
// of an unknown token empties by one. It is off the hit path: only cache
// misses consult it.
type unknownBudget struct {
	// perMinute is both the bucket's size and its refill per minute; zero
	// turns the budget off.
	perMinute float64
	now       func() time.Time

	mu       sync.Mutex
	buckets  map[string]*bucket
	overflow bucket
}

type bucket struct {
	left float64
	at   time.Time
}

func newUnknownBudget(perMinute int, now func() time.Time) *unknownBudget {
	return &unknownBudget{
		perMinute: float64(perMinute), now: now, buckets: map[string]*bucket{},
		overflow: bucket{left: float64(perMinute)},
	}
}

// allows reports whether client may still cause an introspection. An empty
// client (the caller did not say) is always allowed.
func (b *unknownBudget) allows(client string) bool {
	if b.perMinute == 0 || client == "" {
		return true
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.refilled(clientKey(client)) >= 1
}

// charge takes one from client's budget after an introspection found its
// token unknown.
func (b *unknownBudget) charge(client string) {
	if b.perMinute == 0 || client == "" {
		return
	}
	key := clientKey(client)
	b.mu.Lock()
	defer b.mu.Unlock()
	b.refilled(key)
	if bk := b.bucket(key); bk.left > 0 {
		bk.left--
	}
}

// refilled brings key's bucket up to date and returns what is left in it.
// A client never charged has a full bucket and takes no room.
func (b *unknownBudget) refilled(key string) float64 {
	bk, ok := b.buckets[key]
	if !ok && len(b.buckets) < maxTrackedClients {
		return b.perMinute
	}
	if !ok {
		bk = &b.overflow
	}
	now := b.now()
	if !bk.at.IsZero() {
		bk.left = min(b.perMinute, bk.left+now.Sub(bk.at).Minutes()*b.perMinute)
	}
	bk.at = now // the overflow bucket starts full, with no time yet
	return bk.left
}

// bucket returns key's bucket, creating it full (or sharing the overflow
// one when the table is full, after dropping buckets that refilled).
func (b *unknownBudget) bucket(key string) *bucket {
	if bk, ok := b.buckets[key]; ok {
		return bk
	}
	if len(b.buckets) >= maxTrackedClients {
		b.dropRefilled()
	}
	if len(b.buckets) >= maxTrackedClients {
		return &b.overflow
	}
	bk := &bucket{left: b.perMinute, at: b.now()}
	b.buckets[key] = bk
	return bk
}

// dropRefilled forgets buckets that are full again: they hold nothing a new
// bucket would not.
func (b *unknownBudget) dropRefilled() {
	now := b.now()
	for key, bk := range b.buckets {
		if bk.left+now.Sub(bk.at).Minutes()*b.perMinute >= b.perMinute {
			delete(b.buckets, key)
		}
	}
}

// clientKey is the budget key of a client address ("ip" or "ip:port"): the
// address itself for IPv4, its /64 for IPv6, where one host commonly holds
// the whole prefix. Anything else is its own key.
func clientKey(client string) string {
	addr, err := netip.ParseAddr(client)
	if err != nil {
		ap, perr := netip.ParseAddrPort(client)
		if perr != nil {
			return client
		}
		addr = ap.Addr()
	}
	addr = addr.Unmap()
	if addr.Is6() {
		p, _ := addr.Prefix(64)
		return p.String()
	}
	return addr.String()
}
