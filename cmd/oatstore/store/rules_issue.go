package store

import (
	"context"
	"sync"
	"time"
)

// Group commit of federated token issues. Every exchange inserts a token
// and its audit entry, and a commit costs an fsync: one transaction per
// exchange would cap a CI fleet at a few hundred exchanges a second on
// SQLite. Issues that arrive while a transaction is committing wait and
// then share the next one; each still runs every rule (org lock, hash
// lookup, policy, bound, insert, audit) in order inside it, so the
// outcome is the one they would have had one after another.

// maxIssueBatch bounds the issues one transaction carries.
const maxIssueBatch = 64

// batchTimeout bounds a shared transaction: it must not end with the
// request of whichever caller happened to lead it.
const batchTimeout = 30 * time.Second

// issueJob is one IssueFederated call.
type issueJob struct {
	ctx     context.Context
	org     string
	policy  string
	hash    []byte
	idt     IDToken
	build   func(o Org, p Policy) (Token, error)
	matched map[string]string
	ev      Event

	token    Token
	existing bool
	err      error
	done     chan struct{}
	// lead hands j the lead of the queue (buffered: the one send never
	// waits).
	lead chan struct{}
}

func newIssueJob() *issueJob {
	return &issueJob{done: make(chan struct{}), lead: make(chan struct{}, 1)}
}

func (j *issueJob) finish(t Token, existing bool, err error) {
	j.token, j.existing, j.err = t, existing, err
	close(j.done)
}

// finished reports whether j has its answer.
func (j *issueJob) finished() bool {
	select {
	case <-j.done:
		return true
	default:
		return false
	}
}

// issueQueue collects issues while one caller, the leader, commits them.
type issueQueue struct {
	mu      sync.Mutex
	pending []*issueJob
	leading bool
}

// run issues j: queued behind the running transaction, or, when none
// runs, leading: committing batches until j's own is committed, then
// handing the lead to the oldest issue still waiting, so that under
// sustained load no caller keeps committing other callers' issues.
func (q *issueQueue) run(r *rules, j *issueJob) {
	q.mu.Lock()
	q.pending = append(q.pending, j)
	if q.leading {
		q.mu.Unlock()
		select {
		case <-j.done:
			return
		case <-j.lead:
			// Handed the lead: j is still pending.
		}
		q.mu.Lock()
	}
	q.leading = true
	for !j.finished() {
		n := min(len(q.pending), maxIssueBatch)
		batch := q.pending[:n:n]
		q.pending = q.pending[n:]
		q.mu.Unlock()
		r.issueBatch(batch)
		q.mu.Lock()
	}
	if len(q.pending) > 0 {
		q.pending[0].lead <- struct{}{}
	} else {
		q.leading = false
	}
	q.mu.Unlock()
}

// issueBatch commits batch in one transaction. An issue refused before it
// wrote anything (the org or policy gone, the bound reached, the token
// already stored) gets its answer and the others go on; any failure after
// a write fails the transaction, and then every issue runs alone, so that
// one issue's failure is never another's.
func (r *rules) issueBatch(batch []*issueJob) {
	if len(batch) == 1 {
		r.issueAlone(batch[0])
		return
	}
	type result struct {
		t        Token
		existing bool
		err      error
	}
	results := make([]result, len(batch))
	ctx, cancel := context.WithTimeout(context.Background(), batchTimeout)
	defer cancel()
	err := r.b.Write(ctx, func(tx Tx) error {
		sc := newIssueScratch()
		for i, j := range batch {
			if err := j.ctx.Err(); err != nil {
				results[i] = result{err: err}
				continue
			}
			// The statements run under the batch's context: one caller
			// going away must not abort the others' transaction.
			alone := *j
			alone.ctx = ctx
			t, existing, wrote, err := r.issueIn(tx, &alone, sc)
			if err != nil && wrote {
				return err
			}
			results[i] = result{t, existing, err}
		}
		return nil
	})
	if err != nil {
		for _, j := range batch {
			r.issueAlone(j)
		}
		return
	}
	for i, j := range batch {
		j.finish(results[i].t, results[i].existing, results[i].err)
	}
}
