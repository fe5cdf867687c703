package adversarial

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/oatgate/oatgate/testenv"
)

// fixture is the one stack of this package (Caddy is one per process) and
// what was seeded into it.
type fixture struct {
	env *testenv.Env
	// tokens by role: see TestMain.
	tokens map[string]testenv.Token
	// blob is a digest present in acme/app, acme/lib, acme/secret and globex/app.
	blob string
	// otherOrgRepos are repositories outside acme in the registry.
	otherOrgRepos []string
	// acmeRepos are the repositories in acme.
	acmeRepos []string
}

var fx *fixture

func TestMain(m *testing.M) {
	code, err := run(m)
	if err != nil {
		fmt.Fprintln(os.Stderr, "adversarial:", err)
		os.Exit(1)
	}
	os.Exit(code)
}

func run(m *testing.M) (int, error) {
	env, err := testenv.Start(testenv.Options{Gateway: map[string]any{
		// Long enough that a token is certainly still cached when revoked,
		// deactivated or expired: only the revocation feed and the expiry
		// check may stop it.
		"cache_ttl": "1h",
	}})
	if err != nil {
		return 0, err
	}
	defer env.Close()
	fx = &fixture{env: env, tokens: map[string]testenv.Token{}}
	if err := fx.seed(context.Background()); err != nil {
		return 0, fmt.Errorf("seeding: %w", err)
	}
	return m.Run(), nil
}

// Token roles. Every token lives 30 days unless its row says otherwise.
const (
	acmeAll  = "acme-all"  // acme/**: pull, push, delete
	acmeApp  = "acme-app"  // acme/app: pull, push; acme/lib: pull
	acmePull = "acme-pull" // acme/app: pull
	globex   = "globex"    // globex/**: pull, push, delete
)

func (f *fixture) seed(ctx context.Context) error {
	for _, org := range []string{"acme", "globex"} {
		if err := f.env.Admin.SetOrg(ctx, org, testenv.OrgMaxTokens); err != nil {
			return err
		}
	}
	for role, r := range map[string]struct {
		org    string
		scopes []string
	}{
		acmeAll:  {"acme", []string{"repository:acme/**:pull,push,delete"}},
		acmeApp:  {"acme", []string{"repository:acme/app:pull,push", "repository:acme/lib:pull"}},
		acmePull: {"acme", []string{"repository:acme/app:pull"}},
		globex:   {"globex", []string{"repository:globex/**:pull,push,delete"}},
	} {
		tok, err := f.env.Admin.CreateToken(ctx, r.org, testenv.TokenRequest{Label: role, Scopes: r.scopes})
		if err != nil {
			return err
		}
		f.tokens[role] = tok
	}
	config := []byte(`{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}`)
	f.blob = digestOf(config)
	f.acmeRepos = []string{"acme/app", "acme/lib", "acme/secret"}
	for i := range 6 {
		f.acmeRepos = append(f.acmeRepos, fmt.Sprintf("acme/c%02d", i))
	}
	// Other orgs' repositories sort before acme ("a-corp/", "acme-evil/")
	// and after it ("globex/"); a-corp has more than a gateway reads in one
	// catalog request, so a walk with a small n crosses many pages of names
	// the token may not see.
	for i := range 45 {
		f.otherOrgRepos = append(f.otherOrgRepos, fmt.Sprintf("a-corp/r%02d", i))
	}
	f.otherOrgRepos = append(f.otherOrgRepos, "acme-evil/x", "globex/app", "globex/secret")
	for _, repo := range append(append([]string(nil), f.acmeRepos...), f.otherOrgRepos...) {
		if err := f.pushImage(repo, config); err != nil {
			return fmt.Errorf("pushing %s: %w", repo, err)
		}
	}
	return nil
}

func digestOf(b []byte) string {
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// pushImage puts config as a blob and a manifest tagged latest into repo,
// straight to the registry (seeding is not under test).
func (f *fixture) pushImage(repo string, config []byte) error {
	reg := f.env.Registry.URL
	resp, err := http.Post(reg+"/v2/"+repo+"/blobs/uploads/", "application/octet-stream", nil)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		return fmt.Errorf("starting upload: %s", resp.Status)
	}
	loc, err := resp.Location()
	if err != nil {
		return err
	}
	q := loc.Query()
	q.Set("digest", digestOf(config))
	loc.RawQuery = q.Encode()
	if err := do(http.MethodPut, loc.String(), "application/octet-stream", config, http.StatusCreated); err != nil {
		return fmt.Errorf("finishing upload: %w", err)
	}
	manifest := fmt.Sprintf(`{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":%q,"size":%d},"layers":[]}`,
		digestOf(config), len(config))
	return do(http.MethodPut, reg+"/v2/"+repo+"/manifests/latest", "application/vnd.oci.image.manifest.v1+json", []byte(manifest), http.StatusCreated)
}

func do(method, url, contentType string, body []byte, want int) error {
	r, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	if contentType != "" {
		r.Header.Set("Content-Type", contentType)
	}
	r.Header.Set("Accept", "application/vnd.oci.image.manifest.v1+json")
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != want {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		return fmt.Errorf("%s %s: got %s, want %d: %s", method, url, resp.Status, want, bytes.TrimSpace(b))
	}
	return nil
}

// auth is the Authorization header of a role's token, with its own org as
// the username.
func (f *fixture) auth(role string) string {
	tok := f.tokens[role]
	return basic(tok.Org, tok.Secret)
}

// as returns w carrying role's credentials.
func (f *fixture) as(role string, w wire) wire { return w.with("Authorization", f.auth(role)) }

// startUpload opens an upload session in repo with role's token through the
// gateway and returns its Location (path and query).
func (f *fixture) startUpload(t *testing.T, role, repo string) string {
	t.Helper()
	resp, body := send(t, f.env.GatewayHost, f.as(role, req(http.MethodPost, "/v2/"+repo+"/blobs/uploads/")))
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("starting an upload in %s as %s: got %d %s, want 202", repo, role, resp.StatusCode, body)
	}
	loc := resp.Header.Get("Location")
	loc = strings.TrimPrefix(loc, "http://"+f.env.GatewayHost)
	if !strings.HasPrefix(loc, "/v2/"+repo+"/blobs/uploads/") {
		t.Fatalf("upload Location: got %q, want a session under /v2/%s/blobs/uploads/", loc, repo)
	}
	return loc
}

// waitForFeed waits out the revocation poll (1s by default) with margin.
func waitForFeed() { time.Sleep(2500 * time.Millisecond) }
