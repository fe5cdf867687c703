package federation

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/oatgate/oatgate/testenv"
	"github.com/oatgate/oatgate/testenv/oidcissuer"
)

// A job whose ID token matches a policy of its org pushes and pulls
// through each replica, Basic (replica B) and Bearer (replica A) alike.
func TestAJobPushesAndPullsWithItsIDToken(t *testing.T) {
	const org = "fedpush"
	policy := trust(t, org, issuer, mainOf(org), "repository:"+org+"/**:pull,push")
	jwt := mint(t, issuer, githubJob(org))
	for _, r := range replicas {
		t.Run(r.name+": go-containerregistry pushes and pulls", func(t *testing.T) {
			img := randomImage(t)
			dst := ref(t, r, org+"/app", r.challenge)
			if err := remote.Write(dst, img, as(org, jwt)); err != nil {
				t.Fatalf("pushing with the job's ID token: %v", err)
			}
			back, err := remote.Image(dst, as(org, jwt))
			if err != nil {
				t.Fatalf("pulling with the job's ID token: %v", err)
			}
			if got, want := digest(t, back), digest(t, img); got != want {
				t.Fatalf("pulled %s, pushed %s", got, want)
			}
		})
		t.Run(r.name+": skopeo reads the image back", func(t *testing.T) {
			out := skopeo(t, org, jwt, "inspect", "--tls-verify=false", "docker://"+r.host+"/"+org+"/app:"+r.challenge)
			var got struct{ Digest string }
			if err := json.Unmarshal([]byte(out), &got); err != nil || !strings.HasPrefix(got.Digest, "sha256:") {
				t.Fatalf("skopeo inspect: got %q (%v), want the image's digest", out, err)
			}
		})
		t.Run(r.name+": a push outside the policy's scopes is denied", func(t *testing.T) {
			resp, body := call(t, r, "POST", "/v2/"+org+"other/app/blobs/uploads/", org, jwt, nil)
			wantRefusal(t, resp, body, 403, "DENIED", "does not grant push on "+org+"other/app")
		})
	}
	t.Run("containerd's OAuth2 password grant takes the ID token too", func(t *testing.T) {
		form := url.Values{"grant_type": {"password"}, "username": {org}, "password": {jwt},
			"service": {"oatgate"}, "scope": {"repository:" + org + "/app:pull"}}
		req, err := http.NewRequestWithContext(testenv.Context(t, time.Minute), "POST", "http://"+replicas[0].host+"/token", strings.NewReader(form.Encode()))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var tok struct {
			AccessToken string `json:"access_token"`
		}
		if resp.StatusCode != http.StatusOK || json.NewDecoder(resp.Body).Decode(&tok) != nil || tok.AccessToken == "" {
			t.Fatalf("POST /token with the ID token: %d, want 200 and a token", resp.StatusCode)
		}
		withBearer := http.Header{"Authorization": {"Bearer " + tok.AccessToken}}
		if resp, body := call(t, replicas[0], "GET", "/v2/"+org+"/app/tags/list", "", "", withBearer); resp.StatusCode != http.StatusOK {
			t.Fatalf("the bearer token from the password grant: %d %s, want 200", resp.StatusCode, body)
		}
	})
	t.Run("the policy is named in the job's usage events", func(t *testing.T) {
		resp, _ := call(t, replicas[0], "GET", "/v2/", org, jwt, http.Header{"X-Request-Id": {"fedpush-policy"}})
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET /v2/: %d, want 200", resp.StatusCode)
		}
		var evs []map[string]any
		testenv.Eventually(t, 5*time.Second, "the login's usage event", func() bool {
			evs = env.UsageEvents(t)["fedpush-policy"]
			return len(evs) == 1
		})
		if evs[0]["policy"] != policy || evs[0]["org"] != org || evs[0]["token_id"] == "" {
			t.Fatalf("usage event %v, want org %s, policy %s and a token id", evs[0], org, policy)
		}
	})
}

// skopeo runs skopeo with an auth file holding org and the ID token, so
// that the token is on no command line.
func skopeo(t *testing.T, org, jwt string, args ...string) string {
	t.Helper()
	bin := testenv.Tool(t, "skopeo")
	auth := map[string]any{"auths": map[string]any{}}
	for _, r := range replicas {
		auth["auths"].(map[string]any)[r.host] = map[string]string{"auth": base64.StdEncoding.EncodeToString([]byte(org + ":" + jwt))}
	}
	file := filepath.Join(t.TempDir(), "auth.json")
	data, _ := json.Marshal(auth)
	if err := os.WriteFile(file, data, 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, append([]string{"--insecure-policy"}, append(args, "--authfile", file)...)...)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("skopeo %s: %v", args[0], err)
	}
	return string(out)
}

