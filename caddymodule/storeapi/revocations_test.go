package storeapi

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"
)

func TestParseRevocationPage(t *testing.T) {
	tests := []struct {
		name    string
		body    string
		want    RevocationPage
		wantErr bool
	}{
		{name: "a page with ids keeps them in order", body: `{"cursor":"7","token_ids":["b","a"]}`, want: RevocationPage{Cursor: "7", TokenIDs: []string{"b", "a"}}},
		{name: "a page without changes has no ids", body: `{"cursor":"7","token_ids":[]}`, want: RevocationPage{Cursor: "7", TokenIDs: []string{}}},
		{name: "unknown fields are ignored", body: `{"cursor":"7","token_ids":[],"more":true}`, want: RevocationPage{Cursor: "7", TokenIDs: []string{}}},
		{name: "an empty cursor is an error", body: `{"cursor":"","token_ids":["a"]}`, wantErr: true},
		{name: "a missing cursor is an error", body: `{"token_ids":["a"]}`, wantErr: true},
		{name: "a numeric cursor is an error", body: `{"cursor":7,"token_ids":[]}`, wantErr: true},
		{name: "ids that are not strings are an error", body: `{"cursor":"7","token_ids":[1]}`, wantErr: true},
		{name: "not JSON is an error", body: `<html>`, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseRevocationPage([]byte(tt.body))
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

func TestRevocationPagesRoundTrip(t *testing.T) {
	in := RevocationPage{Cursor: "42", TokenIDs: []string{"tok_a", "tok_b"}}
	body, err := json.Marshal(in)
	if err != nil {
		t.Fatalf("encoding: %v", err)
	}
	got, err := ParseRevocationPage(body)
	if err != nil || !reflect.DeepEqual(got, in) {
		t.Fatalf("%s read back as (%+v, %v), want %+v", body, got, err, in)
	}
}

func FuzzParseRevocationPage(f *testing.F) {
	for _, s := range []string{`{"cursor":"7","token_ids":["b","a"]}`, `{"cursor":""}`, `{"cursor":"1","token_ids":null}`, `[`, ``} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		got, err := ParseRevocationPage(body)
		if err == nil && got.Cursor == "" {
			t.Fatalf("accepted a page without a cursor: %+v", got)
		}
		if err != nil && !errors.Is(err, ErrMalformed) {
			t.Fatalf("error %v does not wrap ErrMalformed", err)
		}
	})
}
