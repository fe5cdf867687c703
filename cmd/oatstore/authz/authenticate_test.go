package authz

import (
	"context"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/oatgate/oatgate/caddymodule/oat"
	"github.com/oatgate/oatgate/cmd/oatstore/adminkeys"
)

var (
	aliceKey = strings.Repeat("a1", 20)
	ciKey    = strings.Repeat("c3", 20)
)

// newToken returns a fresh token string.
func newToken(t *testing.T) string {
	t.Helper()
	tok, err := oat.Generate()
	if err != nil {
		t.Fatal(err)
	}
	return tok.Reveal()
}

// fakeStore answers lookups from a map of token hashes, or fails.
type fakeStore struct {
	tokens map[oat.Hash]TokenFacts
	err    error
	calls  int
}

func (s *fakeStore) lookup(_ context.Context, h oat.Hash) (TokenFacts, bool, error) {
	s.calls++
	if s.err != nil {
		return TokenFacts{}, false, s.err
	}
	f, ok := s.tokens[h]
	return f, ok, nil
}

func TestAuthenticate(t *testing.T) {
	ring, err := adminkeys.Load(adminkeys.Sources{List: "alice=" + aliceKey + ",ci=" + ciKey})
	if err != nil {
		t.Fatal(err)
	}
	live, revoked, unknown := newToken(t), newToken(t), newToken(t)
	// Changing the last checksum digit to an uppercase letter it is not
	// makes the checksum fail.
	mistyped := live[:len(live)-1] + string(rune('A'+(live[len(live)-1]-'A'+1)%26))
	st := &fakeStore{tokens: map[oat.Hash]TokenFacts{
		oat.HashOf(live):    manager,
		oat.HashOf(revoked): with(manager, func(f *TokenFacts) { f.RevokedAt = at(-day) }),
	}}
	tests := []struct {
		name        string
		credential  string
		wantActor   string
		want        Outcome
		reason      string
		wantLookups int
	}{
		{"an admin key authenticates as its name", aliceKey, "admin:alice", Allow, "", 0},
		{"another admin key authenticates as its own name", ciKey, "admin:ci", Allow, "", 0},
		{"a live management token authenticates as its id", live, "token:tok_manager", Allow, "", 1},
		{"no credential is refused", "", "", Unauthenticated, "no credential", 0},
		{"an unknown admin key is refused", strings.Repeat("z", 40), "", Unauthenticated, "unknown admin key", 0},
		{"a mistyped token is refused without a lookup", mistyped, "", Unauthenticated, "mistyped", 0},
		{"a truncated token is refused without a lookup", live[:20], "", Unauthenticated, "mistyped", 0},
		{"an unknown token is refused after a lookup", unknown, "", Unauthenticated, "unknown token", 1},
		{"a revoked token is refused, saying so", revoked, "", Unauthenticated, "revoked", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st.calls = 0
			p, d, err := Authenticate(context.Background(), tt.credential, ring, st.lookup, now)
			if err != nil {
				t.Fatalf("Authenticate error: %v", err)
			}
			if d.Outcome != tt.want || p.Actor() != tt.wantActor {
				t.Fatalf("Authenticate = %q, %v (%q); want %q, %v", p.Actor(), d.Outcome, d.Reason, tt.wantActor, tt.want)
			}
			if !strings.Contains(d.Reason, tt.reason) {
				t.Errorf("reason %q does not say %q", d.Reason, tt.reason)
			}
			if st.calls != tt.wantLookups {
				t.Errorf("%d store lookups, want %d", st.calls, tt.wantLookups)
			}
			if tt.credential != "" && strings.Contains(d.Reason, tt.credential) {
				t.Errorf("reason %q contains the credential", d.Reason)
			}
		})
	}
	t.Run("a store outage is an error, never a refusal", func(t *testing.T) {
		down := &fakeStore{err: errors.New("database is locked")}
		_, d, err := Authenticate(context.Background(), live, ring, down.lookup, now)
		if err == nil || d.Outcome == Unauthenticated {
			t.Fatalf("Authenticate = %v, %v; want an error and no 401", d.Outcome, err)
		}
	})
	t.Run("a server without token lookups refuses tokens", func(t *testing.T) {
		_, d, err := Authenticate(context.Background(), live, ring, nil, now)
		if err != nil || d.Outcome != Unauthenticated {
			t.Fatalf("Authenticate = %v, %v; want unauthenticated", d.Outcome, err)
		}
	})
}

func TestClassify(t *testing.T) {
	live := newToken(t)
	tests := []struct {
		name       string
		credential string
		want       CredentialKind
	}{
		{"an empty credential is none", "", NoCredential},
		{"a hex key is an admin key", aliceKey, AdminKey},
		{"a token is a token", live, Token},
		{"a token with a bad checksum is malformed", live[:len(live)-6] + "000000", MalformedToken},
		{"a bare prefix is a malformed token", "oat_", MalformedToken},
		{"an uppercase prefix is an admin key, which no key matches", "OAT_" + live[4:], AdminKey},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Classify(tt.credential); got != tt.want {
				t.Errorf("Classify = %d, want %d", got, tt.want)
			}
		})
	}
}

func TestBearer(t *testing.T) {
	tests := []struct {
		name   string
		header string
		want   string
	}{
		{"a bearer credential is read", "Bearer " + aliceKey, aliceKey},
		{"the scheme is case-insensitive", "bearer " + aliceKey, aliceKey},
		{"spaces around the credential are trimmed", "Bearer  " + aliceKey + " ", aliceKey},
		{"basic credentials are not bearer", "Basic YWNtZTp4", ""},
		{"a bare scheme is nothing", "Bearer ", ""},
		{"no header is nothing", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/v1/orgs/acme/tokens", nil)
			if tt.header != "" {
				r.Header.Set("Authorization", tt.header)
			}
			if got := Bearer(r); got != tt.want {
				t.Errorf("Bearer = %q, want %q", got, tt.want)
			}
		})
	}
}
