package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/oatgate/oatgate/cmd/oatstore/federation"
	"github.com/oatgate/oatgate/cmd/oatstore/store"
)

// The behaviours federation (issue 14) adds to every backend.
func init() {
	cases = append(cases,
		behaviour{"trust policies are created, replaced, listed by org and by issuer, and audited", policiesStored},
		behaviour{"a federated token is issued once per hash, also by two replicas at once", federatedIssuedOnce},
		behaviour{"federated tokens are bounded apart from max_tokens, counting only active ones", federatedBound},
		behaviour{"deleting a trust policy revokes its tokens, in the feed and the audit", policyDeleteRevokes},
		behaviour{"no token is issued under a deleted policy", noIssueUnderDeletedPolicy},
		behaviour{"the purge deletes federated tokens long expired or revoked and keeps their audit", purgeFederated},
		behaviour{"a policy deleted on one replica while another issues under it leaves no live token of it", deleteRacesIssue},
		behaviour{"one ID token gets at most MaxExchangesPerIDToken federated tokens, until its count is purged", idTokenExchangesBounded},
	)
}

// Issuer is the issuer of the suite's trust policies.
const Issuer = "https://token.actions.githubusercontent.com"

func rule(name string, scopes ...string) federation.Policy {
	return federation.Policy{
		Name: name, Issuer: Issuer, Audience: "oatgate",
		Claims: map[string]string{"repository_owner": "acme", "sub": "repo:acme/app:*"},
		Scopes: scopes, TTL: federation.Duration(15 * time.Minute),
	}
}

func putPolicy(t *testing.T, st store.Store, org string, r federation.Policy, at time.Time) (store.Policy, bool) {
	t.Helper()
	p, created, err := st.PutPolicy(context.Background(), org, r.Name, func(store.Policy, bool) (store.Policy, error) {
		return store.PolicyOf(org, r), nil
	}, evAt("", at))
	if err != nil {
		t.Fatalf("PutPolicy(%s/%s): %v", org, r.Name, err)
	}
	return p, created
}

// issue issues the federated token of hash under policy, expiring at exp,
// for an ID token of its own.
func issue(st store.Store, org, policy, hash string, exp time.Time) (store.Token, bool, error) {
	return issueFor(st, org, policy, hash, store.IDToken{Hash: []byte("id token of " + hash), Expiry: exp}, exp)
}

// issueFor issues the federated token of hash for the ID token idt.
func issueFor(st store.Store, org, policy, hash string, idt store.IDToken, exp time.Time) (store.Token, bool, error) {
	return st.IssueFederated(context.Background(), org, policy, []byte(hash), idt, func(o store.Org, p store.Policy) (store.Token, error) {
		id := "tok_" + hash
		return store.Token{ID: id, Label: policy + "/" + hash, Scopes: p.Scopes, CreatedAt: T0, CreatedBy: "federation:" + policy, ExpiresAt: &exp, Active: true, Subject: "repo:acme/app:ref:refs/heads/main"}, nil
	}, map[string]string{"repository_owner": "acme"}, ev(store.ActionTokenExchanged))
}

func mustIssue(t *testing.T, st store.Store, org, policy, hash string, exp time.Time) store.Token {
	t.Helper()
	tok, _, err := issue(st, org, policy, hash, exp)
	if err != nil {
		t.Fatalf("IssueFederated(%s): %v", hash, err)
	}
	return tok
}

