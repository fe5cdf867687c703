// Package storetest is the behaviour every oatstore backend must have,
// written once and run by each backend's tests against a real database:
//
//	func TestStore(t *testing.T) { storetest.Run(t, newDB) }
//
// Several Stores opened on one database stand in for several replicas, so
// the concurrency cases check what holds across processes, not only
// goroutines.
package storetest

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/oatgate/oatgate/cmd/oatstore/store"
)

// NewDB makes a fresh, empty database and returns a function that opens a
// Store on it. Each call of the returned function is a new Store on the
// same database (a reopen, or another replica); the backend closes it when
// the test ends, and a test may close it earlier.
type NewDB func(t *testing.T) (open func(t *testing.T) store.Store)

// T0 is the time the suite's events happen at.
var T0 = time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)

// Run runs the whole suite, each behaviour on a fresh database.
func Run(t *testing.T, newDB NewDB) {
	t.Helper()
	for _, c := range slices.Concat(cases, webhookCases) {
		t.Run(c.name, func(t *testing.T) {
			c.run(t, newDB(t))
		})
	}
}

// behaviour is one named case of the suite.
type behaviour struct {
	name string
	run  func(t *testing.T, open func(t *testing.T) store.Store)
}

func ev(action string) store.Event {
	return store.Event{Action: action, Actor: "test", SourceIP: "127.0.0.1", At: T0}
}

func evAt(action string, at time.Time) store.Event {
	e := ev(action)
	e.At = at
	return e
}

// PutOrg creates or updates org name with a token limit of max, failing t
// on an error.
func PutOrg(t *testing.T, st store.Store, name string, max int) {
	t.Helper()
	_, _, err := st.PutOrg(context.Background(), name, func(o store.Org, _ bool) (store.Org, error) {
		o.MaxTokens = max
		return o, nil
	}, ev(""))
	if err != nil {
		t.Fatalf("PutOrg(%s): %v", name, err)
	}
}

// Create makes a token whose id, label and hash derive from id.
func Create(st store.Store, org, id string) (store.Token, error) {
	return createLabelled(st, org, id, id)
}

func createLabelled(st store.Store, org, id, label string) (store.Token, error) {
	return st.CreateToken(context.Background(), org, []byte("hash-"+id), func(store.Org) (store.Token, error) {
		return store.Token{ID: id, Label: label, Description: "for " + id, Scopes: []string{"repository:" + org + "/app:pull"}, CreatedAt: T0, CreatedBy: "test", Active: true}, nil
	}, ev(store.ActionTokenCreated))
}

func mustCreate(t *testing.T, st store.Store, org, id string) store.Token {
	t.Helper()
	tok, err := Create(st, org, id)
	if err != nil {
		t.Fatalf("CreateToken(%s): %v", id, err)
	}
	return tok
}

// revoke marks a token revoked and inactive, as the server's revoke does.
func revoke(st store.Store, org, id string, at time.Time) (store.Token, error) {
	_, after, err := st.UpdateToken(context.Background(), org, id, func(cur store.Token, _ store.Org) (store.Token, error) {
		cur.Active = false
		cur.RevokedAt = &at
		return cur, nil
	}, evAt(store.ActionTokenRevoked, at))
	return after, err
}
