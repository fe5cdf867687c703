package server

import (
	"context"
	"errors"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/oatgate/oatgate/caddymodule/scope"
	"github.com/oatgate/oatgate/cmd/oatstore/federation"
	"github.com/oatgate/oatgate/cmd/oatstore/store"
)

// exchangeRequest is one ID token to exchange: from POST /v1/token, or
// from a gateway introspecting a JWT for a login.
type exchangeRequest struct {
	jwt string
	// org names the org (the exchange's audience, the gateway login's
	// username); empty lets the token's policies decide.
	org string
	// requested narrows the granted scopes; nil asks for the policy's.
	requested []scope.Scope
	// hash is what the token is stored under.
	hash []byte
	// sourceIP is where the request came from, for the audit.
	sourceIP string
}

// errPolicyChanged: the policy a token matched was replaced, between the
// match and the issue, by one it no longer matches.
var errPolicyChanged = errors.New("the trust policy changed while the token was being issued")

// federate verifies an ID token, picks the trust policy it earns a token
// under and issues (or finds) that token. A refusal is an *OAuthError
// (which the caller answers in its own shape); err is for failures the
// request could not be served through (a 500).
func (s *Server) federate(ctx context.Context, req exchangeRequest) (store.Token, *federation.OAuthError, error) {
	issuer, err := federation.PeekIssuer(req.jwt)
	if err != nil {
		s.logRefusal(req, "", err)
		return store.Token{}, federation.NotAccepted(), nil
	}
	cands, err := s.candidates(ctx, issuer, false)
	if err != nil {
		return store.Token{}, nil, err
	}
	if len(cands) == 0 {
		// No org trusts this issuer: nothing is fetched from it.
		s.logRefusal(req, issuer, errors.New("no trust policy names this issuer"))
		return store.Token{}, federation.NotAccepted(), nil
	}
	tok, err := s.fed.verifier.Verify(ctx, issuer, req.jwt)
	switch {
	case errors.Is(err, federation.ErrUnavailable):
		s.log.Warn("federated token not issued: issuer unavailable", zap.String("issuer", issuer), zap.Error(err))
		return store.Token{}, federation.Unavailable(), nil
	case errors.Is(err, federation.ErrBusy):
		s.logRefusal(req, issuer, err)
		return store.Token{}, federation.Busy(), nil
	case err != nil:
		s.logRefusal(req, issuer, err)
		return store.Token{}, federation.NotAccepted(), nil
	}
	t, existing, oerr, err := s.issue(ctx, req, tok, cands)
	if errors.Is(err, store.ErrNotFound) || errors.Is(err, errPolicyChanged) {
		// The cached policy went away or changed since it was read (on
		// another replica): choose again among the policies as stored.
		if cands, err = s.candidates(ctx, issuer, true); err != nil {
			return store.Token{}, nil, err
		}
		t, existing, oerr, err = s.issue(ctx, req, tok, cands)
	}
	switch {
	case errors.Is(err, store.ErrNotFound), errors.Is(err, errPolicyChanged):
		s.logRefusal(req, issuer, err)
		return store.Token{}, federation.NotAccepted(), nil
	case errors.Is(err, store.ErrIDTokenSpent):
		s.logRefusal(req, issuer, err)
		return store.Token{}, federation.Spent(), nil
	case err != nil:
		return store.Token{}, nil, err
	case oerr != nil:
		s.logRefusal(req, issuer, oerr)
		return store.Token{}, oerr, nil
	}
	if !existing {
		s.log.Info("federated token issued", zap.String("org", t.Org), zap.String("policy", t.Policy), zap.String("token_id", t.ID),
			zap.String("subject", t.Subject), zap.Stringp("expires_at", timeText(t.ExpiresAt)), zap.String("source_ip", req.sourceIP))
	}
	return t, nil, nil
}

// candidates are the policies of every org that trust issuer: cached for
// a second, or, when fresh, read from the store (and the cache cleared).
func (s *Server) candidates(ctx context.Context, issuer string, fresh bool) ([]federation.Candidate, error) {
	if fresh {
		s.fed.policies.clear()
	}
	policies, err := s.fed.policies.byIssuer(ctx, s.store, issuer)
	if err != nil {
		return nil, err
	}
	cands := make([]federation.Candidate, 0, len(policies))
	for _, p := range policies {
		cands = append(cands, federation.Candidate{Org: p.Org, Policy: p.Rule()})
	}
	return cands, nil
}

