package store

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Federation is the part of Store that keeps trust policies and the tokens
// CI jobs get under them.
type Federation interface {
	// PutPolicy creates or replaces the policy name of org with what apply
	// returns; apply gets the stored policy (exists=false: none) and runs
	// inside the write transaction, so that who may replace a policy is
	// decided on what it grants now. The org must exist (ErrNotFound).
	PutPolicy(ctx context.Context, org, name string, apply func(cur Policy, exists bool) (Policy, error), ev Event) (p Policy, created bool, err error)
	// GetPolicy returns one policy, or ErrNotFound.
	GetPolicy(ctx context.Context, org, name string) (Policy, error)
	// ListPolicies returns the org's policies by name, or ErrNotFound when
	// the org does not exist.
	ListPolicies(ctx context.Context, org string) ([]Policy, error)
	// PoliciesByIssuer returns every org's policies that trust issuer.
	PoliciesByIssuer(ctx context.Context, issuer string) ([]Policy, error)
	// DeletePolicy removes the policy and revokes every token issued under
	// it, each with a feed row (so gateways drop it at their next poll) and
	// an audit entry. check, unless nil, decides on the stored policy
	// first; its error cancels the delete.
	DeletePolicy(ctx context.Context, org, name string, check func(cur Policy) error, ev Event) (gone Policy, revoked []string, err error)
	// IssueFederated returns the federated token stored under hash, or
	// issues one: build gets the org and the policy as stored now (a
	// policy deleted since the token matched it is ErrNotFound) and returns
	// the token; the org's bound on active federated tokens is checked (a
	// *TooManyError, matching ErrTooMany); the audit entry records the
	// matched claims; a new token counts against idt's
	// MaxExchangesPerIDToken (beyond: ErrIDTokenSpent). Two replicas
	// issuing for one hash at once end with one row: the loser reads the
	// winner's. existing says the token was already stored.
	IssueFederated(ctx context.Context, org, policy string, hash []byte, idt IDToken, build func(o Org, p Policy) (Token, error), matched map[string]string, ev Event) (t Token, existing bool, err error)
	// PurgeFederated deletes federated tokens expired or revoked before
	// before, in batches, and returns how many it deleted; and the
	// exchange counts of ID tokens expired before before.
	PurgeFederated(ctx context.Context, before time.Time) (int, error)
}

func (r *rules) PutPolicy(ctx context.Context, org, name string, apply func(cur Policy, exists bool) (Policy, error), ev Event) (Policy, bool, error) {
	var (
		out     Policy
		created bool
	)
	err := r.b.Write(ctx, func(tx Tx) error {
		if _, err := tx.LockOrg(ctx, org); err != nil {
			return err
		}
		cur, err := tx.Policy(ctx, org, name)
		exists := err == nil
		if err != nil && !errors.Is(err, ErrNotFound) {
			return err
		}
		next, err := apply(cur, exists)
		if err != nil {
			return err
		}
		next.Org, next.Name, next.UpdatedAt = org, name, Millis(ev.At)
		e := ev
		var before any
		if exists {
			next.CreatedAt, next.CreatedBy = cur.CreatedAt, cur.CreatedBy
			e.Action = ActionPolicyUpdated
			before = cur
		} else {
			next.CreatedAt, next.CreatedBy = next.UpdatedAt, ev.Actor
			e.Action = ActionPolicyCreated
		}
		if err := tx.PutPolicy(ctx, next); err != nil {
			return err
		}
		if err := audit(ctx, tx, org, e, "", before, next); err != nil {
			return err
		}
		out, created = next, !exists
		return nil
	})
	return out, created, err
}

func (r *rules) GetPolicy(ctx context.Context, org, name string) (Policy, error) {
	return r.b.Policy(ctx, org, name)
}

func (r *rules) ListPolicies(ctx context.Context, org string) ([]Policy, error) {
	if _, err := r.b.Org(ctx, org); err != nil {
		return nil, err
	}
	ps, err := r.b.Policies(ctx, org)
	if err != nil {
		return nil, fmt.Errorf("listing trust policies of %q: %w", org, err)
	}
	return ps, nil
}

func (r *rules) PoliciesByIssuer(ctx context.Context, issuer string) ([]Policy, error) {
	ps, err := r.b.PoliciesByIssuer(ctx, issuer)
	if err != nil {
		return nil, fmt.Errorf("finding trust policies of issuer %q: %w", issuer, err)
	}
	return ps, nil
}

func (r *rules) DeletePolicy(ctx context.Context, org, name string, check func(cur Policy) error, ev Event) (Policy, []string, error) {
	var (
		gone    Policy
		revoked []string
	)
	err := r.b.Write(ctx, func(tx Tx) error {
		revoked = nil
		cur, err := tx.Policy(ctx, org, name)
		if err != nil {
			return err
		}
		if check != nil {
			if err := check(cur); err != nil {
				return err
			}
		}
		tokens, err := tx.PolicyTokens(ctx, org, name)
		if err != nil {
			return err
		}
		at := Millis(ev.At)
		revoke := ev
		revoke.Action = ActionTokenRevoked
		// Audited, but no token.revoked webhook event: federated tokens
		// are CI jobs', one per job, and a policy under a busy pipeline
		// would flood receivers with them. None of their lifecycle is a
		// webhook event (created, expiring, expired, revoked).
		for _, t := range tokens {
			next := t
			next.RevokedAt = &at
			if err := tx.UpdateToken(ctx, next); err != nil {
				return err
			}
			if err := tx.AppendFeed(ctx, t.ID, ev.At); err != nil {
				return err
			}
			if err := audit(ctx, tx, org, revoke, t.ID, t, next); err != nil {
				return err
			}
			revoked = append(revoked, t.ID)
		}
		if err := tx.DeletePolicy(ctx, org, name); err != nil {
			return err
		}
		e := ev
		e.Action = ActionPolicyDeleted
		if err := audit(ctx, tx, org, e, "", cur, nil); err != nil {
			return err
		}
		gone = cur
		return nil
	})
	return gone, revoked, err
}

