package usagereport

import (
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
	tokens  map[tokenKey]*tokenUsage
	actions []storeapi.RegistryAction
	hot     hot
}

func (s *shard) reset() {
	s.tokens = map[tokenKey]*tokenUsage{}
	s.actions = nil
	s.hot = hot{}
}

type tokenKey struct{ org, token string }

// tokenUsage is one token's counters by repository and hour, and its last
// allowed request (At zero: none yet).
type tokenUsage struct {
	label string
	repos map[repoHour]*storeapi.UsageCount
	last  storeapi.LastUse
}

// repoHour keys a counter within a token: the event's own repository
// string and the hour, so a lookup allocates nothing.
type repoHour struct {
	repository string
	hour       int64
}

// shard picks a token's shard by the last byte of its id: ids end in
// random characters, and hashing the id again would cost as much as the
// map lookups that follow.
func (r *Reporter) shard(token string) *shard {
	return &r.shards[token[len(token)-1]&(numShards-1)]
}

// counter is which counter a request adds to, beside requests and bytes.
type counter uint8

const (
	none counter = iota
	pulls
	versionChecks
	pushes
	deletes
	denials
)

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
	var (
		which  counter
		action string
	)
	switch {
	case denied:
		which = denials
		if req.Inactive != storeapi.ReasonUnknown {
			action = storeapi.ActionInactiveUsed
		}
	case req.Target == Manifest && ev.Method == http.MethodGet && ok:
		which = pulls
	case req.Target == Manifest && ev.Method == http.MethodHead:
		which = versionChecks
	case req.Target == Manifest && ev.Method == http.MethodPut && ok:
		which, action = pushes, storeapi.ActionPush
	case (req.Target == Manifest || req.Target == Blob) && ev.Method == http.MethodDelete && ok:
		which, action = deletes, storeapi.ActionDelete
	}
	unix := req.At.Unix()
	hour := unix - unix%3600

	s := r.shard(ev.TokenID)
	s.mu.Lock()
	tu, cur := s.find(r, ev, hour)
	if cur != nil {
		cur.Requests++
		cur.BytesIn += ev.BytesIn
		cur.BytesOut += ev.BytesOut
		switch which {
		case pulls:
			cur.Pulls++
		case versionChecks:
			cur.VersionChecks++
		case pushes:
			cur.Pushes++
		case deletes:
			cur.Deletes++
		case denials:
			cur.Denied++
		}
	}
	if tu != nil && !denied && !req.At.Before(tu.last.At) {
		last := &tu.last
		if last.TokenID == "" {
			last.Org, last.TokenID = ev.Org, ev.TokenID
		}
		last.At = req.At
		// Most requests come from the client that came before.
		if last.ClientIP != ev.ClientIP {
			last.ClientIP = ev.ClientIP
		}
		if last.UserAgent != ev.UserAgent {
			last.UserAgent = ev.UserAgent
		}
	}
	if action != "" && r.reserve() {
		s.actions = append(s.actions, newAction(action, &req))
	}
	s.mu.Unlock()
}

// find returns the token's usage and its counter for ev's repository and
// hour, creating them if there is room (nil when there is not). The
// counter the shard found last is checked first, without hashing: the
// requests of one pull come one after another from one token on one
// repository. s.mu is held.
func (s *shard) find(r *Reporter, ev *usage.Event, hour int64) (*tokenUsage, *storeapi.UsageCount) {
	if h := &s.hot; h.count != nil && h.hour == hour && h.token == ev.TokenID && h.repository == ev.Repository && h.org == ev.Org {
		return h.tu, h.count
	}
	tu := s.tokens[tokenKey{ev.Org, ev.TokenID}]
	if tu == nil {
		if !r.reserve() {
			return nil, nil
		}
		tu = &tokenUsage{label: ev.TokenLabel, repos: map[repoHour]*storeapi.UsageCount{}}
		s.tokens[tokenKey{ev.Org, ev.TokenID}] = tu
	}
	cur := tu.repos[repoHour{ev.Repository, hour}]
	if cur == nil {
		if !r.reserve() {
			return tu, nil
		}
		repo := strings.Clone(ev.Repository)
		cur = &storeapi.UsageCount{Org: ev.Org, TokenID: ev.TokenID, TokenLabel: ev.TokenLabel, Repository: repo, Hour: hour}
		tu.repos[repoHour{repo, hour}] = cur
	}
	s.hot = hot{org: ev.Org, token: ev.TokenID, repository: cur.Repository, hour: hour, tu: tu, count: cur}
	return tu, cur
}

// hot is the counter a shard found last.
type hot struct {
	org, token, repository string
	hour                   int64
	tu                     *tokenUsage
	count                  *storeapi.UsageCount
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