// A JWT that one org's policy accepts is refused under another org's name,
// before and after it was accepted under its own: the gateway keys its
// cache by both, and the store matches only the named org's policies.
func TestAJobsIDTokenIsRefusedUnderAnotherOrgsName(t *testing.T) {
	trust(t, "fedorga", issuer, mainOf("fedorga"), "repository:fedorga/**:pull,push")
	trust(t, "fedorgb", issuer, mainOf("fedorgb"), "repository:fedorgb/**:pull,push")
	jwt := mint(t, issuer, githubJob("fedorga"))
	for _, r := range replicas {
		t.Run(r.name, func(t *testing.T) {
			for _, step := range []struct {
				user string
				want int
			}{{"fedorgb", 401}, {"fedorga", 200}, {"fedorgb", 401}} {
				resp, body := call(t, r, "GET", "/v2/", step.user, jwt, nil)
				if step.want == 200 {
					if resp.StatusCode != 200 {
						t.Fatalf("under its own org %s: %d %s, want 200", step.user, resp.StatusCode, body)
					}
					continue
				}
				wantRefusal(t, resp, body, 401, "UNAUTHORIZED", "ID token not accepted")
			}
		})
	}
}

// Tokens no policy admits, and tokens that are not what they claim, are
// refused with 401; an unsigned one without asking the store.
func TestIDTokensAPolicyDoesNotAdmitAreRefused(t *testing.T) {
	const org = "fedclaims"
	trust(t, org, issuer, mainOf(org), "repository:"+org+"/**:pull,push")
	stranger, err := oidcissuer.New(oidcissuer.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stranger.Close)
	job := githubJob(org)
	with := func(k string, v any) oidcissuer.Claims {
		c := githubJob(org)
		c[k] = v
		return c
	}
	hostile := func(f func(oidcissuer.Claims) (string, error)) func(t *testing.T) string {
		return func(t *testing.T) string {
			jwt, err := f(job)
			if err != nil {
				t.Fatal(err)
			}
			return remember(jwt)
		}
	}
	honest := func(iss *oidcissuer.Issuer, c oidcissuer.Claims) func(t *testing.T) string {
		return func(t *testing.T) string { return mint(t, iss, c) }
	}
	tests := []struct {
		name    string
		jwt     func(t *testing.T) string
		message string
		local   bool // refused by the gateway itself
	}{
		{"a job on another branch", honest(issuer, with("sub", "repo:"+org+"/app:ref:refs/heads/feature")), "ID token not accepted", false},
		{"a job of another repository owner", honest(issuer, with("repository_owner", "evil")), "ID token not accepted", false},
		{"a token for another audience", honest(issuer, with("aud", "sts.amazonaws.com")), "ID token not accepted", false},
		{"a token of an issuer no policy names", honest(stranger, job), "ID token not accepted", false},
		{"an expired token", hostile(issuer.MintExpired), "ID token not accepted", false},
		{"a token not yet valid", hostile(issuer.MintNotYetValid), "ID token not accepted", false},
		{"a token signed by a key the issuer never published", hostile(issuer.MintUnknownKid), "ID token not accepted", false},
		{"HS256 keyed with the issuer's public key", hostile(issuer.MintHS256WithPublicKey), "ID token not accepted", false},
		{"a payload that is not the one signed", func(t *testing.T) string {
			// Signed for another owner's job, presented as this org's.
			jwt, err := issuer.MintTampered(with("repository_owner", "evil"), oidcissuer.Claims{"repository_owner": org})
			if err != nil {
				t.Fatal(err)
			}
			return remember(jwt)
		}, "ID token not accepted", false},
		{"an unsigned token (alg none)", hostile(issuer.MintNone), "unsigned JWT", true},
	}
	for _, tt := range tests {
		t.Run(tt.name+" is refused", func(t *testing.T) {
			jwt := tt.jwt(t)
			before := env.Store.Introspections()
			resp, body := call(t, replicas[0], "GET", "/v2/"+org+"/app/tags/list", org, jwt, nil)
			wantRefusal(t, resp, body, 401, "UNAUTHORIZED", tt.message)
			if asked := env.Store.Introspections() - before; tt.local && asked != 0 {
				t.Fatalf("the store was asked %d times about a token the gateway can refuse itself", asked)
			}
		})
	}
}

