package authz

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestFromTokenAtTheExpiryBoundary(t *testing.T) {
	tests := []struct {
		name    string
		expires time.Duration
		want    Outcome
	}{
		{"a token expiring a nanosecond from now still works", time.Nanosecond, Allow},
		{"a token expiring exactly now is refused", 0, Unauthenticated},
		{"a token that expired a second ago is refused", -time.Second, Unauthenticated},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, d := FromToken(with(manager, func(f *TokenFacts) { f.ExpiresAt = at(tt.expires) }), now)
			if d.Outcome != tt.want {
				t.Errorf("FromToken = %v (%q), want %v", d.Outcome, d.Reason, tt.want)
			}
		})
	}
}

func TestFromTokenHoldsOnlyWhatCounts(t *testing.T) {
	tests := []struct {
		name       string
		scopes     []string
		wantScopes string
		wantMay    string
	}{
		{"org and repository scopes both count", []string{"org:tokens:write", "repository:acme/app:push"}, "org:tokens:write repository:acme/app:push", "tokens:write"},
		{"a scope outside the org counts for nothing", []string{"org:audit:read", "repository:globex/app:push"}, "org:audit:read", "audit:read"},
		{"one unreadable scope makes the token hold nothing", []string{"org:tokens:write", "repository:acme/app:push", "org:tokens:all"}, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, d := FromToken(TokenFacts{ID: "tok_x", Org: "acme", Active: true, Scopes: tt.scopes}, now)
			if !d.Allowed() {
				t.Fatalf("FromToken refused: %q", d.Reason)
			}
			s := p.Summary()
			if got := strings.Join(s.Scopes, " "); got != tt.wantScopes {
				t.Errorf("scopes = %q, want %q", got, tt.wantScopes)
			}
			if got := strings.Join(s.May, " "); got != tt.wantMay {
				t.Errorf("may = %q, want %q", got, tt.wantMay)
			}
		})
	}
	t.Run("a token without an org is refused", func(t *testing.T) {
		if _, d := FromToken(TokenFacts{ID: "tok_x", Active: true}, now); d.Outcome != Unauthenticated {
			t.Errorf("FromToken = %v, want unauthenticated", d.Outcome)
		}
	})
}

func TestActorAndSummary(t *testing.T) {
	tok, _ := FromToken(manager, now)
	tests := []struct {
		name      string
		p         Principal
		wantActor string
		wantJSON  string
	}{
		{"an admin key acts as admin:<name> and may do anything", Admin("alice"), "admin:alice",
			`{"actor":"admin:alice","kind":"admin","may":["*"]}`},
		{"a token acts as token:<id> and lists its org scopes", tok, "token:tok_manager",
			`{"actor":"token:tok_manager","kind":"token","org":"acme","scopes":["org:tokens:write","repository:acme/app:push"],"may":["tokens:write"],"expires_at":"2027-01-02T12:00:00Z"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.p.Actor(); got != tt.wantActor {
				t.Errorf("Actor = %q, want %q", got, tt.wantActor)
			}
			b, err := json.Marshal(tt.p.Summary())
			if err != nil {
				t.Fatal(err)
			}
			if string(b) != tt.wantJSON {
				t.Errorf("Summary JSON = %s\nwant %s", b, tt.wantJSON)
			}
		})
	}
}

func TestOnBehalfOf(t *testing.T) {
	tests := []struct {
		name string
		raw  string
		want string
	}{
		{"a plain name is kept", "alice@example.com", "alice@example.com"},
		{"spaces and slashes become underscores", "ci job/42", "ci_job_42"},
		{"control characters are dropped", "ali\x1b[31mce\n", "ali31mce"},
		{"bidi overrides are dropped", "ci\u202egnp.exe", "cignp.exe"},
		{"nothing declared is nothing, with no default", "", ""},
		{"nothing left is nothing", "\u202e\n", ""},
		{"a long value is cut at 64 bytes", strings.Repeat("x", 100), strings.Repeat("x", 64)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := OnBehalfOf(tt.raw); got != tt.want {
				t.Errorf("OnBehalfOf(%q) = %q, want %q", tt.raw, got, tt.want)
			}
		})
	}
}

func TestOutcomeStatus(t *testing.T) {
	tests := []struct {
		name    string
		outcome Outcome
		status  int
		word    string
	}{
		{"forbidden answers 403", Forbidden, http.StatusForbidden, "forbidden"},
		{"unauthenticated answers 401", Unauthenticated, http.StatusUnauthorized, "unauthenticated"},
		{"allow used as a refusal still refuses", Allow, http.StatusForbidden, "allow"},
		{"the zero outcome refuses", Outcome(0), http.StatusForbidden, "invalid"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.outcome.Status(); got != tt.status {
				t.Errorf("Status = %d, want %d", got, tt.status)
			}
			if got := tt.outcome.String(); got != tt.word {
				t.Errorf("String = %q, want %q", got, tt.word)
			}
		})
	}
	if (Decision{}).Allowed() {
		t.Error("the zero Decision allows; it must refuse")
	}
}

func TestPrincipalAccessors(t *testing.T) {
	tok, _ := FromToken(manager, now)
	tests := []struct {
		name    string
		p       Principal
		id      string
		expires *time.Time
	}{
		{"a token has its id and expiry", tok, "tok_manager", manager.ExpiresAt},
		{"an admin has neither", Admin("alice"), "", nil},
		{"nobody has neither", Principal{}, "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.p.ID(); got != tt.id {
				t.Errorf("ID = %q, want %q", got, tt.id)
			}
			got := tt.p.ExpiresAt()
			if (got == nil) != (tt.expires == nil) || got != nil && !got.Equal(*tt.expires) {
				t.Errorf("ExpiresAt = %v, want %v", got, tt.expires)
			}
		})
	}
}