func policiesStored(t *testing.T, open func(t *testing.T) store.Store) {
	st := open(t)
	ctx := context.Background()
	PutOrg(t, st, "acme", 10)
	PutOrg(t, st, "globex", 10)
	first, created := putPolicy(t, st, "acme", rule("gha", "repository:acme/app:pull"), T0)
	if !created || !first.CreatedAt.Equal(T0) || first.CreatedBy != "test" {
		t.Errorf("first PutPolicy = %+v, created %v; want created at T0 by test", first, created)
	}
	later := T0.Add(time.Hour)
	second, created := putPolicy(t, st, "acme", rule("gha", "repository:acme/app:pull,push"), later)
	if created || !second.CreatedAt.Equal(T0) || !second.UpdatedAt.Equal(later) {
		t.Errorf("second PutPolicy = %+v, created %v; want an update keeping its creation", second, created)
	}
	putPolicy(t, st, "acme", rule("another"), T0)
	putPolicy(t, st, "globex", rule("gha", "repository:globex/app:pull"), T0)
	other := rule("gitlab")
	other.Issuer = "https://gitlab.com"
	putPolicy(t, st, "globex", other, T0)

	got, err := st.GetPolicy(ctx, "acme", "gha")
	if err != nil || !reflect.DeepEqual(got, second) {
		t.Errorf("GetPolicy = %+v, %v;\nwant what PutPolicy returned: %+v", got, err, second)
	}
	list, err := st.ListPolicies(ctx, "acme")
	if err != nil || len(list) != 2 || list[0].Name != "another" || list[1].Name != "gha" {
		t.Errorf("ListPolicies(acme) = %+v, %v; want another, gha", list, err)
	}
	byIssuer, err := st.PoliciesByIssuer(ctx, Issuer)
	var names []string
	for _, p := range byIssuer {
		names = append(names, p.Org+"/"+p.Name)
	}
	if err != nil || !slices.Equal(names, []string{"acme/another", "acme/gha", "globex/gha"}) {
		t.Errorf("PoliciesByIssuer = %v, %v; want acme/another, acme/gha, globex/gha", names, err)
	}
	if _, err := st.ListPolicies(ctx, "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("ListPolicies(nope) = %v, want ErrNotFound", err)
	}
	if _, err := st.GetPolicy(ctx, "acme", "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetPolicy(nope) = %v, want ErrNotFound", err)
	}
	if _, _, err := st.PutPolicy(ctx, "nope", "gha", func(store.Policy, bool) (store.Policy, error) {
		return store.PolicyOf("nope", rule("gha")), nil
	}, ev("")); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("PutPolicy on a missing org = %v, want ErrNotFound", err)
	}
	entries, _, err := st.Audit(ctx, store.AuditQuery{Org: "acme"})
	var actions []string
	for _, e := range entries {
		actions = append(actions, e.Action)
	}
	if err != nil || !slices.Equal(actions[:3], []string{store.ActionPolicyCreated, store.ActionPolicyUpdated, store.ActionPolicyCreated}) {
		t.Errorf("audit actions = %v, %v; want created (another), updated (gha), created (gha) first", actions, err)
	}
}

func federatedIssuedOnce(t *testing.T, open func(t *testing.T) store.Store) {
	a, b := open(t), open(t)
	ctx := context.Background()
	PutOrg(t, a, "acme", 10)
	putPolicy(t, a, "acme", rule("gha", "repository:acme/app:pull"), T0)
	const n = 8
	var wg sync.WaitGroup
	toks := make([]store.Token, n)
	existing := make([]bool, n)
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			st := []store.Store{a, b}[i%2]
			// Each caller builds its own id, as two replicas would.
			toks[i], existing[i], errs[i] = st.IssueFederated(ctx, "acme", "gha", []byte("same-hash"), store.IDToken{Hash: []byte("same id token"), Expiry: T0.Add(time.Hour)}, func(o store.Org, p store.Policy) (store.Token, error) {
				exp := T0.Add(15 * time.Minute)
				return store.Token{ID: fmt.Sprintf("tok_%d", i), Label: fmt.Sprintf("gha/%d", i), Scopes: p.Scopes, CreatedAt: T0, CreatedBy: "federation:gha", ExpiresAt: &exp, Active: true, Subject: "repo:acme/app:ref:refs/heads/main"}, nil
			}, map[string]string{"repository_owner": "acme"}, ev(store.ActionTokenExchanged))
		}()
	}
	wg.Wait()
	fresh := 0
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("IssueFederated %d: %v", i, errs[i])
		}
		if toks[i].ID != toks[0].ID {
			t.Errorf("issue %d got token %s, issue 0 got %s; want one token for one hash", i, toks[i].ID, toks[0].ID)
		}
		if !existing[i] {
			fresh++
		}
	}
	if fresh != 1 {
		t.Errorf("%d issues said they created the token, want 1", fresh)
	}
	got, err := b.TokenByHash(ctx, []byte("same-hash"))
	if err != nil || got.Kind != store.KindFederated || got.Policy != "gha" || got.Subject != "repo:acme/app:ref:refs/heads/main" || got.ID != toks[0].ID {
		t.Errorf("TokenByHash = %+v, %v; want the federated token with its policy and subject", got, err)
	}
	entries, _, err := a.Audit(ctx, store.AuditQuery{Org: "acme", Action: store.ActionTokenExchanged})
	if err != nil || len(entries) != 1 {
		t.Fatalf("token.exchanged entries = %+v, %v; want exactly one", entries, err)
	}
	var snap store.Exchanged
	if err := json.Unmarshal(entries[0].After, &snap); err != nil || snap.MatchedClaims["repository_owner"] != "acme" || snap.Policy != "gha" {
		t.Errorf("exchange audit = %s, %v; want the token with its matched claims", entries[0].After, err)
	}
}

