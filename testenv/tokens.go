package testenv

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"
)

// OrgMaxTokens is the token limit of the orgs the suites create: the
// oatstore default, far above what any suite mints in one org.
const OrgMaxTokens = 100

// UniqueLabel returns prefix with a suffix no other call in this process
// returns: labels are unique in an org, and a test run twice in one process
// (-count=2) must not collide with its first run's tokens.
func UniqueLabel(prefix string) string {
	return fmt.Sprintf("%s-%d", prefix, labelSeq.Add(1))
}

var labelSeq atomic.Int64

// MintToken creates org (or sets its limit to OrgMaxTokens again) and a token
// of it with scopes, a unique label and the default 30-day expiry, and fails
// t if either call fails. Tokens that need more (an expiry, a description)
// are made with Admin.CreateToken and UniqueLabel.
func (e *Env) MintToken(t TB, org string, scopes ...string) Token {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := e.Admin.SetOrg(ctx, org, OrgMaxTokens); err != nil {
		t.Fatalf("creating org %s: %v", org, err)
	}
	tok, err := e.Admin.CreateToken(ctx, org, TokenRequest{Label: UniqueLabel("test"), Scopes: scopes})
	if err != nil {
		t.Fatalf("creating a token of %s with scopes %v: %v", org, scopes, err)
	}
	return tok
}

// Mistyped returns the token's secret with its last character changed, as
// a bad paste would leave it: well-formed, but its checksum fails, so the
// gateway refuses it without asking the store.
func (tok Token) Mistyped() string {
	s := tok.Secret
	repl := "a"
	if s[len(s)-1] == 'a' {
		repl = "b"
	}
	return s[:len(s)-1] + repl
}

// String names the token without its secret, so that a test printing a
// Token (%v in a failure message) never puts the secret in a CI log.
func (tok Token) String() string { return tok.ID + " (" + tok.Org + "/" + tok.Label + ")" }
