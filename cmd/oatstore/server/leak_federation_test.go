package server_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/oatgate/oatgate/testenv/oidcissuer"
)

// TestNoIDTokenAtRest drives every federation call with ID tokens,
// accepted and refused, and then looks for them (and the secrets issued
// for them) in the database files, every log line at debug level and every
// management answer: a JWT is a credential until it expires.
func TestNoIDTokenAtRest(t *testing.T) {
	e := newEnv(t, "")
	iss, err := oidcissuer.New(oidcissuer.Options{Now: e.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer iss.Close()
	e.putOrg("acme", `{}`)
	e.mustStatus(e.admin("PUT", "/v1/orgs/acme/federation/gha", map[string]any{
		"issuer": iss.URL(), "audience": "oatgate",
		"claims": map[string]string{"repository_owner": "acme"}, "scopes": []string{"repository:acme/app:pull"},
	}), http.StatusCreated)
	job := oidcissuer.GitHub("acme", "app", "refs/heads/main")
	mint := func(m func(oidcissuer.Claims) (string, error), c oidcissuer.Claims) string {
		jwt, err := m(c)
		if err != nil {
			t.Fatal(err)
		}
		return jwt
	}
	exchanged := mint(iss.Mint, job)
	login := mint(iss.Mint, job)
	refused := []string{
		mint(iss.MintExpired, job),
		mint(func(c oidcissuer.Claims) (string, error) { return iss.MintTampered(c, oidcissuer.Claims{"sub": "x"}) }, job),
		mint(iss.MintUnknownKid, job),
	}
	form := func(jwt string) *strings.Reader {
		return strings.NewReader(url.Values{
			"grant_type":         {"urn:ietf:params:oauth:grant-type:token-exchange"},
			"subject_token":      {jwt},
			"subject_token_type": {"urn:ietf:params:oauth:token-type:id_token"},
		}.Encode())
	}
	const formType = "application/x-www-form-urlencoded"
	r := e.do("POST", "/v1/token", "", formType, form(exchanged))
	e.mustStatus(r, http.StatusOK)
	var grant struct {
		AccessToken string `json:"access_token"`
	}
	r.json(t, &grant)
	e.mustStatus(e.do("POST", "/v1/introspect", gatewayKey, formType, strings.NewReader(url.Values{"token": {login}, "org": {"acme"}}.Encode())), http.StatusOK)
	for _, jwt := range refused {
		e.mustStatus(e.do("POST", "/v1/token", "", formType, form(jwt)), http.StatusBadRequest)
		e.mustStatus(e.do("POST", "/v1/introspect", gatewayKey, formType, strings.NewReader(url.Values{"token": {jwt}, "org": {"acme"}}.Encode())), http.StatusOK)
	}
	// A JWT in the URL is refused, and not logged either.
	e.do("POST", "/v1/token?subject_token="+exchanged, "", formType, form(exchanged))

	var answers bytes.Buffer
	for _, path := range []string{"/v1/orgs/acme/tokens", "/v1/orgs/acme/federation"} {
		answers.Write(e.admin("GET", path, nil).body)
	}
	auditAnswer := e.admin("GET", "/v1/orgs/acme/audit?limit=500", nil)
	answers.Write(auditAnswer.body)
	var audit struct{ Entries []json.RawMessage }
	if auditAnswer.json(t, &audit); len(audit.Entries) == 0 {
		t.Fatalf("no audit entries; the check would prove nothing")
	}
	e.stop()

	blobs := map[string][]byte{"the log": []byte(e.logs.String()), "the management answers": answers.Bytes()}
	files, err := filepath.Glob(e.dbPath + "*")
	if err != nil || len(files) == 0 {
		t.Fatalf("no database files at %s: %v", e.dbPath, err)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		blobs[filepath.Base(f)] = b
	}
	if !strings.Contains(e.logs.String(), `"msg":"federated token refused"`) || !strings.Contains(e.logs.String(), `"msg":"federated token issued"`) {
		t.Fatalf("the log holds no federation lines; the check would prove nothing:\n%s", e.logs.String())
	}
	secrets := map[string]string{"the exchanged ID token": exchanged, "the login's ID token": login, "the issued token": grant.AccessToken}
	for i, jwt := range refused {
		secrets["refused ID token "+string(rune('a'+i))] = jwt
	}
	for what, s := range secrets {
		for name, b := range blobs {
			t.Run(what+" is not in "+name, func(t *testing.T) {
				// A JWT's signature alone is what makes it a credential.
				sig := s[strings.LastIndexByte(s, '.')+1:]
				if bytes.Contains(b, []byte(s)) || (len(sig) > 20 && bytes.Contains(b, []byte(sig))) {
					t.Errorf("%s contains %s", name, what)
				}
			})
		}
	}
}
