package server_test

import (
	"bytes"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestNoSecretAtRest drives every call that touches a token and then looks
// for the secrets in the database files, every log line (at debug level) and
// every management answer after the create.
func TestNoSecretAtRest(t *testing.T) {
	e := newEnv(t, "")
	e.putOrg("acme", `{}`)
	var secrets []string
	var answers bytes.Buffer
	for i, label := range []string{"a", "b", "c"} {
		tok := e.create("acme", ciToken(label))
		secrets = append(secrets, tok.Secret)
		path := "/v1/orgs/acme/tokens/" + tok.ID
		e.introspect(tok.Secret)
		for _, r := range []response{
			e.admin("GET", path, nil),
			e.admin("GET", "/v1/orgs/acme/tokens", nil),
			e.admin("PATCH", path, `{"description":"rotated"}`),
			e.admin("POST", path+"/deactivate", nil),
		} {
			answers.Write(r.body)
		}
		// A secret sent as X-Oatstore-Actor is not recorded as whom a change is made for, the change itself
		// being recorded.
		e.mustStatus(e.do("PATCH", path, adminKey, "application/json", strings.NewReader(`{"description":"for a secret"}`), "X-Oatstore-Actor", tok.Secret), http.StatusOK)
		e.mustStatus(e.do("PATCH", path, adminKey, "application/json", strings.NewReader(`{"description":"for a key"}`), "X-Oatstore-Actor", aliceKey), http.StatusOK)
		if i > 0 {
			e.mustStatus(e.admin("DELETE", path, nil), http.StatusOK)
		}
		if i > 1 {
			e.mustStatus(e.admin("DELETE", path+"?purge=true", nil), http.StatusNoContent)
		}
		// A client that mistakenly sends the secret in a header or the query
		// must not get it logged either.
		e.do("GET", "/v1/orgs/acme?token="+tok.Secret, tok.Secret, "", nil, "X-Oatstore-Actor", tok.Secret)
	}
	// A management token used as the credential is a secret like the
	// others.
	mgr := e.create("acme", map[string]any{"label": "owners", "scopes": []string{"org:tokens:write", "repository:acme/app:pull"}})
	secrets = append(secrets, mgr.Secret)
	e.mustStatus(e.do("POST", "/v1/orgs/acme/tokens", mgr.Secret, "application/json", strings.NewReader(`{"label":"by-owner","scopes":["repository:acme/app:pull"]}`)), http.StatusCreated)
	e.mustStatus(e.do("GET", "/v1/whoami", mgr.Secret, "", nil), http.StatusOK)
	secrets = append(secrets, adminKey, aliceKey)
	answers.Write(e.admin("GET", "/v1/orgs/acme/audit", nil).body)
	e.stop() // flush last-used writes and close the database

	blobs := map[string][]byte{"the log": []byte(e.logs.String()), "the management answers": answers.Bytes()}
	files, err := filepath.Glob(e.dbPath + "*")
	if err != nil || len(files) == 0 {
		t.Fatalf("no database files at %s: %v", e.dbPath, err)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatalf("reading %s: %v", f, err)
		}
		blobs[filepath.Base(f)] = b
	}
	if !strings.Contains(e.logs.String(), `"msg":"request"`) {
		t.Fatalf("the log holds no request lines; the check would prove nothing:\n%s", e.logs.String())
	}
	for i, s := range secrets {
		for name, b := range blobs {
			t.Run("secret "+strconv.Itoa(i)+" is not in "+name, func(t *testing.T) {
				// The body without its prefix too: a store must not keep
				// the secret in any spelling.
				if bytes.Contains(b, []byte(s)) || bytes.Contains(b, []byte(s[4:])) {
					t.Errorf("%s contains a token secret", name)
				}
			})
		}
	}
}
