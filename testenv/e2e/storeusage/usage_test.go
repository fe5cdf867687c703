// Package storeusage proves issue 16 end to end: requests through two
// gateway replicas, reported in the background, read back from the store's
// usage and activity APIs exactly, on SQLite and on PostgreSQL, across a
// store outage.
package storeusage

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/oatgate/oatgate/cmd/oatstore/store"
	"github.com/oatgate/oatgate/cmd/oatstore/store/postgres/pgtest"
	"github.com/oatgate/oatgate/testenv"
)

// TestMain runs one throwaway PostgreSQL server for the package.
func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// interval is the replicas' usage_report_interval: short, so that the
// test waits little, and long enough that an outage spans several.
const interval = 200 * time.Millisecond

func TestUsageIsExactThroughTwoGatewayReplicas(t *testing.T) {
	for _, backend := range []struct {
		name string
		dsn  func(t testing.TB) string
	}{
		{"on SQLite", func(testing.TB) string { return "" }},
		{"on PostgreSQL", pgtest.NewDatabase},
	} {
		t.Run(backend.name, func(t *testing.T) { exactThroughReplicas(t, backend.dsn(t)) })
	}
}

// client is one token's way to the gateway replicas, every request noted
// in the ledger.
type client struct {
	t   *testing.T
	env *testenv.Env
	l   *ledger
	tok testenv.Token
}

// call sends one request through replica (0: the gateway, 1: the other)
// and returns its status.
func (c *client) call(replica int, method, path string, header http.Header) int {
	c.t.Helper()
	base := c.env.GatewayURL
	if replica == 1 {
		base = c.env.ReplicaURLs[0]
	}
	resp := c.env.CallAt(c.t, base, method, path, c.tok.Org, c.tok.Secret, header)
	c.l.note(c.t, c.tok.ID, method, path, resp.StatusCode)
	return resp.StatusCode
}

// remote is a go-containerregistry option set for replica, as docker
// would talk to it: bearer tokens from its token endpoint.
func (c *client) remote(replica int) []remote.Option {
	return []remote.Option{
		remote.WithAuth(&authn.Basic{Username: c.tok.Org, Password: c.tok.Secret}),
		remote.WithTransport(&recording{t: c.t, l: c.l, tokenID: c.tok.ID, next: http.DefaultTransport}),
	}
}

func (c *client) ref(replica int, repo string) name.Reference {
	c.t.Helper()
	host := strings.TrimPrefix(c.env.GatewayURL, "http://")
	if replica == 1 {
		host = strings.TrimPrefix(c.env.ReplicaURLs[0], "http://")
	}
	r, err := name.ParseReference(host+"/"+repo, name.Insecure)
	if err != nil {
		c.t.Fatal(err)
	}
	return r
}

var manifestAccept = http.Header{"Accept": {"application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json"}}

