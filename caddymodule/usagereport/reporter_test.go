package usagereport

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/oatgate/oatgate/caddymodule/storeapi"
	"github.com/oatgate/oatgate/caddymodule/usage"
	"github.com/oatgate/oatgate/cmd/oatstore/adminkeys"
	"github.com/oatgate/oatgate/cmd/oatstore/server"
	"github.com/oatgate/oatgate/cmd/oatstore/store"
	"github.com/oatgate/oatgate/cmd/oatstore/store/sqlite"
)

const (
	adminKey   = "usagereport-admin-key-0123456789abcdef"
	gatewayKey = "usagereport-gateway-key-0123456789abcdef"
)

// T0 is when the scripted requests happen.
var T0 = time.Date(2026, 12, 3, 7, 20, 0, 0, time.UTC)

// realStore is a real oatstore on SQLite behind a switch that can take it
// down (503 before it sees the batch) or lose its answer (the batch is
// applied, then the connection is cut).
type realStore struct {
	db       *sqlite.Store
	url      string
	down     atomic.Bool
	loseNext atomic.Int32
	posts    atomic.Int64
	// poison, when set, is a repository whose batches the store answers
	// 500, every time; it takes the others.
	poison atomic.Value
}

func startStore(t *testing.T) *realStore {
	t.Helper()
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "oatstore.db"))
	if err != nil {
		t.Fatal(err)
	}
	keys, err := adminkeys.Load(adminkeys.Sources{Single: adminKey})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := server.New(server.Config{Store: db, AdminKeys: keys, GatewayKeys: []string{gatewayKey}})
	if err != nil {
		t.Fatal(err)
	}
	rs := &realStore{db: db}
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == storeapi.UsageReportsPath {
			rs.posts.Add(1)
		}
		if rs.down.Load() {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		if p, _ := rs.poison.Load().(string); p != "" && r.URL.Path == storeapi.UsageReportsPath {
			body, _ := io.ReadAll(r.Body)
			rep, _ := storeapi.DecodeUsageReport(bytes.NewReader(body), true)
			if slices.ContainsFunc(rep.Counts, func(c storeapi.UsageCount) bool { return c.Repository == p }) {
				http.Error(w, "failing", http.StatusInternalServerError)
				return
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
		}
		if rs.loseNext.Load() > 0 && r.URL.Path == storeapi.UsageReportsPath {
			rs.loseNext.Add(-1)
			srv.ServeHTTP(httptest.NewRecorder(), r) // applied...
			conn, _, err := http.NewResponseController(w).Hijack()
			if err == nil {
				conn.Close() // ...and the answer lost
			}
			return
		}
		srv.ServeHTTP(w, r)
	}))
	t.Cleanup(func() {
		ts.Close()
		_ = srv.Close()
		_ = db.Close()
	})
	rs.url = ts.URL
	_, _, err = db.PutOrg(context.Background(), "acme", func(o store.Org, _ bool) (store.Org, error) { return o, nil },
		store.Event{Actor: "test", At: T0})
	if err != nil {
		t.Fatal(err)
	}
	return rs
}

// usage is the store's day of usage for acme, by token and repository.
func (rs *realStore) usage(t *testing.T) map[string]store.UsageRow {
	t.Helper()
	rows, err := rs.db.Usage(context.Background(), store.UsageQuery{Org: "acme", Period: store.PeriodDay})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]store.UsageRow{}
	for _, r := range rows {
		out[r.TokenID+" "+r.Repository] = r
	}
	return out
}

// countingObserver counts what the reporter says.
type countingObserver struct{ dropped, reported atomic.Int64 }

func (o *countingObserver) UsageDropped(n int)  { o.dropped.Add(int64(n)) }
func (o *countingObserver) UsageReported(n int) { o.reported.Add(int64(n)) }

func newReporter(t *testing.T, buffer int, urls ...string) (*Reporter, *countingObserver) {
	t.Helper()
	obs := &countingObserver{}
	r, err := New(Config{StoreURLs: urls, StoreKey: gatewayKey, Buffer: buffer, Timeout: 2 * time.Second, Observer: obs})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r, obs
}

