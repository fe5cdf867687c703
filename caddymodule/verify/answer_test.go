package verify

import (
	"errors"
	"testing"
	"time"

	"github.com/oatgate/oatgate/caddymodule/access"
)

func TestParseAnswer(t *testing.T) {
	tests := []struct {
		name       string
		body       string
		wantErr    bool
		wantActive bool
		wantExp    time.Time
	}{
		{name: "an inactive answer is not active", body: `{"active":false}`},
		{name: "an inactive answer with leftovers is still not active", body: `{"active":false,"token_id":"x","org":"acme"}`},
		{name: "a full active answer is active", body: `{"active":true,"token_id":"t1","label":"ci","org":"acme","scope":"repository:acme/app:pull,push","exp":1767225600}`, wantActive: true, wantExp: time.Unix(1767225600, 0)},
		{name: "an active answer without exp never expires", body: `{"active":true,"token_id":"t1","org":"acme"}`, wantActive: true},
		{name: "an exp of 0 is the Unix epoch, not never", body: `{"active":true,"token_id":"t1","org":"acme","exp":0}`, wantActive: true, wantExp: time.Unix(0, 0)},
		{name: "unknown fields are ignored", body: `{"active":true,"token_id":"t1","org":"acme","client_id":"x","iat":5}`, wantActive: true},
		{name: "an empty body is an error", body: ``, wantErr: true},
		{name: "null is an error", body: `null`, wantErr: true},
		{name: "an array is an error", body: `[]`, wantErr: true},
		{name: "a missing active is an error", body: `{"token_id":"t1","org":"acme"}`, wantErr: true},
		{name: "active null is an error", body: `{"active":null,"token_id":"t1","org":"acme"}`, wantErr: true},
		{name: "active as a number is an error", body: `{"active":1,"token_id":"t1","org":"acme"}`, wantErr: true},
		{name: "active without token_id is an error", body: `{"active":true,"org":"acme"}`, wantErr: true},
		{name: "active with a blank token_id is an error", body: `{"active":true,"token_id":" ","org":"acme"}`, wantErr: true},
		{name: "active without org is an error", body: `{"active":true,"token_id":"t1"}`, wantErr: true},
		{name: "a negative exp is an error", body: `{"active":true,"token_id":"t1","org":"acme","exp":-1}`, wantErr: true},
		{name: "a string exp is an error", body: `{"active":true,"token_id":"t1","org":"acme","exp":"soon"}`, wantErr: true},
		{name: "an unreadable scope is an error", body: `{"active":true,"token_id":"t1","org":"acme","scope":"everything"}`, wantErr: true},
		{name: "a management token's org scopes are read, not refused", body: `{"active":true,"token_id":"t1","org":"acme","scope":"org:tokens:write repository:acme/app:push"}`, wantActive: true},
		{name: "an unreadable org scope is an error", body: `{"active":true,"token_id":"t1","org":"acme","scope":"org:tokens:all"}`, wantErr: true},
		{name: "trailing data is an error", body: `{"active":false} {"active":true}`, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id, err := parseAnswer([]byte(tt.body), nil)
			if tt.wantErr {
				if err == nil || !errors.Is(err, ErrMalformedAnswer) || id != nil {
					t.Fatalf("got (%+v, %v), want (nil, ErrMalformedAnswer)", id, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("got error %v, want none", err)
			}
			if got := id != nil; got != tt.wantActive {
				t.Fatalf("active: got %v (%+v), want %v", got, id, tt.wantActive)
			}
			if id != nil && !id.Expires().Equal(tt.wantExp) {
				t.Fatalf("expires: got %s, want %s", id.Expires(), tt.wantExp)
			}
		})
	}
}

func TestParsedScopesGrantWithinTheOrg(t *testing.T) {
	id, err := parseAnswer([]byte(`{"active":true,"token_id":"t1","org":"acme","scope":"repository:acme/app:pull repository:other/app:pull,push,delete"}`), newGrantsPool())
	if err != nil || id == nil {
		t.Fatalf("parseAnswer: got (%+v, %v), want an identity", id, err)
	}
	checks := []struct {
		repo string
		need access.Action
		want bool
	}{
		{"acme/app", access.Pull, true},
		{"acme/app", access.Push, false},
		{"other/app", access.Pull, false},
	}
	for _, c := range checks {
		if got := id.Grants.Allows(c.repo, c.need); got != c.want {
			t.Errorf("Allows(%q, %s): got %v, want %v", c.repo, c.need, got, c.want)
		}
	}
}

func TestOrgScopesGrantNoRegistryAccess(t *testing.T) {
	id, err := parseAnswer([]byte(`{"active":true,"token_id":"t1","org":"acme","scope":"org:tokens:write org:audit:read repository:acme/app:push"}`), newGrantsPool())
	if err != nil || id == nil {
		t.Fatalf("parseAnswer: got (%+v, %v), want an identity", id, err)
	}
	checks := []struct {
		name string
		repo string
		need access.Action
		want bool
	}{
		{"its repository scope pulls", "acme/app", access.Pull, true},
		{"its repository scope pushes", "acme/app", access.Push, true},
		{"its repository scope does not delete", "acme/app", access.Delete, false},
		{"org:tokens:write opens no other repository", "acme/other", access.Pull, false},
	}
	for _, c := range checks {
		t.Run(c.name, func(t *testing.T) {
			if got := id.Grants.Allows(c.repo, c.need); got != c.want {
				t.Errorf("Allows(%q, %s): got %v, want %v", c.repo, c.need, got, c.want)
			}
		})
	}
	only, err := parseAnswer([]byte(`{"active":true,"token_id":"t2","org":"acme","scope":"org:audit:read"}`), newGrantsPool())
	if err != nil || only == nil {
		t.Fatalf("parseAnswer: got (%+v, %v), want an identity", only, err)
	}
	if only.Grants.Allows("acme/app", access.Pull) {
		t.Errorf("a token holding only org scopes pulls acme/app; want nothing granted")
	}
}

func FuzzParseAnswer(f *testing.F) {
	seeds := []string{
		`{"active":false}`,
		`{"active":true,"token_id":"t1","label":"ci","org":"acme","scope":"repository:acme/app:pull,push","exp":1767225600}`,
		`{"active":true,"token_id":"t1","org":"acme","scope":"repository:acme/**:delete"}`,
		`{"active":true,"org":"acme"}`,
		`{"active":true,"token_id":"t1"}`,
		`{"active":"true","token_id":"t1","org":"acme"}`,
		`{"active":true,"token_id":"t1","org":"acme","exp":1e400}`,
		`{"active":true,"token_id":"t1","org":"acme","exp":9223372036854775807}`,
		`{"active":true,"token_id":"t1","org":"acme","active":false}`,
		`{"active":true,"token_id":"\u0000","org":"\ud800"}`,
		`{} trailing`, `[`, ``, `null`,
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		id, err := parseAnswer(body, nil)
		if err != nil && id != nil {
			t.Fatalf("got both an identity %+v and an error %v", id, err)
		}
		if id != nil && (id.TokenID == "" || id.Org == "" || id.Grants == nil) {
			t.Fatalf("active identity without token_id, org or grants: %+v", id)
		}
	})
}
