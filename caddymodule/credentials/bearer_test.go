package credentials

import (
	"net/http"
	"strings"
	"testing"
)

func TestBearer(t *testing.T) {
	tests := []struct {
		name   string
		header []string
		want   string
		wantOK bool
	}{
		{"a bearer token is read", []string{"Bearer abc.def.ghi"}, "abc.def.ghi", true},
		{"the scheme is case-insensitive", []string{"bearer abc"}, "abc", true},
		{"spaces around the token are dropped", []string{"Bearer  abc "}, "abc", true},
		{"an empty bearer token is read as empty", []string{"Bearer "}, "", true},
		{"no header is no bearer token", nil, "", false},
		{"basic credentials are no bearer token", []string{"Basic YWNtZTpvYXQ="}, "", false},
		{"a scheme that starts like bearer is no bearer token", []string{"Bearerx abc"}, "", false},
		{"two headers are no bearer token", []string{"Bearer a", "Bearer b"}, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			if tt.header != nil {
				h["Authorization"] = tt.header
			}
			got, ok := Bearer(h)
			if got != tt.want || ok != tt.wantOK {
				t.Fatalf("got (%q, %v), want (%q, %v)", got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

func FuzzBearer(f *testing.F) {
	for _, s := range []string{"Bearer abc", "bearer  x ", "Basic YWNtZTpvYXQ=", "Bearer", "BEARER \t", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, header string) {
		tok, ok := Bearer(http.Header{"Authorization": {header}})
		if !ok {
			if tok != "" {
				t.Fatalf("not a bearer header %q, yet token %q", header, tok)
			}
			return
		}
		if len(header) < 7 || !strings.EqualFold(header[:7], "Bearer ") {
			t.Fatalf("header %q read as bearer", header)
		}
		if tok != strings.TrimSpace(tok) || !strings.Contains(header, tok) {
			t.Fatalf("header %q gave token %q", header, tok)
		}
		if _, err := FromRequest(http.Header{"Authorization": {header}}); err == nil {
			t.Fatalf("header %q is read both as bearer and as Basic", header)
		}
	})
}