// req is one finished request of a token.
func req(token, method string, target Target, status int, decision string, repo, ref string) Request {
	return Request{
		Event: &usage.Event{Decision: decision, TokenID: token, TokenLabel: "label-" + token, Org: "acme", Repository: repo, Reference: ref,
			Method: method, Status: status, BytesIn: 10, BytesOut: 100, ClientIP: "192.0.2.1", UserAgent: "docker/27"},
		Target: target, At: T0,
	}
}

// script is a sequence with known counts: per token, 2 pulls, 1 version
// check, a failed pull, 1 push, 1 delete, 1 blob pull, 1 denial.
func script(token string) []Request {
	return []Request{
		req(token, "GET", Manifest, 200, usage.Allow, "acme/app", "latest"),
		req(token, "GET", Manifest, 200, usage.Allow, "acme/app", "v1"),
		req(token, "HEAD", Manifest, 200, usage.Allow, "acme/app", "latest"),
		req(token, "GET", Manifest, 404, usage.Allow, "acme/app", "nope"),
		req(token, "PUT", Manifest, 201, usage.Allow, "acme/app", "v2"),
		req(token, "DELETE", Manifest, 202, usage.Allow, "acme/app", "sha256:"+fmt.Sprintf("%064d", 1)),
		req(token, "GET", Blob, 200, usage.Allow, "acme/app", ""),
		req(token, "PUT", Manifest, 403, usage.Deny, "acme/app", "v3"),
	}
}

var wantScript = store.UsageRow{Requests: 8, Pulls: 2, VersionChecks: 1, Pushes: 1, Deletes: 1, Denied: 1, BytesIn: 80, BytesOut: 800}

func checkCounts(t *testing.T, got store.UsageRow, times int64) {
	t.Helper()
	w := wantScript
	if got.Requests != w.Requests*times || got.Pulls != w.Pulls*times || got.VersionChecks != w.VersionChecks*times ||
		got.Pushes != w.Pushes*times || got.Deletes != w.Deletes*times || got.Denied != w.Denied*times ||
		got.BytesIn != w.BytesIn*times || got.BytesOut != w.BytesOut*times {
		t.Fatalf("got %+v, want %d times %+v", got, times, w)
	}
}

func TestAReportCountsExactlyWhatWasServed(t *testing.T) {
	rs := startStore(t)
	r, obs := newReporter(t, 0, rs.url)
	for _, q := range script("tok_a") {
		r.Record(q)
	}
	for _, q := range []Request{
		// Requests no token made count for no one.
		{Event: &usage.Event{Decision: usage.Deny, Method: "GET", Status: 401}, Target: Manifest, At: T0},
		{Event: &usage.Event{Decision: usage.Allow, Org: "acme", Method: "GET", Status: 200}, Target: Manifest, At: T0},
	} {
		r.Record(q)
	}
	inactive := req("tok_b", "GET", Manifest, 401, usage.Deny, "acme/app", "latest")
	inactive.Inactive = storeapi.ReasonRevoked
	r.Record(inactive)
	r.Flush(5 * time.Second)

	got := rs.usage(t)
	checkCounts(t, got["tok_a acme/app"], 1)
	if b := got["tok_b acme/app"]; b.Requests != 1 || b.Denied != 1 || b.Pulls != 0 {
		t.Fatalf("the revoked token's request: %+v, want one denied request", b)
	}
	if len(got) != 2 {
		t.Fatalf("got rows %v, want only tok_a's and tok_b's", got)
	}
	entries, _, err := rs.db.Activity(context.Background(), store.ActivityQuery{Org: "acme", Kind: store.KindRegistry})
	if err != nil {
		t.Fatal(err)
	}
	var trail []string
	for _, e := range entries {
		trail = append(trail, fmt.Sprintf("%s %s tag=%s digest=%s reason=%s", e.Action, e.TokenID, e.Tag, e.Digest, e.Reason))
	}
	want := map[string]bool{
		"registry.push tok_a tag=v2 digest= reason=":                                       true,
		"registry.delete tok_a tag= digest=sha256:" + fmt.Sprintf("%064d", 1) + " reason=": true,
		"token.inactive_used tok_b tag= digest= reason=revoked":                            true,
	}
	if len(trail) != len(want) {
		t.Fatalf("activity %q, want the push, the delete and the inactive presentation", trail)
	}
	for _, s := range trail {
		if !want[s] {
			t.Fatalf("unexpected activity %q in %q", s, trail)
		}
	}
	if r.Pending() != 0 || obs.dropped.Load() != 0 {
		t.Fatalf("pending %d, dropped %d after a flush to a store that answers; want 0 and 0", r.Pending(), obs.dropped.Load())
	}
}

