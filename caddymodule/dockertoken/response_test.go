package dockertoken

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestWriteToken(t *testing.T) {
	m := mint(t, mustSigner(t, mustKey(t, storeKey), 0), oat, nil, t0)
	w := httptest.NewRecorder()
	WriteToken(w, m)
	var body map[string]any
	if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
		t.Fatalf("the answer is not JSON: %v", err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"status is 200", w.Code, http.StatusOK},
		{"it is JSON", w.Header().Get("Content-Type"), "application/json"},
		{"no cache keeps it", w.Header().Get("Cache-Control"), "no-store"},
		{"token is the JWT", body["token"], m.Raw},
		{"access_token is the same JWT", body["access_token"], m.Raw},
		{"token_type is Bearer", body["token_type"], "Bearer"},
		{"expires_in is in seconds", body["expires_in"], float64(300)},
		{"issued_at is RFC 3339 in UTC", body["issued_at"], "2026-12-03T04:00:00Z"},
		{"there is no refresh_token", body["refresh_token"], nil},
	}
	for _, c := range checks {
		t.Run(c.name, func(t *testing.T) {
			if c.got != c.want {
				t.Fatalf("got %v; want %v", c.got, c.want)
			}
		})
	}
}

func TestWriteError(t *testing.T) {
	tests := []struct {
		name       string
		err        *Error
		wantStatus int
		header     string
		wantHeader string
	}{
		{"bad credentials get 401 with a Basic challenge", BadCredentials("unknown access token"), 401, "WWW-Authenticate", `Basic realm="oatgate", charset="UTF-8"`},
		{"a bad request gets 400", BadRequest("service is given more than once"), 400, "WWW-Authenticate", ""},
		{"a wrong method gets 405 with Allow", &Error{Code: CodeInvalidRequest, Description: "x", Status: 405}, 405, "Allow", "GET, POST"},
		{"a store outage gets 503 with Retry-After", Unavailable(), 503, "Retry-After", RetryAfter},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := httptest.NewRecorder()
			WriteError(w, tt.err, "oatgate")
			if w.Code != tt.wantStatus || w.Header().Get(tt.header) != tt.wantHeader {
				t.Fatalf("status %d, %s %q; want %d, %q", w.Code, tt.header, w.Header().Get(tt.header), tt.wantStatus, tt.wantHeader)
			}
			var body map[string]string
			if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
				t.Fatalf("the answer is not JSON: %v", err)
			}
			// "details" is what distribution's client (docker) shows.
			if body["error"] != tt.err.Code || body["error_description"] != tt.err.Description || body["details"] != tt.err.Description {
				t.Fatalf("body %v; want error %q with description and details %q", body, tt.err.Code, tt.err.Description)
			}
		})
	}
}
