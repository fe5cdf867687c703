package store

import (
	"context"
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
	got, existing, err := st.IssueFederated(context.Background(), "acme", "gha", []byte("h"), func(Org, Policy) (Token, error) {
		return Token{ID: "tok_loser", Label: "gha/loser", Active: true}, nil
	}, map[string]string{"sub": "x"}, Event{At: time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)})
	if err != nil || !existing || got.ID != winner.ID {
		t.Fatalf("IssueFederated = %+v, existing %v, %v; want the winner's token, existing", got, existing, err)
	}
}
