package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/oatgate/oatgate/cmd/oatstore/store"
)

var cases = []behaviour{
	{"orgs are created once then updated", orgsCreatedThenUpdated},
	{"orgs are listed by name with their settings", orgsListedByName},
	{"created tokens are listed oldest first and read back as written", createAndList},
	{"a missing org or token is ErrNotFound", notFound},
	{"concurrent creates on two replicas stop exactly at the limit", limitUnderConcurrency},
	{"a taken label is ErrConflict, also under concurrency", labelUniqueness},
	{"a revoke is stored, audited and in the feed", revokeIsFed},
	{"deactivating and reactivating round-trips", deactivate},
	{"a delete frees a slot and keeps the audit trail", deleteFreesSlot},
	{"an unchanged or refused update writes nothing", updateWritesNothing},
	{"audit filters and pages newest first", auditFiltersAndPages},
	{"the feed cursor only grows and survives a reopen", feedCursor},
	{"a feed poller never misses a change made concurrently on two replicas", feedUnderConcurrency},
	{"introspection finds a token by hash until it is deleted", byHash},
	{"last use is written at most once per gap", lastUsed},
	{"the audit records the authenticated actor and, apart, whom it acts for", auditActors},
	{"a delete its check refuses changes nothing", refusedDelete},
}

func orgsCreatedThenUpdated(t *testing.T, open func(t *testing.T) store.Store) {
	a, b := open(t), open(t)
	ctx := context.Background()
	// Two replicas creating one org at once: one creates, one updates.
	var wg sync.WaitGroup
	createdBy := make([]bool, 2)
	errs := make([]error, 2)
	for i, st := range []store.Store{a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, createdBy[i], errs[i] = st.PutOrg(ctx, "acme", func(o store.Org, _ bool) (store.Org, error) { return o, nil }, ev(""))
		}()
	}
	wg.Wait()
	if errs[0] != nil || errs[1] != nil || createdBy[0] == createdBy[1] {
		t.Fatalf("concurrent PutOrg: created %v, errors %v; want one created and no error", createdBy, errs)
	}
	o, created, err := a.PutOrg(ctx, "acme", func(o store.Org, exists bool) (store.Org, error) {
		if !exists {
			t.Errorf("apply saw exists=false for a stored org")
		}
		o.MaxTokens, o.MaxExpiryDays, o.DefaultExpiryDays, o.AllowNeverExpires = 7, 30, 14, true
		return o, nil
	}, evAt("", T0.Add(time.Hour)))
	if err != nil || created {
		t.Fatalf("PutOrg update = created %v, %v; want an update", created, err)
	}
	got, err := b.GetOrg(ctx, "acme")
	if err != nil || !reflect.DeepEqual(got, o) {
		t.Errorf("GetOrg = %+v, %v; want %+v", got, err, o)
	}
	if got.MaxTokens != 7 || got.MaxExpiryDays != 30 || got.DefaultExpiryDays != 14 || !got.AllowNeverExpires {
		t.Errorf("GetOrg = %+v; want every setting as updated", got)
	}
	if want := T0.Add(time.Hour); !got.UpdatedAt.Equal(want) || !got.CreatedAt.Equal(T0) {
		t.Errorf("created %v updated %v, want %v and %v", got.CreatedAt, got.UpdatedAt, T0, want)
	}
	entries, _, err := a.Audit(ctx, store.AuditQuery{Org: "acme"})
	if err != nil || len(entries) != 3 || entries[2].Action != store.ActionOrgCreated || entries[0].Action != store.ActionOrgUpdated {
		t.Errorf("audit = %+v, %v; want created, updated, updated", entries, err)
	}
}

