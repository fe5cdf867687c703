package examples

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"golang.org/x/crypto/bcrypt"

	"github.com/oatgate/oatgate/cmd/oatgate/report"
	"github.com/oatgate/oatgate/testenv"
)

// push writes a small random image to host/repo:tag with Basic credentials.
func push(t *testing.T, host, repo, user, password string) error {
	t.Helper()
	img, err := random.Image(1024, 1)
	if err != nil {
		t.Fatal(err)
	}
	ref, err := name.ParseReference(host+"/"+repo+":latest", name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	return remote.Write(ref, img, remote.WithAuth(&authn.Basic{Username: user, Password: password}), remote.WithContext(ctx(t)))
}

func pull(t *testing.T, host, repo, user, password string) error {
	t.Helper()
	ref, err := name.ParseReference(host+"/"+repo+":latest", name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	img, err := remote.Image(ref, remote.WithAuth(&authn.Basic{Username: user, Password: password}), remote.WithContext(ctx(t)))
	if err != nil {
		return err
	}
	_, err = img.RawManifest()
	return err
}

func TestMultiOrgExample(t *testing.T) {
	env, addr, _ := runExample(t, testenv.Options{}, "multi-org", nil)
	acme := newToken(t, env, "acme", "repository:acme/**:pull,push")
	globex := newToken(t, env, "globex", "repository:globex/**:pull,push")
	public := newToken(t, env, "public", "repository:public/**:pull,push")

	must(t, push(t, addr, "acme/app", "acme", acme.Secret), "acme pushes acme/app")
	must(t, push(t, addr, "globex/app", "globex", globex.Secret), "globex pushes globex/app")
	must(t, push(t, addr, "public/hello", "public", public.Secret), "public pushes public/hello")
	base := "http://" + addr
	for _, tt := range []struct {
		name, method, path, user, password string
		want                               int
	}{
		{"acme cannot read globex's repository", "GET", "/v2/globex/app/manifests/latest", "acme", acme.Secret, 403},
		{"globex cannot push to acme's repository", "POST", "/v2/acme/app/blobs/uploads/", "globex", globex.Secret, 403},
		{"anyone pulls the public namespace without logging in", "GET", "/v2/public/hello/manifests/latest", "", "", 200},
		{"an anonymous push to the public namespace is refused", "POST", "/v2/public/hello/blobs/uploads/", "", "", 401},
		{"an anonymous pull outside the public namespace is refused", "GET", "/v2/acme/app/manifests/latest", "", "", 401},
		{"the catalog still asks for credentials", "GET", "/v2/_catalog", "", "", 401},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := status(t, http.DefaultClient, tt.method, base+tt.path, tt.user, tt.password); got != tt.want {
				t.Errorf("%s %s: status %d, want %d", tt.method, tt.path, got, tt.want)
			}
		})
	}
	if err := pull(t, addr, "globex/app", "acme", acme.Secret); err == nil {
		t.Errorf("acme pulled globex/app with a docker-style client; want a refusal")
	}
	// A docker-style client logged out: it follows the Bearer challenge to
	// the token endpoint, gets an anonymous token and pulls with it.
	ref, err := name.ParseReference(addr+"/public/hello:latest", name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := remote.Image(ref, remote.WithAuth(authn.Anonymous), remote.WithContext(ctx(t))); err != nil {
		t.Errorf("a logged-out docker-style client could not pull public/hello: %v", err)
	}
	private, err := name.ParseReference(addr+"/acme/app:latest", name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := remote.Image(private, remote.WithAuth(authn.Anonymous), remote.WithContext(ctx(t))); err == nil {
		t.Errorf("a logged-out docker-style client pulled acme/app; want a refusal")
	}
}

func TestUpstreamAuthExample(t *testing.T) {
	const user, password = "gateway", "s3cret-upstream"
	hash, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	// The registry checks a bcrypt htpasswd entry, as distribution's
	// htpasswd auth does.
	htpasswd := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			u, p, ok := r.BasicAuth()
			if !ok || u != user || bcrypt.CompareHashAndPassword(hash, []byte(p)) != nil {
				w.Header().Set("WWW-Authenticate", `Basic realm="registry"`)
				http.Error(w, `{"errors":[{"code":"UNAUTHORIZED"}]}`, http.StatusUnauthorized)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
	basic := base64.StdEncoding.EncodeToString([]byte(user + ":" + password))
	env, addr, _ := runExample(t, testenv.Options{RegistryWrapper: htpasswd}, "upstream-auth", map[string]string{"REGISTRY_BASIC_AUTH": basic})
	tok := newToken(t, env, "acme", "repository:acme/**:pull,push")

	if got := status(t, http.DefaultClient, "GET", env.Registry.URL+"/v2/", "", ""); got != http.StatusUnauthorized {
		t.Fatalf("the registry without credentials answered %d; the test needs it protected (401)", got)
	}
	env.Registry.Reset()
	must(t, push(t, addr, "acme/app", "acme", tok.Secret), "pushing through the gateway")
	must(t, pull(t, addr, "acme/app", "acme", tok.Secret), "pulling through the gateway")

	seen := env.Registry.Seen()
	if len(seen) == 0 {
		t.Fatal("the registry saw no request")
	}
	for _, r := range seen {
		if got := r.Header.Get("Authorization"); got != "Basic "+basic {
			t.Errorf("%s %s reached the registry with Authorization %q, want the gateway's own", r.Method, r.Path, got)
		}
		for k, vs := range r.Header {
			for _, v := range vs {
				if strings.Contains(v, tok.Secret) {
					t.Errorf("%s %s: the client's token reached the registry in %s", r.Method, r.Path, k)
				}
			}
		}
	}
}

func TestUsageLogsExample(t *testing.T) {
	usageLog := filepath.Join(t.TempDir(), "usage.log")
	env, addr, _ := runExample(t, testenv.Options{}, "usage-logs", map[string]string{"USAGE_LOG": usageLog})
	tok := newToken(t, env, "acme", "repository:acme/**:pull,push")
	must(t, push(t, addr, "acme/app", "acme", tok.Secret), "push")
	must(t, pull(t, addr, "acme/app", "acme", tok.Secret), "pull")
	if got := status(t, http.DefaultClient, "GET", "http://"+addr+"/v2/acme/other/tags/list", "acme", "oat_not-a-token"); got != 401 {
		t.Errorf("bad token: status %d, want 401", got)
	}

	var rows []report.Row
	var counts report.Counts
	eventually(t, 5*time.Second, "usage events in "+usageLog, func() bool {
		rep, err := report.New(report.Options{Period: report.All, Org: "acme"})
		if err != nil {
			t.Fatal(err)
		}
		f, err := os.Open(usageLog)
		if err != nil {
			return false
		}
		defer f.Close()
		if err := rep.Read(usageLog, f); err != nil {
			t.Fatal(err)
		}
		rows, counts = rep.Rows(), rep.Counts()
		return total(rows, func(r report.Row) int64 { return r.Pulls }) >= 1
	})
	if counts.Malformed+counts.Foreign != 0 {
		t.Errorf("the usage file holds other lines: %+v (the default log must exclude them, the usage log hold only them)", counts)
	}
	if got := total(rows, func(r report.Row) int64 { return r.Pushes }); got != 1 {
		t.Errorf("pushes: got %d, want 1 (one manifest PUT)", got)
	}
	for _, r := range rows {
		if r.TokenID != tok.ID || r.Org != "acme" {
			t.Errorf("row %+v: want token %s of acme", r, tok.ID)
		}
	}
	// The table an operator gets from `oatgate usage-report usage.log`.
	rep, err := report.New(report.Options{})
	must(t, err, "report")
	f, err := os.Open(usageLog)
	must(t, err, "opening %s", usageLog)
	defer f.Close()
	must(t, rep.Read(usageLog, f), "reading %s", usageLog)
	var out bytes.Buffer
	must(t, rep.Write(&out, report.Table), "writing the table")
	for _, want := range []string{tok.ID, "example-acme", "acme/app", "0 malformed and 0 foreign lines skipped"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report table lacks %q:\n%s", want, out.String())
		}
	}
	t.Logf("usage-report on the example's log:\n%s", out.String())
}

func total(rows []report.Row, f func(report.Row) int64) int64 {
	var n int64
	for _, r := range rows {
		n += f(r)
	}
	return n
}

func TestReplicasExample(t *testing.T) {
	env, addrA, dir := runExample(t, testenv.Options{}, "replicas", nil)
	addrB := freeAddr(t)
	// The same Caddyfile for a second replica, in the same Caddy process:
	// its server joins the first's config.
	t.Setenv("GATEWAY_PORT", port(t, addrB))
	var a, b map[string]any
	must(t, json.Unmarshal(adaptExample(t, "replicas", dir), &b), "second replica's config")
	t.Setenv("GATEWAY_PORT", port(t, addrA))
	must(t, json.Unmarshal(adaptExample(t, "replicas", dir), &a), "first replica's config")
	servers := a["apps"].(map[string]any)["http"].(map[string]any)["servers"].(map[string]any)
	servers["replica_b"] = b["apps"].(map[string]any)["http"].(map[string]any)["servers"].(map[string]any)["srv0"]
	both, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	loadConfig(t, both)

	tok := newToken(t, env, "acme", "repository:acme/**:pull,push")
	must(t, push(t, addrA, "acme/app", "acme", tok.Secret), "push through replica A")
	for _, addr := range []string{addrA, addrB} {
		if got := status(t, http.DefaultClient, "GET", "http://"+addr+"/v2/acme/app/tags/list", "acme", tok.Secret); got != 200 {
			t.Fatalf("replica %s before revocation: status %d, want 200", addr, got)
		}
	}
	must(t, env.Admin.Revoke(ctx(t), "acme", tok.ID), "revoking")
	revoked := time.Now()
	for _, addr := range []string{addrA, addrB} {
		eventually(t, 2*time.Second-time.Since(revoked), "replica "+addr+" refusing the revoked token", func() bool {
			return status(t, http.DefaultClient, "GET", "http://"+addr+"/v2/acme/app/tags/list", "acme", tok.Secret) == 401
		})
	}
	t.Logf("both replicas refused the revoked token %s after the revocation (cache_ttl 10m)", time.Since(revoked).Round(time.Millisecond))
}

func TestTLSExample(t *testing.T) {
	httpsPort := freePort(t)
	env, _, dir := runExample(t, testenv.Options{}, "tls", map[string]string{
		"HTTPS_PORT": httpsPort, "HTTP_PORT": freePort(t), "REGISTRY_HOST": "localhost",
	})
	tok := newToken(t, env, "acme", "repository:acme/**:pull")

	rootFile := filepath.Join(dir, "caddy", "pki", "authorities", "local", "root.crt")
	var pemBytes []byte
	eventually(t, 10*time.Second, "Caddy's internal root at "+rootFile, func() bool {
		var err error
		pemBytes, err = os.ReadFile(rootFile)
		return err == nil && len(pemBytes) > 0
	})
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pemBytes) {
		t.Fatalf("%s holds no certificate", rootFile)
	}
	// Trusting only Caddy's root, as Docker does with certs.d/<host>/ca.crt.
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}, Timeout: 10 * time.Second}
	url := "https://localhost:" + httpsPort + "/v2/"
	var got int
	eventually(t, 10*time.Second, "an HTTPS login", func() bool {
		req, _ := http.NewRequest("GET", url, nil)
		req.SetBasicAuth("acme", tok.Secret)
		resp, err := client.Do(req)
		if err != nil {
			return false
		}
		resp.Body.Close()
		got = resp.StatusCode
		return true
	})
	if got != 200 {
		t.Errorf("GET %s with the token: status %d, want 200", url, got)
	}
	if s := status(t, client, "GET", url, "", ""); s != 401 {
		t.Errorf("GET %s without credentials: status %d, want 401", url, s)
	}
}
