package storetest

import (
	"context"
	"errors"
	"testing"

	"github.com/oatgate/oatgate/cmd/oatstore/store"
)

// The behaviours issue 15 adds to every backend: the audit keeps who
// authenticated apart from whom the client says it acts for, and a
// decision made on the locked row can cancel a delete.

// errRefused stands for a refusal the server's authorization returns from
// inside a transaction.
var errRefused = errors.New("refused by the caller's check")

// auditActors records one change per kind of actor and reads the entries
// back.
func auditActors(t *testing.T, open func(t *testing.T) store.Store) {
	st := open(t)
	ctx := context.Background()
	putOrg(t, st, "acme", 100)
	tests := []struct {
		name       string
		id         string
		actor      string
		onBehalfOf string
	}{
		{"an admin key acting for a person records both", "a", "admin:alice", "bob@example.com"},
		{"a management token acting for nobody records the token alone", "b", "token:tok_manager", ""},
	}
	for _, tt := range tests {
		e := ev(store.ActionTokenCreated)
		e.Actor, e.OnBehalfOf = tt.actor, tt.onBehalfOf
		_, err := st.CreateToken(ctx, "acme", []byte("hash-"+tt.id), func(store.Org) (store.Token, error) {
			return store.Token{ID: tt.id, Label: tt.id, Scopes: []string{"repository:acme/app:pull"}, CreatedAt: T0, CreatedBy: tt.actor, Active: true}, nil
		}, e)
		if err != nil {
			t.Fatalf("%s: CreateToken: %v", tt.name, err)
		}
	}
	entries, _, err := st.Audit(ctx, store.AuditQuery{Org: "acme", Action: store.ActionTokenCreated, Limit: 10})
	if err != nil {
		t.Fatalf("Audit: %v", err)
	}
	got := map[string]store.AuditEntry{}
	for _, e := range entries {
		got[e.TokenID] = e
	}
	for _, tt := range tests {
		e, ok := got[tt.id]
		if !ok {
			t.Errorf("%s: no audit entry for token %s", tt.name, tt.id)
			continue
		}
		if e.Actor != tt.actor || e.OnBehalfOf != tt.onBehalfOf {
			t.Errorf("%s: entry actor %q on behalf of %q, want %q on behalf of %q", tt.name, e.Actor, e.OnBehalfOf, tt.actor, tt.onBehalfOf)
		}
		if tok, err := st.GetToken(ctx, "acme", tt.id); err != nil || tok.CreatedBy != tt.actor {
			t.Errorf("%s: token created_by = %q, %v; want %q", tt.name, tok.CreatedBy, err, tt.actor)
		}
	}
}

// refusedDelete checks that DeleteToken's check sees the stored token and
// that its refusal leaves the token, the audit and the feed untouched.
func refusedDelete(t *testing.T, open func(t *testing.T) store.Store) {
	st := open(t)
	ctx := context.Background()
	putOrg(t, st, "acme", 100)
	mustCreate(t, st, "acme", "a")
	head, _, err := st.Changes(ctx, 0, 100)
	if err != nil {
		t.Fatalf("Changes: %v", err)
	}
	before, _, _ := st.Audit(ctx, store.AuditQuery{Org: "acme", Limit: 100})
	var seen store.Token
	_, err = st.DeleteToken(ctx, "acme", "a", func(cur store.Token) error {
		seen = cur
		return errRefused
	}, ev(store.ActionTokenDeleted))
	if !errors.Is(err, errRefused) {
		t.Fatalf("DeleteToken with a refusing check = %v, want the check's error", err)
	}
	if seen.ID != "a" || len(seen.Scopes) != 1 {
		t.Errorf("the check saw %+v, want token a as stored", seen)
	}
	if _, err := st.GetToken(ctx, "acme", "a"); err != nil {
		t.Errorf("GetToken after a refused delete: %v; want the token kept", err)
	}
	if _, ids, err := st.Changes(ctx, head, 100); err != nil || len(ids) != 0 {
		t.Errorf("feed after a refused delete = %v, %v; want no change", ids, err)
	}
	if after, _, _ := st.Audit(ctx, store.AuditQuery{Org: "acme", Limit: 100}); len(after) != len(before) {
		t.Errorf("%d audit entries after a refused delete, want %d", len(after), len(before))
	}
	if _, err := st.DeleteToken(ctx, "acme", "a", func(store.Token) error { return nil }, ev(store.ActionTokenDeleted)); err != nil {
		t.Errorf("DeleteToken with an allowing check: %v", err)
	}
}