func createAndList(t *testing.T, open func(t *testing.T) store.Store) {
	st := open(t)
	ctx := context.Background()
	PutOrg(t, st, "acme", 10)
	exp := T0.Add(24*time.Hour + 123456789) // sub-millisecond part is dropped
	tok, err := st.CreateToken(ctx, "acme", []byte("h1"), func(o store.Org) (store.Token, error) {
		if o.MaxTokens != 10 {
			t.Errorf("build saw max_tokens %d, want 10", o.MaxTokens)
		}
		return store.Token{ID: "tok_b", Label: "ci", Scopes: []string{"repository:acme/a:pull", "repository:acme/b:push"}, CreatedAt: T0, CreatedBy: "alice", ExpiresAt: &exp, Active: true}, nil
	}, ev(store.ActionTokenCreated))
	if err != nil {
		t.Fatalf("CreateToken: %v", err)
	}
	second := mustCreate(t, st, "acme", "tok_a")
	got, err := st.GetToken(ctx, "acme", "tok_b")
	if err != nil || !reflect.DeepEqual(got, tok) {
		t.Errorf("GetToken = %+v, %v\nwant what CreateToken returned: %+v", got, err, tok)
	}
	list, err := st.ListTokens(ctx, "acme")
	if err != nil {
		t.Fatalf("ListTokens: %v", err)
	}
	// Equal creation times order by id.
	if len(list) != 2 || list[0].ID != second.ID || list[1].ID != tok.ID {
		t.Errorf("ListTokens = %+v, want tok_a then tok_b", list)
	}
	PutOrg(t, st, "empty", 1)
	if list, err := st.ListTokens(ctx, "empty"); err != nil || list == nil || len(list) != 0 {
		t.Errorf("ListTokens(empty) = %#v, %v; want an empty non-nil list", list, err)
	}
}

func notFound(t *testing.T, open func(t *testing.T) store.Store) {
	st := open(t)
	ctx := context.Background()
	PutOrg(t, st, "acme", 10)
	noop := func(cur store.Token, _ store.Org) (store.Token, error) { return cur, nil }
	calls := map[string]func() error{
		"GetOrg":      func() error { _, err := st.GetOrg(ctx, "nope"); return err },
		"ListTokens":  func() error { _, err := st.ListTokens(ctx, "nope"); return err },
		"CreateToken": func() error { _, err := Create(st, "nope", "x"); return err },
		"GetToken":    func() error { _, err := st.GetToken(ctx, "acme", "nope"); return err },
		"UpdateToken": func() error {
			_, _, err := st.UpdateToken(ctx, "acme", "nope", noop, ev(store.ActionTokenUpdated))
			return err
		},
		"UpdateToken no org": func() error {
			_, _, err := st.UpdateToken(ctx, "nope", "x", noop, ev(store.ActionTokenUpdated))
			return err
		},
		"DeleteToken": func() error {
			_, err := st.DeleteToken(ctx, "acme", "nope", nil, ev(store.ActionTokenDeleted))
			return err
		},
		"TokenByHash": func() error { _, err := st.TokenByHash(ctx, []byte("nope")); return err },
	}
	for name, call := range calls {
		if err := call(); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("%s = %v, want ErrNotFound", name, err)
		}
	}
	mustCreate(t, st, "acme", "a")
	PutOrg(t, st, "other", 10)
	if _, err := st.GetToken(ctx, "other", "a"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetToken of another org's token = %v, want ErrNotFound", err)
	}
}

func limitUnderConcurrency(t *testing.T, open func(t *testing.T) store.Store) {
	replicas := []store.Store{open(t), open(t)}
	PutOrg(t, replicas[0], "acme", 5)
	const n = 20
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		ok   int
		errs []error
	)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := Create(replicas[i%2], "acme", fmt.Sprintf("t%02d", i))
			mu.Lock()
			defer mu.Unlock()
			if err == nil {
				ok++
			} else {
				errs = append(errs, err)
			}
		}()
	}
	wg.Wait()
	if ok != 5 {
		t.Errorf("%d creates succeeded, want 5", ok)
	}
	for _, err := range errs {
		var le *store.LimitError
		if !errors.As(err, &le) || !errors.Is(err, store.ErrLimit) || le.Count != 5 || le.Max != 5 || le.Org != "acme" {
			t.Errorf("refused create: %v, want a LimitError of 5 of 5", err)
		}
	}
	if list, _ := replicas[1].ListTokens(context.Background(), "acme"); len(list) != 5 {
		t.Errorf("%d tokens stored, want 5", len(list))
	}
}