func federatedBound(t *testing.T, open func(t *testing.T) store.Store) {
	st := open(t)
	ctx := context.Background()
	_, _, err := st.PutOrg(ctx, "acme", func(o store.Org, _ bool) (store.Org, error) {
		if o.MaxFederatedTokens != store.DefaultMaxFederatedTokens {
			t.Errorf("a new org's max_federated_tokens = %d, want %d", o.MaxFederatedTokens, store.DefaultMaxFederatedTokens)
		}
		o.MaxTokens, o.MaxFederatedTokens = 1, 2
		return o, nil
	}, ev(""))
	if err != nil {
		t.Fatal(err)
	}
	putPolicy(t, st, "acme", rule("gha", "repository:acme/app:pull"), T0)
	mustCreate(t, st, "acme", "ordinary")
	live := T0.Add(15 * time.Minute)
	// An expired one does not count.
	mustIssue(t, st, "acme", "gha", "f0", T0.Add(-time.Minute))
	mustIssue(t, st, "acme", "gha", "f1", live)
	mustIssue(t, st, "acme", "gha", "f2", live)
	_, _, err = issue(st, "acme", "gha", "f3", live)
	var tooMany *store.TooManyError
	if !errors.Is(err, store.ErrTooMany) || !errors.As(err, &tooMany) || tooMany.Active != 2 || tooMany.Max != 2 {
		t.Fatalf("a third active federated token = %v, want a TooManyError of 2 of 2", err)
	}
	if _, err := Create(st, "acme", "second-ordinary"); !errors.Is(err, store.ErrLimit) {
		t.Errorf("a second org access token = %v, want ErrLimit: max_tokens 1 counts only the ordinary one", err)
	}
	// The same hash answers its token without counting at all.
	if _, existing, err := issue(st, "acme", "gha", "f1", live); err != nil || !existing {
		t.Errorf("the same hash at the bound = existing %v, %v; want its stored token", existing, err)
	}
	if _, err := revoke(st, "acme", "tok_f2", T0); err != nil {
		t.Fatal(err)
	}
	if _, _, err := issue(st, "acme", "gha", "f3", live); err != nil {
		t.Errorf("after a revoke freed a place: %v", err)
	}
}

func policyDeleteRevokes(t *testing.T, open func(t *testing.T) store.Store) {
	a, b := open(t), open(t)
	ctx := context.Background()
	PutOrg(t, a, "acme", 10)
	putPolicy(t, a, "acme", rule("gha", "repository:acme/app:pull"), T0)
	putPolicy(t, a, "acme", rule("keep", "repository:acme/app:pull"), T0)
	live := T0.Add(15 * time.Minute)
	x, y := mustIssue(t, a, "acme", "gha", "x", live), mustIssue(t, a, "acme", "gha", "y", live)
	kept := mustIssue(t, a, "acme", "keep", "z", live)
	cursor, _, err := b.Changes(ctx, 0, 100)
	if err != nil {
		t.Fatal(err)
	}

	if _, _, err := b.DeletePolicy(ctx, "acme", "gha", func(store.Policy) error { return errRefused }, ev(store.ActionPolicyDeleted)); !errors.Is(err, errRefused) {
		t.Fatalf("a refused DeletePolicy = %v, want the refusal", err)
	}
	if _, err := a.GetPolicy(ctx, "acme", "gha"); err != nil {
		t.Fatalf("after a refused delete GetPolicy = %v, want the policy", err)
	}

	at := T0.Add(time.Minute)
	gone, revoked, err := b.DeletePolicy(ctx, "acme", "gha", nil, evAt(store.ActionPolicyDeleted, at))
	if err != nil || gone.Name != "gha" || !slices.Equal(revoked, []string{x.ID, y.ID}) {
		t.Fatalf("DeletePolicy = %+v, %v, %v; want gha gone and %s, %s revoked", gone, revoked, err, x.ID, y.ID)
	}
	if _, err := a.GetPolicy(ctx, "acme", "gha"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetPolicy after delete = %v, want ErrNotFound", err)
	}
	for _, id := range revoked {
		tok, err := a.GetToken(ctx, "acme", id)
		if err != nil || tok.RevokedAt == nil || !tok.RevokedAt.Equal(at) || tok.Usable(at) {
			t.Errorf("token %s after delete = %+v, %v; want revoked at %v", id, tok, err, at)
		}
	}
	if tok, err := a.GetToken(ctx, "acme", kept.ID); err != nil || tok.RevokedAt != nil {
		t.Errorf("the other policy's token = %+v, %v; want it untouched", tok, err)
	}
	_, ids, err := a.Changes(ctx, cursor, 100)
	if err != nil || !slices.Equal(ids, revoked) {
		t.Errorf("feed after delete = %v, %v; want %v", ids, err, revoked)
	}
	revokes, _, err := a.Audit(ctx, store.AuditQuery{Org: "acme", Action: store.ActionTokenRevoked})
	if err != nil || len(revokes) != 2 {
		t.Errorf("token.revoked entries = %d, %v; want 2", len(revokes), err)
	}
	deletes, _, err := a.Audit(ctx, store.AuditQuery{Org: "acme", Action: store.ActionPolicyDeleted})
	if err != nil || len(deletes) != 1 || string(deletes[0].After) != "null" || string(deletes[0].Before) == "null" {
		t.Errorf("federation.deleted entries = %+v, %v; want one with the policy before", deletes, err)
	}
	if _, _, err := b.DeletePolicy(ctx, "acme", "gha", nil, ev(store.ActionPolicyDeleted)); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("deleting it again = %v, want ErrNotFound", err)
	}
}