func TestABatchWhoseAnswerIsLostIsCountedOnce(t *testing.T) {
	rs := startStore(t)
	r, _ := newReporter(t, 0, rs.url)
	for _, q := range script("tok_a") {
		r.Record(q)
	}
	rs.loseNext.Store(1)
	r.Flush(5 * time.Second) // applied, answer lost: still queued
	if r.Pending() == 0 {
		t.Fatal("the batch left the queue though its answer was lost")
	}
	r.Flush(5 * time.Second) // sent again with its id: a duplicate
	if r.Pending() != 0 {
		t.Fatalf("%d items still queued after the store answered", r.Pending())
	}
	if rs.posts.Load() != 2 {
		t.Fatalf("%d posts, want 2 (the lost one and its retry)", rs.posts.Load())
	}
	checkCounts(t, rs.usage(t)["tok_a acme/app"], 1)
}

func TestAStoreOutageLosesNothingThatFitsTheBuffer(t *testing.T) {
	rs := startStore(t)
	r, obs := newReporter(t, 1000, rs.url)
	rs.down.Store(true)
	// Three intervals of the outage, each sealing a batch of its own.
	for range 3 {
		for _, q := range script("tok_a") {
			r.Record(q)
		}
		r.Flush(time.Second)
	}
	if r.Pending() == 0 {
		t.Fatal("nothing queued during the outage")
	}
	rs.down.Store(false)
	r.Flush(5 * time.Second)
	checkCounts(t, rs.usage(t)["tok_a acme/app"], 3)
	if obs.dropped.Load() != 0 || r.Pending() != 0 {
		t.Fatalf("dropped %d, pending %d; want nothing lost and nothing left", obs.dropped.Load(), r.Pending())
	}
}

func TestAFullBufferDropsTheOldestAndCountsIt(t *testing.T) {
	rs := startStore(t)
	const buffer = 20
	r, obs := newReporter(t, buffer, rs.url)
	rs.down.Store(true)
	const total = 200
	for i := range total {
		q := req("tok_a", "GET", Manifest, 200, usage.Allow, fmt.Sprintf("acme/app%03d", i), "latest")
		r.Record(q)
		if i%10 == 9 {
			r.Flush(time.Second)
		}
		if p := r.Pending(); p > buffer {
			t.Fatalf("%d items held, more than the buffer of %d", p, buffer)
		}
	}
	rs.down.Store(false)
	r.Flush(5 * time.Second)
	got := rs.usage(t)
	// Each of the 20 intervals held tok_a's last use and ten counters;
	// the last batch arrived whole, with its last use: what was not
	// dropped arrived, and the newest repositories are the ones kept.
	items := int64(len(got)) + 1
	if want := int64(total + total/10); items+obs.dropped.Load() != want {
		t.Fatalf("%d items arrived and %d were dropped, want %d in all", items, obs.dropped.Load(), want)
	}
	if _, ok := got["tok_a acme/app199"]; !ok {
		t.Fatalf("the newest repository's count was dropped; the oldest must go first (got %d rows)", len(got))
	}
	if _, ok := got["tok_a acme/app000"]; ok {
		t.Fatal("the oldest repository's count survived a full buffer")
	}
}

func TestAReporterFailsOverToTheReplicaThatAnswers(t *testing.T) {
	rs := startStore(t)
	dead := httptest.NewServer(http.NotFoundHandler())
	deadURL := dead.URL
	dead.Close() // nothing listens there now
	r, _ := newReporter(t, 0, deadURL, rs.url)
	for _, q := range script("tok_a") {
		r.Record(q)
	}
	r.Flush(5 * time.Second)
	checkCounts(t, rs.usage(t)["tok_a acme/app"], 1)
}

