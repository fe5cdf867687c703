package storeusage

import (
	"bufio"
	"encoding/json"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/oatgate/oatgate/caddymodule/registryreq"
	"github.com/oatgate/oatgate/cmd/oatstore/store"
)

// ledger is the client side's account of every request it made with a
// token: from it the test knows, by DESIGN.md's definitions, what the
// store's usage must say, without asking the gateway.
type ledger struct {
	mu   sync.Mutex
	rows map[string]*store.UsageRow // by token id + " " + repository
	// refused counts each token's 401s: with a known inactive token, each
	// is a token.inactive_used entry.
	refused map[string]int
}

func newLedger() *ledger {
	return &ledger{rows: map[string]*store.UsageRow{}, refused: map[string]int{}}
}

// note records a finished request of token: its method, path and the
// status the client got. Requests that are not registry requests of a
// token (the token endpoint, credential-less pings) count for no one.
func (l *ledger) note(t *testing.T, tokenID, method, path string, status int) {
	t.Helper()
	if !strings.HasPrefix(path, "/v2/") {
		return
	}
	req, err := registryreq.Classify(registryreq.Input{Method: method, Path: path, ContentType: "application/json"})
	if err != nil {
		t.Fatalf("the test sent a request the gateway cannot classify: %s %s: %v", method, path, err)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	k := tokenID + " " + req.Repository
	row := l.rows[k]
	if row == nil {
		row = &store.UsageRow{TokenID: tokenID, Repository: req.Repository}
		l.rows[k] = row
	}
	ok := status >= 200 && status < 300
	// Only the gateway answers 401 and 403: the registry runs without auth.
	denied := status == http.StatusUnauthorized || status == http.StatusForbidden
	row.Requests++
	switch {
	case denied:
		row.Denied++
		if status == http.StatusUnauthorized {
			l.refused[tokenID]++
		}
	case req.Kind == registryreq.Manifest && method == http.MethodGet && ok:
		row.Pulls++
	case req.Kind == registryreq.Manifest && method == http.MethodHead:
		row.VersionChecks++
	case req.Kind == registryreq.Manifest && method == http.MethodPut && ok:
		row.Pushes++
	case (req.Kind == registryreq.Manifest || req.Kind == registryreq.Blob) && method == http.MethodDelete && ok:
		row.Deletes++
	}
}

// total is the requests the ledger holds.
func (l *ledger) total() int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	var n int64
	for _, r := range l.rows {
		n += r.Requests
	}
	return n
}

// recording is an http.RoundTripper that notes in the ledger every
// request that carries credentials, as tokenID's.
type recording struct {
	t       *testing.T
	l       *ledger
	tokenID string
	next    http.RoundTripper
}

func (r *recording) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := r.next.RoundTrip(req)
	if err == nil && req.Header.Get("Authorization") != "" {
		r.l.note(r.t, r.tokenID, req.Method, req.URL.Path, resp.StatusCode)
	}
	return resp, err
}

// loggedBytes sums bytes_in and bytes_out of the usage log's events by
// token id + " " + repository: the gateway's other account of the same
// requests, written from the same event.
func loggedBytes(t *testing.T, path string) map[string][2]int64 {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string][2]int64{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var ev struct {
			Event      string `json:"event"`
			TokenID    string `json:"token_id"`
			Repository string `json:"repository"`
			BytesIn    int64  `json:"bytes_in"`
			BytesOut   int64  `json:"bytes_out"`
		}
		if json.Unmarshal(sc.Bytes(), &ev) != nil || ev.TokenID == "" || ev.Event == "token" {
			continue
		}
		k := ev.TokenID + " " + ev.Repository
		b := out[k]
		b[0] += ev.BytesIn
		b[1] += ev.BytesOut
		out[k] = b
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}
