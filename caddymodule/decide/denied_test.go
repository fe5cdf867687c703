package decide

import (
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/distribution/distribution/v3/registry/api/errcode"

	"github.com/oatgate/oatgate/caddymodule/access"
	"github.com/oatgate/oatgate/caddymodule/registryerr"
)

// Docker's registry client (distribution's errcode) turns an error whose
// message is exactly its code's default into a bare ErrorCode. dockerd 20.10
// then neither recognises it as final — it retries a denied layer upload for
// 50 s — nor shows the message: the user reads only "denied". A 403 must
// therefore carry its own message.
func TestDeniedParsesAsAFinalErrorWithItsMessage(t *testing.T) {
	rec := httptest.NewRecorder()
	registryerr.Write(rec, denied(access.Access{Repository: "acme/app", Action: access.Push}))
	var errs errcode.Errors
	if err := json.Unmarshal(rec.Body.Bytes(), &errs); err != nil {
		t.Fatalf("decoding %s: %v", rec.Body.Bytes(), err)
	}
	if len(errs) != 1 {
		t.Fatalf("got %d errors, want 1: %v", len(errs), errs)
	}
	got, ok := errs[0].(errcode.Error)
	if !ok {
		t.Fatalf("Docker parses the 403 as %T (%q), want errcode.Error", errs[0], errs[0])
	}
	const want = "denied: requested access to the resource is denied"
	if got.Code != errcode.ErrorCodeDenied || !strings.HasPrefix(got.Error(), want) {
		t.Errorf("Docker shows %q (code %v), want it to start with %q", got.Error(), got.Code, want)
	}
}