func exactThroughReplicas(t *testing.T, dsn string) {
	env, err := testenv.Start(testenv.Options{
		StoreDSN:        dsn,
		GatewayReplicas: 1,
		Gateway: map[string]any{
			"usage_report_interval": interval.String(),
			// Tokens stay cached through the outage.
			"cache_ttl": "1h", "max_stale": "2h",
		},
	})
	if err != nil {
		t.Fatalf("starting testenv: %v", err)
	}
	defer env.Close()
	ctx := testenv.Context(t, 5*time.Minute)
	l := newLedger()
	const org = "usage"
	ci := &client{t, env, l, env.MintToken(t, org, "repository:usage/**:pull,push,delete")}
	reader := &client{t, env, l, env.MintToken(t, org, "repository:usage/app:pull")}
	old := &client{t, env, l, env.MintToken(t, org, "repository:usage/app:pull")}

	// Pushes: v1 and v2 through the gateway, v3 through the replica.
	img, err := random.Image(1024, 1)
	if err != nil {
		t.Fatal(err)
	}
	digest, _ := img.Digest()
	if err := remote.Write(ci.ref(0, "usage/app:v1"), img, ci.remote(0)...); err != nil {
		t.Fatalf("pushing v1: %v", err)
	}
	desc, err := remote.Get(ci.ref(0, "usage/app:v1"), ci.remote(0)...)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Tag(ci.ref(0, "usage/app:v2").(name.Tag), desc, ci.remote(0)...); err != nil {
		t.Fatalf("tagging v2: %v", err)
	}
	if err := remote.Tag(ci.ref(1, "usage/app:v3").(name.Tag), desc, ci.remote(1)...); err != nil {
		t.Fatalf("tagging v3 through the replica: %v", err)
	}

	want := func(status, got int, what string) {
		t.Helper()
		if got != status {
			t.Fatalf("%s: status %d, want %d", what, got, status)
		}
	}
	// Pulls and version checks on both replicas, a miss, and denials.
	for replica := range 2 {
		for range 3 {
			want(200, reader.call(replica, "GET", "/v2/usage/app/manifests/v1", manifestAccept), "a pull")
		}
		for range 2 {
			want(200, reader.call(replica, "HEAD", "/v2/usage/app/manifests/v2", manifestAccept), "a version check")
		}
		want(404, reader.call(replica, "GET", "/v2/usage/app/manifests/nope", manifestAccept), "a pull of a missing tag")
		want(403, reader.call(replica, "PUT", "/v2/usage/app/manifests/v9", http.Header{"Content-Type": {"application/vnd.docker.distribution.manifest.v2+json"}}), "a push without push")
		want(403, reader.call(replica, "GET", "/v2/usage/other/manifests/v1", manifestAccept), "a pull outside the scope")
		want(200, old.call(replica, "GET", "/v2/usage/app/manifests/v1", manifestAccept), "a pull by the token to be revoked")
	}

	// A store outage: both replicas keep serving cached tokens, and keep
	// what they count until the store is back.
	if err := env.StopStore(); err != nil {
		t.Fatal(err)
	}
	for replica := range 2 {
		for range 2 {
			want(200, ci.call(replica, "GET", "/v2/usage/app/manifests/v3", manifestAccept), "a pull during the outage")
		}
		want(200, ci.call(replica, "HEAD", "/v2/usage/app/manifests/v3", manifestAccept), "a version check during the outage")
	}
	time.Sleep(4 * interval) // several intervals' batches fail and stay queued
	if err := env.RestartStore(); err != nil {
		t.Fatal(err)
	}

	// A revoked token, presented on both replicas.
	if err := env.Admin.Revoke(ctx, org, old.tok.ID); err != nil {
		t.Fatal(err)
	}
	for replica := range 2 {
		testenv.Eventually(t, 10*time.Second, "the revoked token refused", func() bool {
			return old.call(replica, "GET", "/v2/usage/app/manifests/v1", manifestAccept) == http.StatusUnauthorized
		})
		want(401, old.call(replica, "GET", "/v2/usage/app/tags/list", nil), "the revoked token again")
	}
	// A delete through the replica.
	want(202, ci.call(1, "DELETE", "/v2/usage/app/manifests/"+digest.String(), nil), "a delete")

	// Everything arrives, exactly once.
	wantTotal := l.total()
	var rows []store.UsageRow
	testenv.Eventually(t, 30*time.Second, "every request reported", func() bool {
		rows, err = env.Admin.Usage(ctx, org, url.Values{"period": {"day"}})
		if err != nil {
			t.Fatal(err)
		}
		var n int64
		for _, r := range rows {
			n += r.Requests
		}
		return n >= wantTotal
	})
	time.Sleep(3 * interval) // a double count would show up by now
	rows, err = env.Admin.Usage(ctx, org, url.Values{"period": {"day"}})
	if err != nil {
		t.Fatal(err)
	}
	checkUsage(t, l, rows, loggedBytes(t, env.UsageLog))
	checkActivity(t, ctx, env, org, ci.tok, old.tok, l.refused[old.tok.ID], digest.String())

	t.Run("the token shows where it was last used from", func(t *testing.T) {
		var tok store.Token
		res := env.CallAt(t, env.Store.URL, "GET", "/v1/orgs/"+org+"/tokens/"+ci.tok.ID, "", "", http.Header{"Authorization": {"Bearer " + env.AdminKey}})
		if err := jsonBody(res, &tok); err != nil {
			t.Fatal(err)
		}
		if tok.LastUsedIP != "127.0.0.1" || !strings.Contains(tok.LastUserAgent, "Go-http-client") || tok.LastUsedAt == nil {
			t.Fatalf("last use %v from %q with %q; want 127.0.0.1 and the test's Go client", tok.LastUsedAt, tok.LastUsedIP, tok.LastUserAgent)
		}
	})
}