func labelUniqueness(t *testing.T, open func(t *testing.T) store.Store) {
	replicas := []store.Store{open(t), open(t)}
	ctx := context.Background()
	PutOrg(t, replicas[0], "acme", 100)
	PutOrg(t, replicas[0], "other", 100)
	mustCreate(t, replicas[0], "acme", "a")
	if _, err := createLabelled(replicas[1], "acme", "b", "a"); !errors.Is(err, store.ErrConflict) {
		t.Errorf("create with a taken label = %v, want ErrConflict", err)
	}
	if _, err := createLabelled(replicas[1], "other", "b", "a"); err != nil {
		t.Errorf("the same label in another org = %v, want success", err)
	}
	const n = 10
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = createLabelled(replicas[i%2], "acme", fmt.Sprintf("c%d", i), "shared")
		}()
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case !errors.Is(err, store.ErrConflict):
			t.Errorf("concurrent create with one label: %v, want ErrConflict", err)
		}
	}
	if ok != 1 {
		t.Errorf("%d concurrent creates with one label succeeded, want 1", ok)
	}
	_, _, err := replicas[0].UpdateToken(ctx, "acme", "a", func(cur store.Token, _ store.Org) (store.Token, error) {
		cur.Label = "shared"
		return cur, nil
	}, ev(store.ActionTokenUpdated))
	if !errors.Is(err, store.ErrConflict) {
		t.Errorf("relabelling onto a taken label = %v, want ErrConflict", err)
	}
}

func revokeIsFed(t *testing.T, open func(t *testing.T) store.Store) {
	a, b := open(t), open(t)
	ctx := context.Background()
	PutOrg(t, a, "acme", 10)
	mustCreate(t, a, "acme", "a")
	cursor, _, err := b.Changes(ctx, 0, 100)
	if err != nil || cursor <= 0 {
		t.Fatalf("Changes(0) = %d, %v; want a positive cursor", cursor, err)
	}
	at := T0.Add(time.Minute)
	after, err := revoke(a, "acme", "a", at)
	if err != nil {
		t.Fatalf("revoke: %v", err)
	}
	got, err := b.GetToken(ctx, "acme", "a")
	if err != nil || got.RevokedAt == nil || !got.RevokedAt.Equal(at) || got.Active || !reflect.DeepEqual(got, after) {
		t.Errorf("after revoke GetToken = %+v, %v; want %+v", got, err, after)
	}
	next, ids, err := b.Changes(ctx, cursor, 100)
	if err != nil || next <= cursor || !reflect.DeepEqual(ids, []string{"a"}) {
		t.Errorf("Changes(%d) = %d %v %v; want a later cursor and [a]", cursor, next, ids, err)
	}
	entries, _, err := b.Audit(ctx, store.AuditQuery{Org: "acme", Action: store.ActionTokenRevoked})
	if err != nil || len(entries) != 1 || entries[0].TokenID != "a" || string(entries[0].Before) == "null" || string(entries[0].After) == "null" {
		t.Fatalf("revoke audit = %+v, %v; want one entry with both snapshots", entries, err)
	}
	var before, afterSnap store.Token
	if err := json.Unmarshal(entries[0].Before, &before); err != nil || before.RevokedAt != nil || !before.Active {
		t.Errorf("audit before = %s, %v; want the active token", entries[0].Before, err)
	}
	if err := json.Unmarshal(entries[0].After, &afterSnap); err != nil || !reflect.DeepEqual(afterSnap, after) {
		t.Errorf("audit after = %s, %v; want the revoked token %+v", entries[0].After, err, after)
	}
	if e := entries[0]; e.Actor != "test" || e.SourceIP != "127.0.0.1" || !e.At.Equal(at) || e.Org != "acme" || e.ID <= 0 {
		t.Errorf("revoke audit entry = %+v; want actor, source, time, org and an id as recorded", e)
	}
}

func deactivate(t *testing.T, open func(t *testing.T) store.Store) {
	st := open(t)
	ctx := context.Background()
	PutOrg(t, st, "acme", 10)
	mustCreate(t, st, "acme", "a")
	for _, active := range []bool{false, true} {
		action := store.ActionTokenActivated
		if !active {
			action = store.ActionTokenDeactivated
		}
		before, after, err := st.UpdateToken(ctx, "acme", "a", func(cur store.Token, _ store.Org) (store.Token, error) {
			cur.Active = active
			return cur, nil
		}, ev(action))
		if err != nil || before.Active == active || after.Active != active {
			t.Errorf("%s: before %v after %v, %v", action, before.Active, after.Active, err)
		}
		if got, _ := st.GetToken(ctx, "acme", "a"); got.Active != active {
			t.Errorf("%s: stored active = %v, want %v", action, got.Active, active)
		}
		if entries, _, _ := st.Audit(ctx, store.AuditQuery{Org: "acme", Action: action}); len(entries) != 1 {
			t.Errorf("%s: %d audit entries, want 1", action, len(entries))
		}
	}
}