func TestCloseFlushesWhatWasCounted(t *testing.T) {
	rs := startStore(t)
	r, _ := newReporter(t, 0, rs.url)
	r.Start()
	for _, q := range script("tok_a") {
		r.Record(q)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	checkCounts(t, rs.usage(t)["tok_a acme/app"], 1)
}

func TestRecordingAnExistingKeyAllocatesNothing(t *testing.T) {
	r, err := New(Config{StoreURLs: []string{"http://127.0.0.1:9"}, StoreKey: gatewayKey})
	if err != nil {
		t.Fatal(err)
	}
	q := req("tok_a", "GET", Manifest, 200, usage.Allow, "acme/app", "latest")
	r.Record(q)
	if n := testing.AllocsPerRun(1000, func() { r.Record(q) }); n != 0 {
		t.Fatalf("%v allocations per request, want 0", n)
	}
}

// A long outage under load: many goroutines record distinct keys while
// the store is down and the sender seals every "interval"; the held items
// never pass the buffer and the heap stays bounded.
func TestMemoryStaysBoundedDuringALongOutageUnderLoad(t *testing.T) {
	rs := startStore(t)
	const buffer = 5000
	r, obs := newReporter(t, buffer, rs.url)
	rs.down.Store(true)
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	const workers, perWorker = 4, 50000
	var wg sync.WaitGroup
	stop := make(chan struct{})
	go func() {
		for {
			select {
			case <-stop:
				return
			default:
				r.Flush(100 * time.Millisecond)
			}
		}
	}()
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perWorker {
				r.Record(req(fmt.Sprintf("tok_%d", w), "GET", Manifest, 200, usage.Allow, fmt.Sprintf("acme/r%d", i), "latest"))
			}
		}()
	}
	wg.Wait()
	close(stop)
	if p := r.Pending(); p > buffer {
		t.Fatalf("%d items held after the load, more than the buffer of %d", p, buffer)
	}
	runtime.GC()
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	grew := int64(after.HeapAlloc) - int64(before.HeapAlloc)
	t.Logf("%d requests during the outage: %d items held, %d dropped, heap grew %d KiB", workers*perWorker, r.Pending(), obs.dropped.Load(), grew>>10)
	// A held item is a few hundred bytes encoded or in a map; 5000 of
	// them are well under 16 MiB, 200,000 would not be.
	if grew > 16<<20 {
		t.Fatalf("heap grew %d MiB with a buffer of %d items", grew>>20, buffer)
	}
	if obs.dropped.Load() == 0 {
		t.Fatal("nothing was dropped though far more keys than the buffer were counted")
	}
}

func TestAStoreWithoutUsageReportsGetsThemDroppedAndCounted(t *testing.T) {
	other := httptest.NewServer(http.NotFoundHandler()) // an RFC 7662 server that is not oatstore
	t.Cleanup(other.Close)
	r, obs := newReporter(t, 0, other.URL)
	for range 3 {
		for _, q := range script("tok_a") {
			r.Record(q)
		}
		r.Flush(time.Second)
	}
	if r.Pending() != 0 || obs.dropped.Load() == 0 {
		t.Fatalf("pending %d, dropped %d; want nothing held and the drops counted", r.Pending(), obs.dropped.Load())
	}
}

// The gateway key goes in the Authorization header and nowhere else: not
// in a log line, whatever fails.
func TestTheGatewayKeyIsNeverLogged(t *testing.T) {
	core, logs := observer.New(zapcore.DebugLevel)
	refusing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "no "+r.Header.Get("Authorization"), http.StatusUnauthorized) // echoes it, as a hostile store might
	}))
	t.Cleanup(refusing.Close)
	r, err := New(Config{StoreURLs: []string{refusing.URL, "http://127.0.0.1:9"}, StoreKey: gatewayKey, Buffer: 3, Logger: zap.New(core)})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 10 {
		r.Record(req("tok_a", "GET", Manifest, 200, usage.Allow, fmt.Sprintf("acme/app%d", i), "latest"))
		r.Flush(time.Second)
	}
	_ = r.Close()
	if logs.Len() == 0 {
		t.Fatal("nothing was logged; the test wants the failures logged")
	}
	for _, e := range logs.All() {
		line := e.Message + fmt.Sprint(e.ContextMap())
		if strings.Contains(line, gatewayKey) || strings.Contains(line, "Bearer") {
			t.Fatalf("a log line holds the key: %s", line)
		}
	}
	if s := r.cfg.String(); strings.Contains(s, gatewayKey) {
		t.Fatalf("Config.String shows the key: %s", s)
	}
}

