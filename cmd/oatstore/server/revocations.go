package server

import (
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/oatgate/oatgate/caddymodule/storeapi"
)

const (
	// maxWait caps a long poll.
	maxWait = 60 * time.Second
	// feedPage bounds the feed rows one answer covers; a gateway far behind
	// polls again at once.
	feedPage = 1000
)

// revocations answers GET /v1/revocations?after=CURSOR[&wait=30s] with a
// storeapi.RevocationPage: the ids of tokens changed since the cursor. With wait, an empty answer is held
// until a change arrives on this replica or the wait ends.
func (s *Server) revocations(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var after int64
	if raw := q.Get(storeapi.AfterParam); raw != "" {
		var err error
		if after, err = strconv.ParseInt(raw, 10, 64); err != nil || after < 0 {
			badRequest(w, "after %q: want a cursor from a previous answer, or 0", raw)
			return
		}
	}
	var wait time.Duration
	if raw := q.Get(storeapi.WaitParam); raw != "" {
		var err error
		if wait, err = time.ParseDuration(raw); err != nil || wait < 0 {
			badRequest(w, "wait %q: want a duration such as 30s (at most %s)", raw, maxWait)
			return
		}
		wait = min(wait, maxWait)
	}
	// Take the notification channel before reading, so a change committed
	// between the read and the wait still wakes us.
	changed := s.changes.wait()
	next, ids, err := s.store.Changes(r.Context(), after, feedPage)
	if err != nil {
		s.fail(w, err, "")
		return
	}
	if len(ids) == 0 && after > 0 && wait > 0 {
		timer := time.NewTimer(wait)
		defer timer.Stop()
		select {
		case <-changed:
			next, ids, err = s.store.Changes(r.Context(), after, feedPage)
			if err != nil {
				s.fail(w, err, "")
				return
			}
		case <-timer.C:
		case <-r.Context().Done():
			return
		case <-s.done:
		}
	}
	if ids == nil {
		ids = []string{} // the page promises a list, never null
	}
	writeJSON(w, http.StatusOK, storeapi.RevocationPage{Cursor: strconv.FormatInt(next, 10), TokenIDs: ids})
}

// notifier wakes long polls when a token changes in this process. With
// several replicas a poll on another one simply times out and the next poll
// reads the rows.
type notifier struct {
	mu sync.Mutex
	ch chan struct{}
}

func newNotifier() *notifier { return &notifier{ch: make(chan struct{})} }

// wait returns a channel closed at the next notify.
func (n *notifier) wait() <-chan struct{} {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.ch
}

func (n *notifier) notify() {
	n.mu.Lock()
	defer n.mu.Unlock()
	close(n.ch)
	n.ch = make(chan struct{})
}