func deleteFreesSlot(t *testing.T, open func(t *testing.T) store.Store) {
	st := open(t)
	ctx := context.Background()
	PutOrg(t, st, "acme", 1)
	mustCreate(t, st, "acme", "a")
	if _, err := revoke(st, "acme", "a", T0); err != nil {
		t.Fatalf("revoke: %v", err)
	}
	if _, err := Create(st, "acme", "b"); !errors.Is(err, store.ErrLimit) {
		t.Fatalf("create beside a revoked token = %v, want ErrLimit (revoked tokens count)", err)
	}
	gone, err := st.DeleteToken(ctx, "acme", "a", nil, ev(store.ActionTokenDeleted))
	if err != nil || gone.ID != "a" {
		t.Fatalf("DeleteToken = %+v, %v", gone, err)
	}
	if _, err := st.GetToken(ctx, "acme", "a"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetToken after delete = %v, want ErrNotFound", err)
	}
	if _, err := st.DeleteToken(ctx, "acme", "a", nil, ev(store.ActionTokenDeleted)); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("second delete = %v, want ErrNotFound", err)
	}
	// The label is free again too.
	if _, err := createLabelled(st, "acme", "b", "a"); err != nil {
		t.Errorf("create after delete = %v, want success", err)
	}
	entries, _, _ := st.Audit(ctx, store.AuditQuery{Org: "acme", Action: store.ActionTokenDeleted})
	if len(entries) != 1 || entries[0].TokenID != "a" || string(entries[0].After) != "null" {
		t.Errorf("delete audit = %+v, want one entry for a with after null", entries)
	}
}

func updateWritesNothing(t *testing.T, open func(t *testing.T) store.Store) {
	st := open(t)
	ctx := context.Background()
	PutOrg(t, st, "acme", 10)
	mustCreate(t, st, "acme", "a")
	mustCreate(t, st, "acme", "b")
	cursor, _, _ := st.Changes(ctx, 0, 100)
	before, _, _ := st.Audit(ctx, store.AuditQuery{Org: "acme"})
	updates := map[string]func(cur store.Token, _ store.Org) (store.Token, error){
		"unchanged": func(cur store.Token, _ store.Org) (store.Token, error) { return cur, nil },
		"refused by apply": func(cur store.Token, _ store.Org) (store.Token, error) {
			return cur, store.Invalidf("no")
		},
		"onto a taken label": func(cur store.Token, _ store.Org) (store.Token, error) {
			cur.Label = "b"
			return cur, nil
		},
		"of identity only": func(cur store.Token, _ store.Org) (store.Token, error) {
			cur.ID, cur.CreatedBy = "forged", "mallory"
			return cur, nil
		},
	}
	for name, apply := range updates {
		_, _, _ = st.UpdateToken(ctx, "acme", "a", apply, ev(store.ActionTokenUpdated))
		after, _, _ := st.Audit(ctx, store.AuditQuery{Org: "acme"})
		next, ids, _ := st.Changes(ctx, cursor, 100)
		if len(after) != len(before) || next != cursor || len(ids) != 0 {
			t.Errorf("update %s: audit %d→%d entries, feed %d→%d; want nothing written", name, len(before), len(after), cursor, next)
		}
	}
	if got, _ := st.GetToken(ctx, "acme", "a"); got.CreatedBy != "test" {
		t.Errorf("created_by = %q after an update tried to change it, want test", got.CreatedBy)
	}
}