func TestAHostileUserAgentCostsNoOneTheirUsage(t *testing.T) {
	ascii511 := strings.Repeat("a", storeapi.MaxFieldLen-1)
	tests := []struct {
		name, userAgent, want string
	}{
		{"200 invalid bytes", strings.Repeat("\xff", 200), "\uFFFD"},
		{"511 ASCII bytes and an é cut at 512 by the gateway", (ascii511 + "é")[:storeapi.MaxFieldLen], ascii511},
		{"600 bytes of é", strings.Repeat("é", 300), strings.Repeat("é", storeapi.MaxFieldLen/2)},
	}
	for _, tt := range tests {
		t.Run("a user agent of "+tt.name+" is stored cut, and every org's usage arrives", func(t *testing.T) {
			rs := startStore(t)
			r, obs := newReporter(t, 0, rs.url)
			// A revoked token's presentation (token.inactive_used) and
			// an allowed request, each with the hostile user agent, in
			// the batch of another token's ordinary requests.
			for _, q := range script("tok_a") {
				r.Record(q)
			}
			hostile := req("tok_h", "GET", Manifest, 200, usage.Allow, "acme/app", "latest")
			hostile.Event.UserAgent = tt.userAgent
			r.Record(hostile)
			inactive := req("tok_r", "GET", Manifest, 401, usage.Deny, "acme/app", "latest")
			inactive.Event.UserAgent, inactive.Inactive = tt.userAgent, storeapi.ReasonRevoked
			r.Record(inactive)
			r.Flush(5 * time.Second)

			got := rs.usage(t)
			checkCounts(t, got["tok_a acme/app"], 1)
			if got["tok_h acme/app"].Pulls != 1 || got["tok_r acme/app"].Denied != 1 {
				t.Fatalf("rows %+v, want tok_h's pull and tok_r's denial", got)
			}
			if obs.dropped.Load() != 0 || r.Pending() != 0 {
				t.Fatalf("dropped %d, pending %d; want 0 and 0", obs.dropped.Load(), r.Pending())
			}
			entries, _, err := rs.db.Activity(context.Background(), store.ActivityQuery{Org: "acme", Kind: store.KindRegistry})
			if err != nil {
				t.Fatal(err)
			}
			var found bool
			for _, e := range entries {
				if e.TokenID == "tok_r" {
					found = true
					if e.UserAgent != tt.want {
						t.Fatalf("stored user agent %q (%d bytes), want %q", e.UserAgent, len(e.UserAgent), tt.want)
					}
				}
			}
			if !found {
				t.Fatal("the revoked token's presentation is not in the activity")
			}
		})
	}
}

func TestItemsTheStoreLeftOutOfABatchAreCountedAsDropped(t *testing.T) {
	rs := startStore(t)
	r, obs := newReporter(t, 0, rs.url)
	hour := T0.Truncate(time.Hour).Unix()
	rep := storeapi.UsageReport{ID: "gwtest-1", Counts: []storeapi.UsageCount{
		{Org: "acme", TokenID: "tok_a", Repository: "acme/app", Hour: hour, Requests: 3},
		{Org: "acme", TokenID: "tok_b", Repository: "acme/app", Hour: hour + 60, Requests: 1}, // not an hour's start
	}}
	body, err := storeapi.EncodeUsageReport(&rep)
	if err != nil {
		t.Fatal(err)
	}
	r.items.Add(2)
	r.queue = append(r.queue, &batch{id: rep.ID, body: body, items: 2})
	r.Flush(5 * time.Second)
	if got := rs.usage(t)["tok_a acme/app"].Requests; got != 3 {
		t.Fatalf("tok_a's requests %d, want 3: the good item of the batch is applied", got)
	}
	if obs.reported.Load() != 1 || obs.dropped.Load() != 1 || r.Pending() != 0 {
		t.Fatalf("reported %d, dropped %d, pending %d; want 1, 1, 0", obs.reported.Load(), obs.dropped.Load(), r.Pending())
	}
}