// issue chooses the policy a verified token earns a token under among
// cands and issues it (or finds the one stored under req.hash).
func (s *Server) issue(ctx context.Context, req exchangeRequest, tok federation.Token, cands []federation.Candidate) (store.Token, bool, *federation.OAuthError, error) {
	grant, oerr := federation.Choose(federation.MatchPolicies(tok, cands), req.org, req.requested)
	if oerr != nil {
		return store.Token{}, false, oerr, nil
	}
	org := grant.Org
	ev := store.Event{
		Action:   store.ActionTokenExchanged,
		Actor:    "federation:" + grant.Policy.Name,
		SourceIP: req.sourceIP,
		At:       s.now().UTC().Truncate(time.Millisecond),
	}
	idt := federation.IDTokenHash(req.jwt)
	t, existing, err := s.store.IssueFederated(ctx, org, grant.Policy.Name, req.hash, store.IDToken{Hash: idt[:], Expiry: tok.Expiry}, func(o store.Org, p store.Policy) (store.Token, error) {
		// Match again on the policy as stored now, in the transaction.
		again, oerr := federation.Choose(federation.MatchPolicies(tok, []federation.Candidate{{Org: org, Policy: p.Rule()}}), org, req.requested)
		if oerr != nil {
			return store.Token{}, errPolicyChanged
		}
		id := newTokenID()
		exp := ev.At.Add(time.Duration(p.TTL))
		return store.Token{
			ID:          id,
			Label:       federatedLabel(p.Name, id),
			Description: federatedDescription(p.Issuer),
			Scopes:      again.Scopes,
			CreatedAt:   ev.At,
			CreatedBy:   ev.Actor,
			ExpiresAt:   &exp,
			Active:      true,
			Subject:     cleanSubject(tok.Subject),
		}, nil
	}, grant.Claims, ev)
	return t, existing, nil, err
}

// logRefusal logs why an ID token was refused: the issuer and the
// verifier's reason, never the token.
// The issuer and the reason may quote the token's own claims, which its
// sender chose: both are cut to maxLogged bytes.
func (s *Server) logRefusal(req exchangeRequest, issuer string, why error) {
	if ce := s.log.Check(zap.InfoLevel, "federated token refused"); ce != nil {
		ce.Write(zap.String("issuer", cut(issuer)), zap.String("org", req.org), zap.String("reason", cut(why.Error())), zap.String("source_ip", req.sourceIP))
	}
}

// maxLogged bounds a logged value that a token's sender chose.
const maxLogged = 512

func cut(s string) string {
	if len(s) > maxLogged {
		return s[:maxLogged] + "..."
	}
	return s
}

// federatedLabel is the label of a federated token: its policy and a
// part of its id, unique in the org and at most 64 characters.
func federatedLabel(policy, id string) string {
	suffix := strings.TrimPrefix(id, tokenIDPrefix)[:10]
	if len(policy) > maxLabel-len(suffix)-1 {
		policy = policy[:maxLabel-len(suffix)-1]
	}
	return policy + "/" + suffix
}

// federatedDescription says where a federated token came from, within
// the description's bound (issuer URLs are ASCII, so bytes are characters).
func federatedDescription(issuer string) string {
	d := "federated: " + issuer
	if len(d) > maxDescription {
		d = d[:maxDescription]
	}
	return d
}

// maxSubject bounds the stored subject.
const maxSubject = 256

// cleanSubject is the sub claim as stored and logged: printable ASCII
// only (anything else becomes ?), at most 256 bytes.
func cleanSubject(sub string) string {
	if len(sub) > maxSubject {
		sub = sub[:maxSubject]
	}
	b := []byte(sub)
	for i, c := range b {
		if c < 0x20 || c > 0x7e {
			b[i] = '?'
		}
	}
	return string(b)
}

func timeText(t *time.Time) *string {
	if t == nil {
		return nil
	}
	s := t.UTC().Format(time.RFC3339)
	return &s
}