func auditFiltersAndPages(t *testing.T, open func(t *testing.T) store.Store) {
	st := open(t)
	ctx := context.Background()
	PutOrg(t, st, "acme", 100)
	PutOrg(t, st, "other", 100)
	for i := range 7 {
		_, err := st.CreateToken(ctx, "acme", []byte(fmt.Sprintf("h%d", i)), func(store.Org) (store.Token, error) {
			return store.Token{ID: fmt.Sprintf("t%d", i), Label: fmt.Sprintf("l%d", i), CreatedAt: T0, Active: true}, nil
		}, evAt(store.ActionTokenCreated, T0.Add(time.Duration(i)*time.Hour)))
		if err != nil {
			t.Fatalf("CreateToken %d: %v", i, err)
		}
	}
	mustCreate(t, st, "other", "x")
	tests := []struct {
		name string
		q    store.AuditQuery
		want []string // token ids, newest first; "" is the org entry
	}{
		{"all entries of the org", store.AuditQuery{Org: "acme"}, []string{"t6", "t5", "t4", "t3", "t2", "t1", "t0", ""}},
		{"by action", store.AuditQuery{Org: "acme", Action: store.ActionOrgCreated}, []string{""}},
		{"since inclusive, until exclusive", store.AuditQuery{Org: "acme", Since: T0.Add(2 * time.Hour), Until: T0.Add(4 * time.Hour)}, []string{"t3", "t2"}},
		{"another org", store.AuditQuery{Org: "other", Action: store.ActionTokenCreated}, []string{"x"}},
	}
	for _, tc := range tests {
		entries, _, err := st.Audit(ctx, tc.q)
		var got []string
		for _, e := range entries {
			got = append(got, e.TokenID)
		}
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: got %v, %v; want %v", tc.name, got, err, tc.want)
		}
	}
	var (
		pages [][]string
		q     = store.AuditQuery{Org: "acme", Action: store.ActionTokenCreated, Limit: 3}
	)
	for range 10 {
		entries, next, err := st.Audit(ctx, q)
		if err != nil {
			t.Fatalf("Audit page: %v", err)
		}
		var page []string
		for _, e := range entries {
			page = append(page, e.TokenID)
			if e.Org != "acme" || e.Actor != "test" || e.SourceIP != "127.0.0.1" {
				t.Errorf("entry %+v: want org acme, actor test, source 127.0.0.1", e)
			}
		}
		pages = append(pages, page)
		if next == 0 {
			break
		}
		q.Before = next
	}
	if want := [][]string{{"t6", "t5", "t4"}, {"t3", "t2", "t1"}, {"t0"}}; !reflect.DeepEqual(pages, want) {
		t.Errorf("pages = %v, want %v", pages, want)
	}
	entries, _, _ := st.Audit(ctx, store.AuditQuery{Org: "acme", Action: store.ActionTokenCreated, Limit: 1})
	if len(entries) != 1 || !entries[0].At.Equal(T0.Add(6*time.Hour)) || string(entries[0].Before) != "null" {
		t.Errorf("newest created entry = %+v, want at T0+6h with before null", entries)
	}
}

func feedCursor(t *testing.T, open func(t *testing.T) store.Store) {
	st := open(t)
	ctx := context.Background()
	PutOrg(t, st, "acme", 10)
	first, ids, err := st.Changes(ctx, 0, 100)
	if err != nil || first <= 0 || len(ids) != 0 {
		t.Fatalf("Changes(0) on a fresh database = %d %v %v; want a positive cursor, no ids", first, ids, err)
	}
	mustCreate(t, st, "acme", "a")
	mustCreate(t, st, "acme", "b")
	cursor := first
	for i, id := range []string{"a", "b", "a"} {
		if _, _, err := st.UpdateToken(ctx, "acme", id, func(cur store.Token, _ store.Org) (store.Token, error) {
			cur.Description = fmt.Sprintf("v%d", i)
			return cur, nil
		}, ev(store.ActionTokenUpdated)); err != nil {
			t.Fatalf("UpdateToken: %v", err)
		}
	}
	next, ids, err := st.Changes(ctx, cursor, 100)
	if err != nil || next <= cursor || !reflect.DeepEqual(ids, []string{"a", "b"}) {
		t.Errorf("Changes(%d) = %d %v %v; want a later cursor and [a b] once each", cursor, next, ids, err)
	}
	paged, ids, _ := st.Changes(ctx, cursor, 1)
	if paged <= cursor || paged >= next || !reflect.DeepEqual(ids, []string{"a"}) {
		t.Errorf("Changes(%d, limit 1) = %d %v; want a cursor between %d and %d and [a]", cursor, paged, ids, cursor, next)
	}
	if future, ids, _ := st.Changes(ctx, next+1000, 10); future != next || len(ids) != 0 {
		t.Errorf("Changes(future) = %d %v; want %d and no ids", future, ids, next)
	}
	if err := st.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	reopened := open(t)
	if again, _, err := reopened.Changes(ctx, 0, 100); err != nil || again != next {
		t.Errorf("cursor after reopen = %d, %v; want %d", again, err, next)
	}
	if _, err := revoke(reopened, "acme", "b", T0); err != nil {
		t.Fatalf("revoke after reopen: %v", err)
	}
	if later, ids, _ := reopened.Changes(ctx, next, 100); later <= next || !reflect.DeepEqual(ids, []string{"b"}) {
		t.Errorf("Changes(%d) after reopen = %d %v; want a later cursor and [b]", next, later, ids)
	}
}

