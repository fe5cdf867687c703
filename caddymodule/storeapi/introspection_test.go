package storeapi

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"
)

func int64p(n int64) *int64 { return &n }

func TestParseIntrospection(t *testing.T) {
	tests := []struct {
		name    string
		body    string
		want    Introspection
		wantErr bool
	}{
		{name: "an inactive answer is not active", body: `{"active":false}`, want: Introspection{}},
		{name: "a full active answer keeps every field", body: `{"active":true,"token_id":"t1","label":"ci","org":"acme","scope":"repository:acme/app:pull,push","exp":1767225600}`,
			want: Introspection{Active: true, TokenID: "t1", Label: "ci", Org: "acme", Scope: "repository:acme/app:pull,push", Exp: int64p(1767225600)}},
		{name: "a federated answer keeps its kind and policy", body: `{"active":true,"token_id":"t1","org":"acme","kind":"federated","policy":"gha"}`,
			want: Introspection{Active: true, TokenID: "t1", Org: "acme", Kind: KindFederated, Policy: "gha"}},
		{name: "an active answer without exp never expires", body: `{"active":true,"token_id":"t1","org":"acme"}`, want: Introspection{Active: true, TokenID: "t1", Org: "acme"}},
		{name: "an exp of 0 is the Unix epoch, not never", body: `{"active":true,"token_id":"t1","org":"acme","exp":0}`, want: Introspection{Active: true, TokenID: "t1", Org: "acme", Exp: int64p(0)}},
		{name: "unknown fields are ignored", body: `{"active":true,"token_id":"t1","org":"acme","client_id":"x","iat":5}`, want: Introspection{Active: true, TokenID: "t1", Org: "acme"}},
		{name: "an inactive known token keeps its id, label, org and reason", body: `{"active":false,"token_id":"t1","label":"ci","org":"acme","reason":"deactivated"}`,
			want: Introspection{TokenID: "t1", Label: "ci", Org: "acme", Reason: ReasonDeactivated}},
		{name: "an inactive answer without a token id drops the rest", body: `{"active":false,"label":"ci","org":"acme","reason":"revoked"}`, want: Introspection{}},
		{name: "an inactive answer with a blank token id drops the rest", body: `{"active":false,"token_id":" ","reason":"revoked"}`, want: Introspection{}},
		{name: "a reason it does not know reads as unknown", body: `{"active":false,"token_id":"t1","org":"acme","reason":"suspended"}`, want: Introspection{TokenID: "t1", Org: "acme"}},
		{name: "an active answer drops a reason", body: `{"active":true,"token_id":"t1","org":"acme","reason":"revoked"}`, want: Introspection{Active: true, TokenID: "t1", Org: "acme"}},
		{name: "a reason that is not a string is an error", body: `{"active":false,"token_id":"t1","reason":3}`, wantErr: true},
		{name: "not JSON is an error", body: `not json`, wantErr: true},
		{name: "an empty body is an error", body: ``, wantErr: true},
		{name: "a missing active is an error", body: `{"token_id":"t1","org":"acme"}`, wantErr: true},
		{name: "active null is an error", body: `{"active":null,"token_id":"t1","org":"acme"}`, wantErr: true},
		{name: "active as a number is an error", body: `{"active":1,"token_id":"t1","org":"acme"}`, wantErr: true},
		{name: "active as a string is an error", body: `{"active":"true","token_id":"t1","org":"acme"}`, wantErr: true},
		{name: "active without token_id is an error", body: `{"active":true,"org":"acme"}`, wantErr: true},
		{name: "active with a blank token_id is an error", body: `{"active":true,"token_id":" ","org":"acme"}`, wantErr: true},
		{name: "active without org is an error", body: `{"active":true,"token_id":"t1"}`, wantErr: true},
		{name: "a negative exp is an error", body: `{"active":true,"token_id":"t1","org":"acme","exp":-1}`, wantErr: true},
		{name: "a fractional exp is an error", body: `{"active":true,"token_id":"t1","org":"acme","exp":1.5}`, wantErr: true},
		{name: "a string exp is an error", body: `{"active":true,"token_id":"t1","org":"acme","exp":"soon"}`, wantErr: true},
		{name: "an exp beyond int64 is an error", body: `{"active":true,"token_id":"t1","org":"acme","exp":1e400}`, wantErr: true},
		{name: "trailing data is an error", body: `{"active":false} {"active":true}`, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseIntrospection([]byte(tt.body))
			if tt.wantErr {
				if !errors.Is(err, ErrMalformed) {
					t.Fatalf("got (%+v, %v), want an error wrapping ErrMalformed", got, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("got error %v, want none", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

// What the store writes, the gateway reads back unchanged: the property the
// two sides of the protocol rely on.
func TestIntrospectionsRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		in   Introspection
	}{
		{"an inactive answer", Introspection{}},
		{"an active answer that never expires", Introspection{Active: true, TokenID: "tok_1", Label: "ci", Org: "acme", Scope: "repository:acme/app:pull"}},
		{"an active answer with an expiry", Introspection{Active: true, TokenID: "tok_1", Label: "ci", Org: "acme", Scope: "repository:acme/**:pull,push", Exp: int64p(1767225600)}},
		{"an active answer that expired at the epoch", Introspection{Active: true, TokenID: "tok_1", Org: "acme", Exp: int64p(0)}},
		{"a revoked token's answer", Introspection{TokenID: "tok_1", Label: "ci", Org: "acme", Reason: ReasonRevoked}},
		{"a deactivated token's answer", Introspection{TokenID: "tok_1", Label: "ci", Org: "acme", Reason: ReasonDeactivated}},
		{"an expired token's answer", Introspection{TokenID: "tok_1", Label: "ci", Org: "acme", Reason: ReasonExpired}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body, err := json.Marshal(tt.in)
			if err != nil {
				t.Fatalf("encoding: %v", err)
			}
			got, err := ParseIntrospection(body)
			if err != nil {
				t.Fatalf("parsing %s: %v", body, err)
			}
			if !reflect.DeepEqual(got, tt.in) {
				t.Fatalf("%s read back as %+v, want %+v", body, got, tt.in)
			}
		})
	}
	t.Run("an inactive answer says nothing but active false", func(t *testing.T) {
		body, _ := json.Marshal(Introspection{})
		if string(body) != `{"active":false}` {
			t.Fatalf("got %s, want {\"active\":false}", body)
		}
	})
}

func FuzzParseIntrospection(f *testing.F) {
	for _, s := range []string{
		`{"active":false}`,
		`{"active":true,"token_id":"t1","label":"ci","org":"acme","scope":"repository:acme/app:pull,push","exp":1767225600}`,
		`{"active":true,"org":"acme"}`,
		`{"active":"true","token_id":"t1","org":"acme"}`,
		`{"active":true,"token_id":"t1","org":"acme","exp":9223372036854775807}`,
		`{"active":true,"token_id":"t1","org":"acme","active":false}`,
		`{"active":true,"token_id":"\u0000","org":"\ud800"}`,
		`{} trailing`, `[`, ``, `null`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		got, err := ParseIntrospection(body)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error %v does not wrap ErrMalformed", err)
			}
			if !reflect.DeepEqual(got, Introspection{}) {
				t.Fatalf("got both %+v and an error %v", got, err)
			}
			return
		}
		if got.Active && (got.TokenID == "" || got.Org == "") {
			t.Fatalf("active answer without token_id or org: %+v", got)
		}
		if got.Exp != nil && *got.Exp < 0 {
			t.Fatalf("negative exp accepted: %+v", got)
		}
	})
}

func TestReasonsHaveTheirWireNames(t *testing.T) {
	tests := []struct {
		reason Reason
		want   string
	}{
		{ReasonUnknown, "unknown"},
		{ReasonRevoked, "revoked"},
		{ReasonDeactivated, "deactivated"},
		{ReasonExpired, "expired"},
		{Reason(200), "unknown"},
	}
	for _, tt := range tests {
		t.Run("reason "+tt.want, func(t *testing.T) {
			if got := tt.reason.String(); got != tt.want {
				t.Fatalf("String: got %q, want %q", got, tt.want)
			}
			var back Reason
			if err := back.UnmarshalText([]byte(tt.reason.String())); err != nil || back.String() != tt.want {
				t.Fatalf("UnmarshalText(%q): got (%v, %v)", tt.want, back, err)
			}
		})
	}
}
