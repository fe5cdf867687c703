package main

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/oatgate/oatgate/testenv/oidcissuer"
)

// TestServeTrustsLoopbackIssuersOnlyWithTheSwitch runs the oatstore binary
// with and without --insecure-loopback-issuers: a trust policy naming an
// http issuer on 127.0.0.1 is refused without it, and with it a CI job's ID
// token from that issuer is exchanged for a token, end to end.
func TestServeTrustsLoopbackIssuersOnlyWithTheSwitch(t *testing.T) {
	bin := buildBinary(t)
	t.Setenv("OATSTORE_ADMIN_KEY", testAdminKey)
	t.Setenv("OATSTORE_GATEWAY_KEY", testGatewayKey)
	t.Setenv("OATSTORE_INSECURE_LOOPBACK_ISSUERS", "")
	iss, err := oidcissuer.New(oidcissuer.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer iss.Close()
	policy := `{"issuer":"` + iss.URL() + `","audience":"oatgate","claims":{"repository_owner":"acme"},"scopes":["repository:acme/app:pull,push"]}`
	client := &http.Client{Timeout: 10 * time.Second}
	ctx := context.Background()
	put := func(c *child) int {
		t.Helper()
		if st, err := call(ctx, client, "PUT", c.url+"/v1/orgs/acme", testAdminKey, "application/json", strings.NewReader(`{}`), nil); err != nil || st >= 300 {
			t.Fatalf("PUT org = %d, %v", st, err)
		}
		st, err := call(ctx, client, "PUT", c.url+"/v1/orgs/acme/federation/gha", testAdminKey, "application/json", strings.NewReader(policy), nil)
		if err != nil {
			t.Fatal(err)
		}
		return st
	}

	t.Run("without the switch a loopback http issuer is refused", func(t *testing.T) {
		c := startChild(t, bin, filepath.Join(t.TempDir(), "strict.db"), "--log-level", "info")
		if st := put(c); st != http.StatusBadRequest {
			t.Errorf("PUT policy = %d, want 400", st)
		}
		c.stop(t, syscall.SIGTERM)
	})
	t.Run("with the switch a job exchanges its ID token", func(t *testing.T) {
		c := startChild(t, bin, filepath.Join(t.TempDir(), "dev.db"), "--insecure-loopback-issuers")
		if st := put(c); st != http.StatusCreated {
			t.Fatalf("PUT policy = %d, want 201", st)
		}
		jwt, err := iss.Mint(oidcissuer.GitHub("acme", "app", "refs/heads/main"))
		if err != nil {
			t.Fatal(err)
		}
		form := url.Values{
			"grant_type":         {"urn:ietf:params:oauth:grant-type:token-exchange"},
			"subject_token":      {jwt},
			"subject_token_type": {"urn:ietf:params:oauth:token-type:id_token"},
		}.Encode()
		res, err := client.Post(c.url+"/v1/token", "application/x-www-form-urlencoded", strings.NewReader(form))
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var grant struct {
			AccessToken string `json:"access_token"`
			Scope       string `json:"scope"`
		}
		if err := json.NewDecoder(res.Body).Decode(&grant); err != nil || res.StatusCode != http.StatusOK || !strings.HasPrefix(grant.AccessToken, "oat_") {
			t.Fatalf("exchange = %d %+v (%v), want an oat_ token", res.StatusCode, grant, err)
		}
		c.stop(t, syscall.SIGTERM)
		logs := c.logText()
		if !strings.Contains(logs, "insecure loopback issuers allowed") {
			t.Errorf("the log does not warn about the switch:\n%s", logs)
		}
		if strings.Contains(logs, jwt) || strings.Contains(logs, grant.AccessToken) {
			t.Errorf("the log holds the ID token or the issued token")
		}
	})
}