func noIssueUnderDeletedPolicy(t *testing.T, open func(t *testing.T) store.Store) {
	st := open(t)
	PutOrg(t, st, "acme", 10)
	putPolicy(t, st, "acme", rule("gha", "repository:acme/app:pull"), T0)
	if _, _, err := st.DeletePolicy(context.Background(), "acme", "gha", nil, ev(store.ActionPolicyDeleted)); err != nil {
		t.Fatal(err)
	}
	if _, _, err := issue(st, "acme", "gha", "late", T0.Add(time.Hour)); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("issuing under a deleted policy = %v, want ErrNotFound", err)
	}
	if _, err := st.TokenByHash(context.Background(), []byte("late")); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a token was stored under the deleted policy: %v", err)
	}
}

func purgeFederated(t *testing.T, open func(t *testing.T) store.Store) {
	st := open(t)
	ctx := context.Background()
	PutOrg(t, st, "acme", 10)
	putPolicy(t, st, "acme", rule("gha", "repository:acme/app:pull"), T0)
	old := mustIssue(t, st, "acme", "gha", "old", T0.Add(15*time.Minute))
	fresh := mustIssue(t, st, "acme", "gha", "fresh", T0.Add(2*time.Hour))
	revoked := mustIssue(t, st, "acme", "gha", "revoked", T0.Add(2*time.Hour))
	if _, err := revoke(st, "acme", revoked.ID, T0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	ordinary := mustCreate(t, st, "acme", "ordinary")
	if _, _, err := st.UpdateToken(ctx, "acme", ordinary.ID, func(cur store.Token, _ store.Org) (store.Token, error) {
		exp := T0
		cur.ExpiresAt = &exp
		return cur, nil
	}, ev(store.ActionTokenUpdated)); err != nil {
		t.Fatal(err)
	}
	if n, err := st.PurgeFederated(ctx, T0); err != nil || n != 0 {
		t.Fatalf("PurgeFederated(T0) = %d, %v; want nothing to purge yet", n, err)
	}
	if n, err := st.PurgeFederated(ctx, T0.Add(time.Hour)); err != nil || n != 2 {
		t.Fatalf("PurgeFederated(T0+1h) = %d, %v; want the expired and the revoked one", n, err)
	}
	for _, gone := range []store.Token{old, revoked} {
		if _, err := st.GetToken(ctx, "acme", gone.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("%s after purge = %v, want ErrNotFound", gone.ID, err)
		}
	}
	for _, kept := range []store.Token{fresh, ordinary} {
		if _, err := st.GetToken(ctx, "acme", kept.ID); err != nil {
			t.Errorf("%s after purge = %v, want it kept", kept.ID, err)
		}
	}
	entries, _, err := st.Audit(ctx, store.AuditQuery{Org: "acme", Action: store.ActionTokenExchanged})
	if err != nil || len(entries) != 3 {
		t.Errorf("token.exchanged entries after purge = %d, %v; want all 3 kept", len(entries), err)
	}
}

func deleteRacesIssue(t *testing.T, open func(t *testing.T) store.Store) {
	a, b := open(t), open(t)
	ctx := context.Background()
	PutOrg(t, a, "acme", 10)
	putPolicy(t, a, "acme", rule("gha", "repository:acme/app:pull"), T0)
	const n = 40
	var wg sync.WaitGroup
	issued := make(chan string, n)
	for i := range n {
		wg.Go(func() {
			tok, _, err := issue(a, "acme", "gha", fmt.Sprintf("race-%d", i), T0.Add(time.Hour))
			switch {
			case err == nil:
				issued <- tok.ID
			case !errors.Is(err, store.ErrNotFound):
				t.Errorf("issue %d: %v, want a token or ErrNotFound", i, err)
			}
		})
		if i == n/2 {
			wg.Go(func() {
				if _, _, err := b.DeletePolicy(ctx, "acme", "gha", nil, ev(store.ActionPolicyDeleted)); err != nil {
					t.Errorf("DeletePolicy: %v", err)
				}
			})
		}
	}
	wg.Wait()
	close(issued)
	for id := range issued {
		tok, err := b.GetToken(ctx, "acme", id)
		if err != nil || tok.Usable(T0) {
			t.Errorf("token %s issued under the deleted policy = %+v, %v; want it revoked", id, tok, err)
		}
	}
	if _, err := a.GetPolicy(ctx, "acme", "gha"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetPolicy after the race = %v, want ErrNotFound", err)
	}
}

func idTokenExchangesBounded(t *testing.T, open func(t *testing.T) store.Store) {
	st := open(t)
	PutOrg(t, st, "acme", 10)
	PutOrg(t, st, "globex", 10)
	putPolicy(t, st, "acme", rule("gha", "repository:acme/app:pull"), T0)
	putPolicy(t, st, "globex", rule("gha", "repository:globex/app:pull"), T0)
	exp := T0.Add(15 * time.Minute)
	replayed := store.IDToken{Hash: []byte("one replayed ID token"), Expiry: T0.Add(10 * time.Minute)}
	// Its tokens, in two orgs, all count.
	for i := range store.MaxExchangesPerIDToken {
		org := []string{"acme", "globex"}[i%2]
		if _, _, err := issueFor(st, org, "gha", fmt.Sprintf("exchange-%d", i), replayed, exp); err != nil {
			t.Fatalf("exchange %d of %d: %v", i+1, store.MaxExchangesPerIDToken, err)
		}
	}
	t.Run("one more exchange of it is refused, in any org", func(t *testing.T) {
		for _, org := range []string{"acme", "globex"} {
			if _, _, err := issueFor(st, org, "gha", "one-more-"+org, replayed, exp); !errors.Is(err, store.ErrIDTokenSpent) {
				t.Errorf("exchange %d in %s = %v, want ErrIDTokenSpent", store.MaxExchangesPerIDToken+1, org, err)
			}
		}
	})
	t.Run("a token already issued for it is still answered", func(t *testing.T) {
		if tok, existing, err := issueFor(st, "acme", "gha", "exchange-0", replayed, exp); err != nil || !existing || tok.ID != "tok_exchange-0" {
			t.Errorf("the first exchange again = %+v, existing %v, %v; want its token", tok, existing, err)
		}
	})
	t.Run("another ID token is not affected", func(t *testing.T) {
		if _, _, err := issueFor(st, "acme", "gha", "other", store.IDToken{Hash: []byte("another ID token"), Expiry: exp}, exp); err != nil {
			t.Errorf("another ID token's exchange: %v", err)
		}
	})
	t.Run("the purge forgets it once it has expired", func(t *testing.T) {
		if _, err := st.PurgeFederated(context.Background(), T0.Add(5*time.Minute)); err != nil {
			t.Fatal(err)
		}
		if _, _, err := issueFor(st, "acme", "gha", "before-expiry", replayed, exp); !errors.Is(err, store.ErrIDTokenSpent) {
			t.Errorf("after a purge before its expiry = %v, want still ErrIDTokenSpent", err)
		}
		if _, err := st.PurgeFederated(context.Background(), T0.Add(11*time.Minute)); err != nil {
			t.Fatal(err)
		}
		if _, _, err := issueFor(st, "acme", "gha", "after-expiry", replayed, exp); err != nil {
			t.Errorf("after a purge past its expiry = %v, want a token (no verifier accepts it by then)", err)
		}
	})
}
