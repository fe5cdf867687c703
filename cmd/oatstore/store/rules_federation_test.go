package store

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"
)

// hashRaceBackend is a Backend on which another replica always issues the
// federated token of a hash between the rules' read and their insert: the
// one path of IssueFederated storetest cannot reach on demand.
type hashRaceBackend struct {
	Backend // nil: a call the test does not expect panics
	winner  Token
}

func (b hashRaceBackend) Write(ctx context.Context, fn func(Tx) error) error {
	return fn(hashRaceTx{raceTx{}})
}

func (b hashRaceBackend) TokenByHash(context.Context, []byte) (Token, error) { return b.winner, nil }

type hashRaceTx struct{ raceTx }

func (hashRaceTx) TokenByHash(context.Context, []byte) (Token, error) { return Token{}, ErrNotFound }
func (hashRaceTx) Policy(_ context.Context, org, name string) (Policy, error) {
	return Policy{Org: org, Name: name}, nil
}
func (hashRaceTx) InsertToken(context.Context, Token, []byte) error { return ErrHashTaken }

func TestAnIssueThatLosesTheHashRaceAnswersTheWinnersToken(t *testing.T) {
	winner := Token{ID: "tok_winner", Org: "acme", Kind: KindFederated, Policy: "gha"}
	st := New(hashRaceBackend{winner: winner})
	got, existing, err := st.IssueFederated(context.Background(), "acme", "gha", []byte("h"), IDToken{Hash: []byte("id")}, func(Org, Policy) (Token, error) {
		return Token{ID: "tok_loser", Label: "gha/loser", Active: true}, nil
	}, map[string]string{"sub": "x"}, Event{At: time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)})
	if err != nil || !existing || got.ID != winner.ID {
		t.Fatalf("IssueFederated = %+v, existing %v, %v; want the winner's token, existing", got, existing, err)
	}
}

// memBackend is a Backend whose transactions buffer their inserts and
// keep them only when fn succeeds, and whose inserts fail for one hash
// after writing: enough to see a shared transaction fall back to one per
// issue.
type memBackend struct {
	Backend
	failHash  string
	committed map[string]Token
	commits   int
}

func (b *memBackend) Write(ctx context.Context, fn func(Tx) error) error {
	tx := &memTx{b: b, pending: map[string]Token{}}
	if err := fn(tx); err != nil {
		return err
	}
	for h, t := range tx.pending {
		b.committed[h] = t
	}
	b.commits++
	return nil
}

type memTx struct {
	raceTx
	b       *memBackend
	pending map[string]Token
}

func (x *memTx) TokenByHash(_ context.Context, hash []byte) (Token, error) {
	if t, ok := x.pending[string(hash)]; ok {
		return t, nil
	}
	if t, ok := x.b.committed[string(hash)]; ok {
		return t, nil
	}
	return Token{}, ErrNotFound
}
func (x *memTx) Policy(_ context.Context, org, name string) (Policy, error) {
	return Policy{Org: org, Name: name}, nil
}
func (x *memTx) InsertToken(_ context.Context, t Token, hash []byte) error {
	if string(hash) == x.b.failHash {
		return errors.New("disk on fire")
	}
	x.pending[string(hash)] = t
	return nil
}

func TestAFailingIssueInASharedTransactionFailsOnlyItself(t *testing.T) {
	b := &memBackend{failHash: "bad", committed: map[string]Token{}}
	r := &rules{b: b}
	ev := Event{At: time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)}
	job := func(hash string) *issueJob {
		return &issueJob{ctx: context.Background(), org: "acme", policy: "gha", hash: []byte(hash), ev: ev, done: make(chan struct{}),
			build: func(Org, Policy) (Token, error) {
				return Token{ID: "tok_" + hash, Label: "gha/" + hash, Active: true}, nil
			}}
	}
	good, bad, again := job("good"), job("bad"), job("good")
	r.issueBatch([]*issueJob{good, bad, again})
	if good.err != nil || good.token.ID != "tok_good" || good.existing {
		t.Errorf("the good issue = %+v, %v; want its token, new", good.token, good.err)
	}
	if again.err != nil || again.token.ID != "tok_good" || !again.existing {
		t.Errorf("the same hash again = %+v, existing %v, %v; want the stored token", again.token, again.existing, again.err)
	}
	if bad.err == nil {
		t.Errorf("the failing issue succeeded")
	}
	if _, ok := b.committed["bad"]; ok || len(b.committed) != 1 {
		t.Errorf("committed = %v, want only the good token", b.committed)
	}
}

// slowBackend is memBackend with commits that take a while, so that issues
// pile up behind each one.
type slowBackend struct{ *memBackend }

func (b slowBackend) Write(ctx context.Context, fn func(Tx) error) error {
	time.Sleep(time.Millisecond)
	return b.memBackend.Write(ctx, fn)
}

func TestEveryIssueReturnsUnderSustainedLoad(t *testing.T) {
	mem := &memBackend{committed: map[string]Token{}}
	st := New(slowBackend{mem})
	const callers, each = 16, 25
	var wg sync.WaitGroup
	errs := make(chan error, callers*each)
	for c := range callers {
		wg.Go(func() {
			for i := range each {
				hash := fmt.Sprintf("h-%d-%d", c, i)
				tok, _, err := st.IssueFederated(context.Background(), "acme", "gha", []byte(hash), IDToken{Hash: []byte("id of " + hash)}, func(Org, Policy) (Token, error) {
					return Token{ID: "tok_" + hash, Label: hash, Active: true}, nil
				}, nil, Event{At: time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)})
				if err == nil && tok.ID != "tok_"+hash {
					err = fmt.Errorf("issue %s got token %s", hash, tok.ID)
				}
				if err != nil {
					errs <- err
				}
			}
		})
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("issues still waiting after 30 s: a caller was never answered")
	}
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if len(mem.committed) != callers*each {
		t.Errorf("%d tokens committed, want %d", len(mem.committed), callers*each)
	}
	if mem.commits >= callers*each {
		t.Errorf("%d commits for %d issues: nothing was shared", mem.commits, callers*each)
	}
}