// Deleting a policy revokes its tokens: every replica refuses the login
// within 2 s, whatever its cache TTL (1 h here), and so does a bearer
// token minted from it.
func TestDeletingThePolicyEndsTheLoginWithin2sAtEveryReplica(t *testing.T) {
	const org = "fedrevoke"
	policy := trust(t, org, issuer, mainOf(org), "repository:"+org+"/**:pull,push")
	jwt := mint(t, issuer, githubJob(org))
	if err := remote.Write(ref(t, replicas[1], org+"/app", "v1"), randomImage(t), as(org, jwt)); err != nil {
		t.Fatalf("pushing before the deletion: %v", err)
	}
	tags := "/v2/" + org + "/app/tags/list"
	for _, r := range replicas {
		if got := status(t, r, "GET", tags, org, jwt); got != http.StatusOK {
			t.Fatalf("%s before the deletion: %d, want 200", r.name, got)
		}
	}
	bearer := bearerToken(t, replicas[0], org, jwt, "repository:"+org+"/app:pull")
	withBearer := http.Header{"Authorization": {"Bearer " + bearer}}
	if resp, _ := call(t, replicas[0], "GET", tags, "", "", withBearer); resp.StatusCode != http.StatusOK {
		t.Fatalf("the bearer token before the deletion: %d, want 200", resp.StatusCode)
	}

	if _, err := env.Admin.DeletePolicy(testenv.Context(t, time.Minute), org, policy); err != nil {
		t.Fatal(err)
	}
	deleted := time.Now()
	for _, r := range replicas {
		var resp *http.Response
		var body []byte
		took := testenv.Eventually(t, 2*time.Second-time.Since(deleted), r.name+" refusing the login of the deleted policy", func() bool {
			resp, body = call(t, r, "GET", tags, org, jwt, nil)
			return resp.StatusCode == http.StatusUnauthorized
		})
		t.Logf("%s refused the login %s after the deletion", r.name, took.Round(time.Millisecond))
		wantRefusal(t, resp, body, 401, "UNAUTHORIZED", "revoked, or its trust policy deleted")
	}
	testenv.Eventually(t, 2*time.Second-time.Since(deleted), "the bearer token minted from it refused", func() bool {
		resp, _ := call(t, replicas[0], "GET", tags, "", "", withBearer)
		return resp.StatusCode == http.StatusUnauthorized
	})
}

// bearerToken asks replica r's token endpoint for a token with scope,
// logging in with the ID token, as docker does in Bearer mode.
func bearerToken(t *testing.T, r replica, org, jwt, scope string) string {
	t.Helper()
	resp, body := call(t, r, "GET", "/token?service=oatgate&scope="+scope, org, jwt, nil)
	var tok struct {
		Token string `json:"token"`
	}
	if resp.StatusCode != http.StatusOK || json.Unmarshal(body, &tok) != nil || tok.Token == "" {
		t.Fatalf("token endpoint with the ID token: %d %s, want a token", resp.StatusCode, body)
	}
	return tok.Token
}

// Each replica asks the store once about the same ID token, and both get
// the one federated token the store issued for it: their usage events name
// the same token id and policy.
func TestTwoReplicasAcceptTheSameIDTokenAsOneToken(t *testing.T) {
	const org = "fedsame"
	policy := trust(t, org, issuer, mainOf(org), "repository:"+org+"/**:pull")
	jwt := mint(t, issuer, githubJob(org))
	before := env.Store.Introspections()
	for i, r := range replicas {
		resp, body := call(t, r, "GET", "/v2/", org, jwt, http.Header{"X-Request-Id": {"fedsame-" + r.challenge}})
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: %d %s, want 200", replicas[i].name, resp.StatusCode, body)
		}
	}
	if asked := env.Store.Introspections() - before; asked != 2 {
		t.Fatalf("the store answered %d introspections, want 2: one per replica", asked)
	}
	var a, b []map[string]any
	testenv.Eventually(t, 5*time.Second, "both replicas' usage events", func() bool {
		evs := env.UsageEvents(t)
		a, b = evs["fedsame-bearer"], evs["fedsame-basic"]
		return len(a) == 1 && len(b) == 1
	})
	id, _ := a[0]["token_id"].(string)
	if id == "" || b[0]["token_id"] != id {
		t.Fatalf("token ids: replica A %v, replica B %v; want one and the same", a[0]["token_id"], b[0]["token_id"])
	}
	for _, ev := range []map[string]any{a[0], b[0]} {
		if ev["policy"] != policy || ev["org"] != org || ev["decision"] != "allow" {
			t.Fatalf("usage event %v, want an allowed login of %s under %s", ev, org, policy)
		}
	}
	t.Run("a bearer token minted by one replica names the same token and policy at the other", func(t *testing.T) {
		const other = "fedsameb"
		otherPolicy := trust(t, other, issuer, mainOf(other), "repository:"+other+"/**:pull")
		jwt := mint(t, issuer, githubJob(other))
		bearer := bearerToken(t, replicas[0], other, jwt, "repository:"+other+"/app:pull")
		resp, body := call(t, replicas[1], "GET", "/v2/", "", "", http.Header{"Authorization": {"Bearer " + bearer}, "X-Request-Id": {"fedsame-bearer-at-b"}})
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("the bearer token at replica B: %d %s, want 200", resp.StatusCode, body)
		}
		var evs []map[string]any
		testenv.Eventually(t, 5*time.Second, "replica B's usage event", func() bool {
			evs = env.UsageEvents(t)["fedsame-bearer-at-b"]
			return len(evs) == 1
		})
		if evs[0]["policy"] != otherPolicy || evs[0]["org"] != other || evs[0]["token_id"] == "" {
			t.Fatalf("usage event %v, want the federated token of %s under %s", evs[0], other, otherPolicy)
		}
	})
}

