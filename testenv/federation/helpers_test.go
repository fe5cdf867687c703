package federation

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/oatgate/oatgate/testenv"
	"github.com/oatgate/oatgate/testenv/oidcissuer"
)

// audience is what every policy of these tests asks for, as the example
// CI files do.
const audience = "oatgate"

// minted remembers every ID token the tests made, so that TestMain can
// check that no log holds one.
var minted struct {
	sync.Mutex
	tokens []string
}

// remember records an ID token for the log check and returns it.
func remember(jwt string) string {
	minted.Lock()
	minted.tokens = append(minted.tokens, jwt)
	minted.Unlock()
	return jwt
}

// mint is an ID token of iss with claims, failing t if it cannot sign.
func mint(t *testing.T, iss *oidcissuer.Issuer, claims oidcissuer.Claims) string {
	t.Helper()
	jwt, err := iss.Mint(claims)
	if err != nil {
		t.Fatalf("minting an ID token: %v", err)
	}
	return remember(jwt)
}

// trust creates org and a trust policy of it for jobs of iss whose claims
// match, granting scopes, and returns the policy's name.
func trust(t *testing.T, org string, iss *oidcissuer.Issuer, claims map[string]string, scopes ...string) string {
	t.Helper()
	ctx := testenv.Context(t, time.Minute)
	if err := env.Admin.SetOrg(ctx, org, testenv.OrgMaxTokens); err != nil {
		t.Fatalf("creating org %s: %v", org, err)
	}
	name := testenv.UniqueLabel("ci")
	p := testenv.Policy{Issuer: iss.URL(), Audience: audience, Claims: claims, Scopes: scopes}
	if err := env.Admin.PutPolicy(ctx, org, name, p); err != nil {
		t.Fatalf("setting policy %s of %s: %v", name, org, err)
	}
	return name
}

// githubJob is the claims of a GitHub Actions job of org/app on main.
func githubJob(org string) oidcissuer.Claims { return oidcissuer.GitHub(org, "app", "refs/heads/main") }

// mainOf is the conditions of a policy that trusts org/app's main branch.
func mainOf(org string) map[string]string {
	return map[string]string{"repository_owner": org, "sub": "repo:" + org + "/app:ref:refs/heads/main"}
}

// call makes one request to replica r, with Basic credentials user:password
// (none when both are empty) and header added; the body is read and closed.
func call(t *testing.T, r replica, method, path, user, password string, header http.Header) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequestWithContext(testenv.Context(t, time.Minute), method, "http://"+r.host+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	if user != "" || password != "" {
		req.SetBasicAuth(user, password)
	}
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatalf("%s %s at %s: %v", method, path, r.name, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return resp, body
}

// status is call's status only.
func status(t *testing.T, r replica, method, path, user, password string) int {
	t.Helper()
	resp, _ := call(t, r, method, path, user, password, nil)
	return resp.StatusCode
}

// wantRefusal checks a registry error answer: its status, code and a part
// of its message.
func wantRefusal(t *testing.T, resp *http.Response, body []byte, status int, code, message string) {
	t.Helper()
	var e struct {
		Errors []struct{ Code, Message string } `json:"errors"`
	}
	if resp.StatusCode != status || json.Unmarshal(body, &e) != nil || len(e.Errors) != 1 || e.Errors[0].Code != code || !strings.Contains(e.Errors[0].Message, message) {
		t.Fatalf("got %d %s, want %d %s saying %q", resp.StatusCode, bytes.TrimSpace(body), status, code, message)
	}
}

// ref is repo:tag on replica r.
func ref(t *testing.T, r replica, repo, tag string) name.Reference {
	t.Helper()
	ref, err := name.NewTag(r.host+"/"+repo+":"+tag, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	return ref
}

// as logs in with an ID token, as docker login -u org does.
func as(org, jwt string) remote.Option {
	return remote.WithAuth(&authn.Basic{Username: org, Password: jwt})
}

func randomImage(t *testing.T) v1.Image {
	t.Helper()
	img, err := random.Image(4096, 3)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func digest(t *testing.T, img v1.Image) v1.Hash {
	t.Helper()
	d, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// leakedInto names the logs that hold one of the ID tokens the tests
// minted, or part of one's signature.
func leakedInto() []string {
	minted.Lock()
	defer minted.Unlock()
	var leaks []string
	for _, file := range []string{env.UsageLog, env.CaddyLog, env.StoreLog} {
		data, err := os.ReadFile(file)
		if err != nil {
			continue // a log nothing was written to
		}
		for _, jwt := range minted.tokens {
			sig := jwt[strings.LastIndexByte(jwt, '.')+1:]
			if bytes.Contains(data, []byte(jwt)) || (len(sig) > 16 && bytes.Contains(data, []byte(sig))) {
				leaks = append(leaks, file)
				break
			}
		}
	}
	return leaks
}

// waitForReplicas waits until both replicas answer and have read the
// revocation feed.
func waitForReplicas(ctx context.Context) error {
	for _, r := range replicas {
		if _, err := testenv.Poll(10*time.Second, func() bool {
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+r.host+"/v2/", nil)
			resp, err := http.DefaultClient.Do(req)
			if err == nil {
				resp.Body.Close()
			}
			return err == nil
		}); err != nil {
			return err
		}
	}
	return env.WaitForFeed(10 * time.Second)
}
