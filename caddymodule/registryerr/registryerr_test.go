package registryerr

import (
	"encoding/json"
	"net/http/httptest"
	"testing"
)

func TestWriteIsARegistryEnvelope(t *testing.T) {
	tests := []struct {
		name        string
		err         *Error
		wantStatus  int
		wantCode    string
		wantMessage string
	}{
		{"default message", New(Denied, ""), 403, "DENIED", Denied.Message},
		{"detail replaces message", New(NameInvalid, "repository name must be lowercase"), 400, "NAME_INVALID", "repository name must be lowercase"},
		{"control characters and quotes stay valid JSON", New(NotFound, "a\"b\\c\x00\x1f\x7f<tag>"), 404, "NOT_FOUND", "a\"b\\c\x00\x1f\x7f<tag>"},
		{"invalid UTF-8 still decodes", New(Unsupported, "bad \xff byte"), 405, "UNSUPPORTED", "bad \ufffd byte"},
		{"outage", New(Unavailable, ""), 503, "UNAVAILABLE", Unavailable.Message},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			rec.Header().Set("WWW-Authenticate", `Basic realm="x"`)
			Write(rec, tt.err)
			if rec.Code != tt.wantStatus {
				t.Errorf("status = %d, want %d", rec.Code, tt.wantStatus)
			}
			if got := rec.Header().Get(APIVersionHeader); got != "registry/2.0" {
				t.Errorf("%s = %q, want registry/2.0", APIVersionHeader, got)
			}
			if got := rec.Header().Get("WWW-Authenticate"); got != `Basic realm="x"` {
				t.Errorf("WWW-Authenticate was not kept: %q", got)
			}
			var env struct {
				Errors []struct{ Code, Message string }
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &env); err != nil {
				t.Fatalf("body %q is not JSON: %v", rec.Body.String(), err)
			}
			if len(env.Errors) != 1 || env.Errors[0].Code != tt.wantCode || env.Errors[0].Message != tt.wantMessage {
				t.Errorf("body = %+v, want one error %s %q", env, tt.wantCode, tt.wantMessage)
			}
		})
	}
}