func (r *rules) IssueFederated(ctx context.Context, org, policy string, hash []byte, idt IDToken, build func(o Org, p Policy) (Token, error), matched map[string]string, ev Event) (Token, bool, error) {
	j := newIssueJob()
	j.ctx, j.org, j.policy, j.hash, j.idt, j.build, j.matched, j.ev = ctx, org, policy, hash, idt, build, matched, ev
	r.issues.run(r, j)
	return j.token, j.existing, j.err
}

// issueScratch is what the issues of one transaction share: the org and
// policy rows they locked and each org's count of live federated tokens,
// read once per transaction and kept current as tokens are inserted.
type issueScratch struct {
	orgs     map[string]Org
	policies map[[2]string]Policy
	live     map[string]int
}

func newIssueScratch() *issueScratch {
	return &issueScratch{orgs: map[string]Org{}, policies: map[[2]string]Policy{}, live: map[string]int{}}
}

// issueIn is one issue inside tx: the token stored under the hash, or a
// new one. wrote says whether it wrote anything before failing: an error
// before any write leaves tx usable for the next issue of a batch.
func (r *rules) issueIn(tx Tx, j *issueJob, sc *issueScratch) (t Token, existing, wrote bool, err error) {
	ctx := j.ctx
	// The org lock queues every issue of this org, on every replica, so
	// the count below cannot be overtaken.
	o, ok := sc.orgs[j.org]
	if !ok {
		if o, err = tx.LockOrg(ctx, j.org); err != nil {
			return Token{}, false, false, err
		}
		sc.orgs[j.org] = o
	}
	if t, err := tx.TokenByHash(ctx, j.hash); err == nil {
		return t, true, false, nil
	} else if !errors.Is(err, ErrNotFound) {
		return Token{}, false, false, err
	}
	key := [2]string{j.org, j.policy}
	p, ok := sc.policies[key]
	if !ok {
		if p, err = tx.Policy(ctx, j.org, j.policy); err != nil {
			return Token{}, false, false, err
		}
		sc.policies[key] = p
	}
	t, err = j.build(o, p)
	if err != nil {
		return Token{}, false, false, err
	}
	t.Org, t.Kind, t.Policy = j.org, KindFederated, j.policy
	t = t.rounded()
	n, ok := sc.live[j.org]
	if !ok {
		if n, err = tx.CountActiveFederated(ctx, j.org, j.ev.At); err != nil {
			return Token{}, false, false, err
		}
		sc.live[j.org] = n
	}
	if n >= o.MaxFederatedTokens {
		return Token{}, false, false, &TooManyError{Org: j.org, Active: n, Max: o.MaxFederatedTokens}
	}
	// One ID token, a few tokens: read in the transaction, so that the
	// issues of one batch see each other's counts.
	spent, err := tx.IDTokenExchanges(ctx, j.idt.Hash)
	if err != nil {
		return Token{}, false, false, err
	}
	if spent >= MaxExchangesPerIDToken {
		return Token{}, false, false, fmt.Errorf("%w: %d federated tokens already issued for it; ask the CI for a new ID token", ErrIDTokenSpent, spent)
	}
	if err := tx.InsertToken(ctx, t, j.hash); err != nil {
		return Token{}, false, true, labelTakenOr(err, j.org, t.Label)
	}
	if err := tx.AddIDTokenExchange(ctx, j.idt.Hash, j.idt.Expiry); err != nil {
		return Token{}, false, true, err
	}
	if err := audit(ctx, tx, j.org, j.ev, t.ID, nil, Exchanged{Token: t, MatchedClaims: j.matched}); err != nil {
		return Token{}, false, true, err
	}
	sc.live[j.org] = n + 1
	return t, false, true, nil
}

// issueAlone runs one issue in a transaction of its own.
func (r *rules) issueAlone(j *issueJob) {
	var (
		t        Token
		existing bool
	)
	err := r.b.Write(j.ctx, func(tx Tx) error {
		var err error
		t, existing, _, err = r.issueIn(tx, j, newIssueScratch())
		return err
	})
	if errors.Is(err, ErrHashTaken) {
		// Another replica issued for this hash between our read and our
		// insert: its row is the answer, here as there.
		t, err = r.b.TokenByHash(j.ctx, j.hash)
		if err != nil {
			err = fmt.Errorf("reading the federated token another replica issued: %w", err)
		}
		existing = true
	}
	j.finish(t, existing, err)
}

// purgeBatch bounds one purge transaction, so that a backlog does not
// hold the write lock for long.
const purgeBatch = 500

func (r *rules) PurgeFederated(ctx context.Context, before time.Time) (int, error) {
	total := 0
	for {
		n, err := r.b.PurgeFederated(ctx, Millis(before), purgeBatch)
		total += n
		if err != nil {
			return total, fmt.Errorf("purging federated tokens: %w", err)
		}
		if n < purgeBatch {
			break
		}
	}
	if err := r.b.PurgeIDTokenExchanges(ctx, Millis(before)); err != nil {
		return total, fmt.Errorf("purging ID token exchange counts: %w", err)
	}
	return total, nil
}
