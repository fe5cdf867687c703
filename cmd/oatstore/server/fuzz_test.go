package server

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

func FuzzParseExpiresIn(f *testing.F) {
	for _, s := range []string{"30d", "90d", "none", "never", "12h", "0d", "-1d", "+5d", "99999d", "1y", "d", "", "٣d", "1e3d"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e, err := parseExpiresIn(s)
		if err != nil {
			if e != (expiry{}) {
				t.Errorf("parseExpiresIn(%q) failed but returned %+v", s, e)
			}
			return
		}
		if !e.set || (!e.never && e.in <= 0) {
			t.Errorf("parseExpiresIn(%q) = %+v, want never or a positive duration", s, e)
		}
	})
}

func FuzzDecodeCreateBody(f *testing.F) {
	for _, s := range []string{
		`{"label":"ci","scopes":["repository:acme/app:pull"],"expires_in":"30d"}`,
		`{"label":"ci","expires_at":"2027-01-01T00:00:00Z"}`,
		`{"label":5}`, `{"x":1}`, `{`, ``, `[]`, `null`, `{} {}`, `{"scopes":null}`, `{"label":"\u0000"}`,
		`{"label":"a","label":"b"}`, `{"SCOPES":["x"]}`, `{"scopes":[{"a":1,"a":2}]}`, `{"l\u0061bel":"a","label":"b"}`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		w := httptest.NewRecorder()
		r := httptest.NewRequest("POST", "/", strings.NewReader(body))
		var req createRequest
		ok := decode(w, r, &req)
		if ok && w.Code != http.StatusOK {
			t.Fatalf("decode accepted %q but answered %d", body, w.Code)
		}
		if !ok && (w.Code < 400 || w.Code >= 500 || !strings.HasPrefix(w.Body.String(), `{"error":{"code":`)) {
			t.Fatalf("decode refused %q with %d %s, want a 4xx JSON error", body, w.Code, w.Body)
		}
		if ok {
			// What decode accepts names each field once, in its own case.
			var keys map[string]json.RawMessage
			if err := json.Unmarshal([]byte(body), &keys); err == nil {
				for k := range keys {
					if f := jsonFields(&req); !slices.Contains(f, k) {
						t.Fatalf("decode accepted %q whose key %q is no field of %v", body, k, f)
					}
				}
			}
			// What passes decode must survive the validators without panicking.
			_ = checkLabel(req.Label)
			_ = checkDescription(req.Description)
			if req.ExpiresIn != nil {
				_, _ = parseExpiresIn(*req.ExpiresIn)
			}
		}
	})
}

func FuzzValidators(f *testing.F) {
	for _, s := range []string{"ci", "", " ci", "a\nb", strings.Repeat("é", 65), "\xff", "tok_aaaaaaaaaaaaaaaaaaaaaaaaaa"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if checkLabel(s) == nil && (s == "" || !utf8.ValidString(s) || utf8.RuneCountInString(s) > maxLabel) {
			t.Errorf("checkLabel accepted %q", s)
		}
		if checkDescription(s) == nil && (!utf8.ValidString(s) || utf8.RuneCountInString(s) > maxDescription || strings.IndexFunc(s, func(r rune) bool { return unicode.In(r, notPlain...) }) >= 0) {
			t.Errorf("checkDescription accepted %q", s)
		}
		if validTokenID(s) && (!strings.HasPrefix(s, tokenIDPrefix) || len(s) != 30) {
			t.Errorf("validTokenID accepted %q", s)
		}
	})
}
