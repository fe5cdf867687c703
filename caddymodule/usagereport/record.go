package usagereport

import (
	"hash/maphash"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/oatgate/oatgate/caddymodule/storeapi"
	"github.com/oatgate/oatgate/caddymodule/usage"
)

// Target is what a request acted on, as far as usage counts tell apart.
type Target uint8

// Targets.
const (
	// Other is any request that is not on a manifest or a blob.
	Other Target = iota
	// Manifest is /v2/<name>/manifests/<reference>.
	Manifest
	// Blob is /v2/<name>/blobs/<digest>.
	Blob
)

// Request is what Record reads of one finished request: the usage event
// ServeHTTP filled, and what the event does not say.
type Request struct {
	// Event is the request's usage event, complete (status and bytes).
	Event *usage.Event
	// Target is the endpoint the request was on.
	Target Target
	// At is when the request started.
	At time.Time
	// Inactive is why the store refused a token it knows (revoked,
	// deactivated, expired); ReasonUnknown when that is not the case.
	Inactive storeapi.Reason
	// PushedDigest is the Docker-Content-Digest of a pushed manifest.
	PushedDigest string
}

// numShards spreads tokens over locks; a power of two.
const numShards = 16

// shard holds what was counted of some tokens since the last seal.
type shard struct {
	mu      sync.Mutex
	counts  map[countKey]*storeapi.UsageCount
	last    map[tokenKey]storeapi.LastUse
	actions []storeapi.RegistryAction
}

func (s *shard) reset() {
	s.counts = map[countKey]*storeapi.UsageCount{}
	s.last = map[tokenKey]storeapi.LastUse{}
	s.actions = nil
}

// countKey is a counter's key: the event's own strings and the hour, so a
// lookup allocates nothing.
type countKey struct {
	org, token, repository string
	hour                   int64
}

type tokenKey struct{ org, token string }

var seed = maphash.MakeSeed()

func (r *Reporter) shard(token string) *shard {
	return &r.shards[maphash.String(seed, token)&(numShards-1)]
}

// Record counts one finished request of a token: every request the
// gateway decided for a token the store knows, allowed or denied.
// Requests without a token id (no credentials, unknown tokens, anonymous
// pulls) count for no one. It never blocks on the network, and allocates
// only for a key or action new since the last seal.
func (r *Reporter) Record(req Request) {
	ev := req.Event
	if r == nil || ev == nil || ev.TokenID == "" || ev.Org == "" {
		return
	}
	denied := ev.Decision == usage.Deny
	ok := ev.Status >= 200 && ev.Status < 300
	var c storeapi.UsageCount
	c.Requests, c.BytesIn, c.BytesOut = 1, ev.BytesIn, ev.BytesOut
	var action string
	switch {
	case denied:
		c.Denied = 1
		if req.Inactive != storeapi.ReasonUnknown {
			action = storeapi.ActionInactiveUsed
		}
	case req.Target == Manifest && ev.Method == http.MethodGet && ok:
		c.Pulls = 1
	case req.Target == Manifest && ev.Method == http.MethodHead:
		c.VersionChecks = 1
	case req.Target == Manifest && ev.Method == http.MethodPut && ok:
		c.Pushes, action = 1, storeapi.ActionPush
	case (req.Target == Manifest || req.Target == Blob) && ev.Method == http.MethodDelete && ok:
		c.Deletes, action = 1, storeapi.ActionDelete
	}
	unix := req.At.Unix()
	hour := unix - unix%3600

	s := r.shard(ev.TokenID)
	s.mu.Lock()
	if cur := s.counts[countKey{ev.Org, ev.TokenID, ev.Repository, hour}]; cur != nil {
		cur.Add(c)
	} else if r.reserve() {
		// Only a new key allocates; c itself stays on the stack.
		n := new(storeapi.UsageCount)
		*n = c
		n.Org, n.TokenID, n.TokenLabel = ev.Org, ev.TokenID, ev.TokenLabel
		n.Repository, n.Hour = strings.Clone(ev.Repository), hour
		s.counts[countKey{n.Org, n.TokenID, n.Repository, hour}] = n
	}
	if !denied {
		k := tokenKey{ev.Org, ev.TokenID}
		if cur, seen := s.last[k]; seen || r.reserve() {
			if !seen || !req.At.Before(cur.At) {
				s.last[k] = storeapi.LastUse{Org: ev.Org, TokenID: ev.TokenID, At: req.At, ClientIP: ev.ClientIP, UserAgent: ev.UserAgent}
			}
		}
	}
	if action != "" && r.reserve() {
		s.actions = append(s.actions, newAction(action, &req))
	}
	s.mu.Unlock()
}

// newAction is the registry action of a push, a delete or an inactive
// token's presentation.
func newAction(action string, req *Request) storeapi.RegistryAction {
	ev := req.Event
	a := storeapi.RegistryAction{
		Action: action, At: req.At, Org: ev.Org, TokenID: ev.TokenID, TokenLabel: ev.TokenLabel,
		Repository: strings.Clone(ev.Repository), ClientIP: ev.ClientIP, UserAgent: ev.UserAgent,
	}
	switch action {
	case storeapi.ActionInactiveUsed:
		a.Reason = req.Inactive
	case storeapi.ActionPush, storeapi.ActionDelete:
		// A reference with a colon is a digest; otherwise a tag.
		if strings.Contains(ev.Reference, ":") {
			a.Digest = strings.Clone(ev.Reference)
		} else {
			a.Tag = strings.Clone(ev.Reference)
		}
		if a.Digest == "" {
			a.Digest = strings.Clone(req.PushedDigest)
		}
		if a.Digest == "" {
			a.Digest = strings.Clone(ev.Digest) // a blob's
		}
	}
	return a
}

// reserve takes room for one more item, dropping the oldest queued batch
// when the buffer is full; false when there is no room even so (then the
// item is dropped, and counted).
func (r *Reporter) reserve() bool {
	if r.items.Add(1) <= int64(r.cfg.Buffer) {
		return true
	}
	if r.dropOldest() {
		return true
	}
	r.items.Add(-1)
	r.dropped(1, "buffer full")
	return false
}