func feedUnderConcurrency(t *testing.T, open func(t *testing.T) store.Store) {
	replicas := []store.Store{open(t), open(t)}
	ctx := context.Background()
	PutOrg(t, replicas[0], "acme", 100)
	const n = 24
	for i := range n {
		mustCreate(t, replicas[0], "acme", fmt.Sprintf("t%02d", i))
	}
	cursor, _, _ := replicas[1].Changes(ctx, 0, 100)
	seen := map[string]bool{}
	done := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := revoke(replicas[i%2], "acme", fmt.Sprintf("t%02d", i), T0); err != nil {
				t.Errorf("revoke t%02d: %v", i, err)
			}
		}()
	}
	go func() { wg.Wait(); close(done) }()
	poll := func() {
		next, ids, err := replicas[1].Changes(ctx, cursor, 5)
		if err != nil {
			t.Errorf("Changes: %v", err)
			return
		}
		if next < cursor {
			t.Errorf("cursor went back from %d to %d", cursor, next)
		}
		cursor = next
		for _, id := range ids {
			seen[id] = true
		}
	}
	// Poll while the writers run, as a gateway would, then drain.
	for polling := true; polling; {
		select {
		case <-done:
			polling = false
		default:
			poll()
		}
	}
	for range n {
		poll()
	}
	if len(seen) != n {
		t.Errorf("the poller saw %d of %d revoked tokens", len(seen), n)
	}
}

func byHash(t *testing.T, open func(t *testing.T) store.Store) {
	a, b := open(t), open(t)
	ctx := context.Background()
	PutOrg(t, a, "acme", 10)
	tok := mustCreate(t, a, "acme", "a")
	got, err := b.TokenByHash(ctx, []byte("hash-a"))
	if err != nil || !reflect.DeepEqual(got, tok) {
		t.Errorf("TokenByHash = %+v, %v; want %+v", got, err, tok)
	}
	if _, err := a.DeleteToken(ctx, "acme", "a", nil, ev(store.ActionTokenDeleted)); err != nil {
		t.Fatalf("DeleteToken: %v", err)
	}
	if _, err := b.TokenByHash(ctx, []byte("hash-a")); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("TokenByHash after delete = %v, want ErrNotFound", err)
	}
}

func lastUsed(t *testing.T, open func(t *testing.T) store.Store) {
	st := open(t)
	ctx := context.Background()
	PutOrg(t, st, "acme", 10)
	mustCreate(t, st, "acme", "a")
	mustCreate(t, st, "acme", "b")
	if err := st.TouchLastUsed(ctx, nil, T0, time.Minute); err != nil {
		t.Errorf("TouchLastUsed(no ids) = %v", err)
	}
	steps := []struct {
		at   time.Duration
		want time.Duration
	}{{0, 0}, {30 * time.Second, 0}, {61 * time.Second, 61 * time.Second}}
	for _, s := range steps {
		if err := st.TouchLastUsed(ctx, []string{"a", "b", "gone"}, T0.Add(s.at), time.Minute); err != nil {
			t.Fatalf("TouchLastUsed at +%v: %v", s.at, err)
		}
		for _, id := range []string{"a", "b"} {
			got, _ := st.GetToken(ctx, "acme", id)
			if want := T0.Add(s.want); got.LastUsedAt == nil || !got.LastUsedAt.Equal(want) {
				t.Errorf("after a use at +%v, last_used_at of %s = %v, want %v", s.at, id, got.LastUsedAt, want)
			}
		}
	}
	cursor, _, _ := st.Changes(ctx, 0, 10)
	entries, _, _ := st.Audit(ctx, store.AuditQuery{Org: "acme"})
	if len(entries) != 3 || cursor != 1 {
		t.Errorf("last use wrote %d audit entries and moved the feed to %d; want 3 (org, two creates) and 1", len(entries), cursor)
	}
}

func orgsListedByName(t *testing.T, open func(t *testing.T) store.Store) {
	st := open(t)
	if got, err := st.ListOrgs(context.Background()); err != nil || len(got) != 0 {
		t.Fatalf("an empty store lists %v, %v; want no orgs", got, err)
	}
	PutOrg(t, st, "globex", 5)
	PutOrg(t, st, "acme", 7)
	got, err := st.ListOrgs(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Name != "acme" || got[0].MaxTokens != 7 || got[1].Name != "globex" || got[1].MaxTokens != 5 {
		t.Errorf("got %+v, want acme (7) then globex (5)", got)
	}
}