func TestCloseReturnsWithinItsBoundWhileTheStoreHangs(t *testing.T) {
	release := make(chan struct{})
	posted := make(chan struct{}, 1)
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case posted <- struct{}{}:
		default:
		}
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(hang.Close)
	t.Cleanup(func() { close(release) })
	// The default timeout: an interval's flush may take three of them.
	r, err := New(Config{StoreURLs: []string{hang.URL}, StoreKey: gatewayKey, Interval: 20 * time.Millisecond, Timeout: DefaultTimeout})
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range script("tok_a") {
		r.Record(q)
	}
	r.Start()
	select {
	case <-posted: // the interval's flush is waiting on the store
	case <-time.After(5 * time.Second):
		t.Fatal("the reporter never sent")
	}
	start := time.Now()
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if took, bound := time.Since(start), closeTimeout+time.Second; took > bound {
		t.Fatalf("Close took %s while the store hung, want at most %s", took, bound)
	}
}

func TestABatchTheStoreAlwaysFailsIsDroppedAndTheOthersGoOn(t *testing.T) {
	rs := startStore(t)
	r, obs := newReporter(t, 0, rs.url)
	rs.poison.Store("acme/poison")
	r.Record(req("tok_p", "GET", Manifest, 200, usage.Allow, "acme/poison", "latest"))
	r.Flush(5 * time.Second) // the poisoned batch alone: nothing to tell an outage from
	const intervals = maxBatchFailures + 2
	for i := range intervals {
		for _, q := range script("tok_a") {
			r.Record(q)
		}
		r.Flush(5 * time.Second)
		checkCounts(t, rs.usage(t)["tok_a acme/app"], int64(i+1))
	}
	if r.Pending() != 0 {
		t.Fatalf("%d items still queued, want the poisoned batch dropped after %d failures", r.Pending(), maxBatchFailures)
	}
	if got := obs.dropped.Load(); got != 2 {
		t.Fatalf("dropped %d items, want the poisoned batch's 2 (its count and last use)", got)
	}
}

func TestAnOutageOfManyIntervalsCountsAgainstNoBatch(t *testing.T) {
	rs := startStore(t)
	r, obs := newReporter(t, 0, rs.url)
	rs.down.Store(true)
	const intervals = 2 * maxBatchFailures
	for range intervals {
		for _, q := range script("tok_a") {
			r.Record(q)
		}
		r.Flush(time.Second)
	}
	rs.down.Store(false)
	r.Flush(5 * time.Second)
	checkCounts(t, rs.usage(t)["tok_a acme/app"], intervals)
	if obs.dropped.Load() != 0 || r.Pending() != 0 {
		t.Fatalf("dropped %d, pending %d; want nothing lost and nothing left", obs.dropped.Load(), r.Pending())
	}
}

func TestAPoisonedBatchCountsOneFailurePerIntervalHoweverManyFollow(t *testing.T) {
	rs := startStore(t)
	r, obs := newReporter(t, 0, rs.url)
	rs.poison.Store("acme/poison")
	r.Record(req("tok_p", "GET", Manifest, 200, usage.Allow, "acme/poison", "latest"))
	r.Flush(5 * time.Second) // sealed alone
	rs.down.Store(true)
	const behind = 2 * maxBatchFailures
	for range behind { // a batch each, queued behind the poisoned one
		for _, q := range script("tok_a") {
			r.Record(q)
		}
		r.Flush(time.Second)
	}
	rs.down.Store(false)
	r.Flush(5 * time.Second)
	checkCounts(t, rs.usage(t)["tok_a acme/app"], behind)
	if r.Pending() != 2 || obs.dropped.Load() != 0 {
		t.Fatalf("pending %d, dropped %d; want the poisoned batch's 2 items still queued after one interval", r.Pending(), obs.dropped.Load())
	}
}