// checkUsage compares the store's rows with the ledger, counter by
// counter, and the bytes with the usage log's.
func checkUsage(t *testing.T, l *ledger, rows []store.UsageRow, logged map[string][2]int64) {
	t.Helper()
	got := map[string]store.UsageRow{}
	for _, r := range rows {
		got[r.TokenID+" "+r.Repository] = r
	}
	var keys []string
	for k := range l.rows {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		w, g := *l.rows[k], got[k]
		t.Logf("%-45s requests %3d pulls %2d checks %2d pushes %d deletes %d denied %d | store: %3d %2d %2d %d %d %d, bytes in %d out %d",
			k, w.Requests, w.Pulls, w.VersionChecks, w.Pushes, w.Deletes, w.Denied, g.Requests, g.Pulls, g.VersionChecks, g.Pushes, g.Deletes, g.Denied, g.BytesIn, g.BytesOut)
		if g.Requests != w.Requests || g.Pulls != w.Pulls || g.VersionChecks != w.VersionChecks || g.Pushes != w.Pushes || g.Deletes != w.Deletes || g.Denied != w.Denied {
			t.Errorf("%s: the store says %+v, the client made %+v", k, g, w)
		}
		if b := logged[k]; g.BytesIn != b[0] || g.BytesOut != b[1] {
			t.Errorf("%s: the store says %d bytes in and %d out, the usage log %d and %d", k, g.BytesIn, g.BytesOut, b[0], b[1])
		}
		delete(got, k)
	}
	for k, r := range got {
		t.Errorf("the store has a row no request made: %s %+v", k, r)
	}
	var pushes int64
	for _, r := range l.rows {
		pushes += r.Pushes
	}
	if pushes != 3 {
		t.Errorf("the client pushed %d manifests, want the script's 3", pushes)
	}
}

// checkActivity wants ci's three pushes and its delete, and one
// token.inactive_used per refusal of the revoked token, beside the audit.
func checkActivity(t *testing.T, ctx context.Context, env *testenv.Env, org string, ci, old testenv.Token, refusals int, digest string) {
	t.Helper()
	entries, err := env.Admin.Activity(ctx, org, url.Values{"token": {ci.ID}, "limit": {"2"}})
	if err != nil {
		t.Fatal(err)
	}
	var trail []string
	for _, e := range entries {
		trail = append(trail, fmt.Sprintf("%s %s %s", e.Action, e.Tag, e.Digest))
	}
	sort.Strings(trail)
	wantTrail := []string{"registry.delete  " + digest, "registry.push v1 " + digest, "registry.push v2 " + digest, "registry.push v3 " + digest, "token.created  "}
	if strings.Join(trail, "\n") != strings.Join(wantTrail, "\n") {
		t.Errorf("ci's trail:\n%s\nwant:\n%s", strings.Join(trail, "\n"), strings.Join(wantTrail, "\n"))
	}
	entries, err = env.Admin.Activity(ctx, org, url.Values{"token": {old.ID}})
	if err != nil {
		t.Fatal(err)
	}
	counts := map[string]int{}
	for _, e := range entries {
		counts[e.Action]++
		if e.Action == "token.inactive_used" && (e.Reason != "revoked" || e.ClientIP != "127.0.0.1") {
			t.Errorf("an inactive presentation without its reason or address: %+v", e)
		}
	}
	if counts["token.inactive_used"] != refusals || counts["token.revoked"] != 1 || counts["token.created"] != 1 || refusals < 4 {
		t.Errorf("the revoked token's trail %v, want %d token.inactive_used (one per refusal, at least 4), one token.revoked and one token.created", counts, refusals)
	}
	// Newest first: the last refusal comes before the revocation.
	if len(entries) == 0 || entries[0].Action != "token.inactive_used" || entries[len(entries)-1].Action != "token.created" {
		t.Errorf("the trail is not newest first: %v ... %v", entries[0].Action, entries[len(entries)-1].Action)
	}
}