// The issuer going down after the first exchange does not end a login:
// the gateway answers from its cache, and the store, asked by a replica
// that never saw the ID token, answers from the federated token it issued;
// a new job's ID token verifies with the keys the store fetched before. A
// new job of an issuer the store never reached gets 503, not 401.
func TestALoginOutlivesItsIssuer(t *testing.T) {
	const org = "fedissuer"
	iss, err := oidcissuer.New(oidcissuer.Options{Algorithm: oidcissuer.ES256})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(iss.Close)
	trust(t, org, iss, mainOf(org), "repository:"+org+"/**:pull")
	jwt := mint(t, iss, githubJob(org))
	if got := status(t, replicas[0], "GET", "/v2/", org, jwt); got != http.StatusOK {
		t.Fatalf("the first login: %d, want 200", got)
	}
	iss.Stop()

	t.Run("the replica that exchanged it answers from its cache", func(t *testing.T) {
		if got := status(t, replicas[0], "GET", "/v2/", org, jwt); got != http.StatusOK {
			t.Fatalf("got %d, want 200", got)
		}
	})
	t.Run("a replica that never saw it gets the same token from the store", func(t *testing.T) {
		if got := status(t, replicas[1], "GET", "/v2/", org, jwt); got != http.StatusOK {
			t.Fatalf("got %d, want 200", got)
		}
	})
	t.Run("a new job of the issuer is verified with the keys the store holds", func(t *testing.T) {
		if got := status(t, replicas[0], "GET", "/v2/", org, mint(t, iss, githubJob(org))); got != http.StatusOK {
			t.Fatalf("got %d, want 200", got)
		}
	})
	t.Run("an issuer the store never reached is a 503, not a refusal", func(t *testing.T) {
		const dark = "fedissuerdown"
		down, err := oidcissuer.New(oidcissuer.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(down.Close)
		trust(t, dark, down, mainOf(dark), "repository:"+dark+"/**:pull")
		down.Stop()
		resp, body := call(t, replicas[0], "GET", "/v2/", dark, mint(t, down, githubJob(dark)), nil)
		wantRefusal(t, resp, body, 503, "UNAVAILABLE", "")
		if resp.Header.Get("Retry-After") == "" {
			t.Error("503 without Retry-After")
		}
	})
}

// An ID token with many claims is still a password: 6 KiB of claims fit
// the Basic header the gateway reads (up to 12 KiB).
func TestALargeIDTokenFitsTheBasicHeader(t *testing.T) {
	const org = "fedlarge"
	trust(t, org, issuer, mainOf(org), "repository:"+org+"/**:pull")
	claims := githubJob(org)
	claims["padding"] = strings.Repeat("p", 4<<10)
	jwt := mint(t, issuer, claims)
	if len(jwt) < 6<<10 {
		t.Fatalf("the token is %d bytes, want at least 6 KiB", len(jwt))
	}
	for _, r := range replicas {
		if got := status(t, r, "GET", "/v2/", org, jwt); got != http.StatusOK {
			t.Fatalf("%s: %d, want 200", r.name, got)
		}
	}
}

// An org at its bound on active federated tokens (max_federated_tokens)
// refuses a new job's login with 429, while the jobs that hold one keep
// working, on every replica.
func TestAnOrgAtItsFederatedTokenLimitTellsTheNextJobToWait(t *testing.T) {
	const org = "fedlimit"
	trust(t, org, issuer, mainOf(org), "repository:"+org+"/**:pull")
	if err := env.Admin.SetMaxFederatedTokens(testenv.Context(t, time.Minute), org, 1); err != nil {
		t.Fatal(err)
	}
	first := mint(t, issuer, githubJob(org))
	if got := status(t, replicas[0], "GET", "/v2/", org, first); got != http.StatusOK {
		t.Fatalf("the first job: %d, want 200", got)
	}
	second := mint(t, issuer, githubJob(org))
	resp, body := call(t, replicas[0], "GET", "/v2/", org, second, nil)
	wantRefusal(t, resp, body, 429, "TOOMANYREQUESTS", "as many active CI job tokens as it allows")
	if resp.Header.Get("Retry-After") == "" {
		t.Error("429 without Retry-After")
	}
	for _, r := range replicas {
		if got := status(t, r, "GET", "/v2/", org, first); got != http.StatusOK {
			t.Fatalf("the first job at %s after the refusal: %d, want 200", r.name, got)
		}
	}
}
