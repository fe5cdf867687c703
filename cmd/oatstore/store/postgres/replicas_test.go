package postgres_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/oatgate/oatgate/cmd/oatstore/adminkeys"
	"github.com/oatgate/oatgate/cmd/oatstore/server"
	"github.com/oatgate/oatgate/cmd/oatstore/store/postgres/pgtest"
)

const (
	adminKey   = "admin-key-for-tests-0123456789abcdef"
	gatewayKey = "gateway-key-for-tests-0123456789abcdef"
)

// replica is one oatstore server on the shared database.
type replica struct {
	t   *testing.T
	url string
}

func newReplica(t *testing.T, dsn string) replica {
	t.Helper()
	keys, err := adminkeys.Load(adminkeys.Sources{Single: adminKey})
	if err != nil {
		t.Fatalf("loading admin key: %v", err)
	}
	srv, err := server.New(server.Config{Store: open(t, dsn), AdminKeys: keys, GatewayKeys: []string{gatewayKey}})
	if err != nil {
		t.Fatalf("server.New: %v", err)
	}
	hs := httptest.NewServer(srv)
	t.Cleanup(func() {
		srv.Close()
		hs.Close()
	})
	return replica{t: t, url: hs.URL}
}

// call sends a request and decodes a JSON answer into out (when not nil).
// It may run on any goroutine, so it reports errors instead of failing.
func (r replica) call(method, path, key, body string, out any) (int, error) {
	req, err := http.NewRequest(method, r.url+path, strings.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+key)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return res.StatusCode, err
	}
	if out != nil && res.StatusCode < 300 {
		if err := json.Unmarshal(b, out); err != nil {
			return res.StatusCode, fmt.Errorf("decoding %s: %w", b, err)
		}
	}
	return res.StatusCode, nil
}

func (r replica) must(method, path, key, body string, want int, out any) {
	r.t.Helper()
	got, err := r.call(method, path, key, body, out)
	if err != nil || got != want {
		r.t.Fatalf("%s %s = %d, %v; want %d", method, path, got, err, want)
	}
}

// feedAnswer is GET /v1/revocations.
type feedAnswer struct {
	Cursor   string   `json:"cursor"`
	TokenIDs []string `json:"token_ids"`
}

func TestReplicasShareOneDatabase(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	a, b := newReplica(t, dsn), newReplica(t, dsn)
	a.must("PUT", "/v1/orgs/acme", adminKey, `{"max_tokens":5}`, http.StatusCreated, nil)

	t.Run("20 creates split across two replicas give exactly the limit of 5", func(t *testing.T) {
		const n = 20
		statuses := make([]int, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r := []replica{a, b}[i%2]
				body := fmt.Sprintf(`{"label":"ci-%d","scopes":["repository:acme/app:pull"]}`, i)
				statuses[i], errs[i] = r.call("POST", "/v1/orgs/acme/tokens", adminKey, body, nil)
			}()
		}
		wg.Wait()
		counts := map[int]int{}
		for i, s := range statuses {
			if errs[i] != nil {
				t.Errorf("create %d: %v", i, errs[i])
			}
			counts[s]++
		}
		if counts[http.StatusCreated] != 5 || counts[http.StatusConflict] != 15 {
			t.Errorf("statuses %v, want 5 × 201 and 15 × 409", counts)
		}
		var list struct {
			Tokens []json.RawMessage `json:"tokens"`
		}
		b.must("GET", "/v1/orgs/acme/tokens", adminKey, "", http.StatusOK, &list)
		if len(list.Tokens) != 5 {
			t.Errorf("replica b lists %d tokens, want 5", len(list.Tokens))
		}
	})

	t.Run("a revoke on one replica appears in the other's revocation feed", func(t *testing.T) {
		var list struct {
			Tokens []struct {
				ID string `json:"id"`
			} `json:"tokens"`
		}
		a.must("GET", "/v1/orgs/acme/tokens", adminKey, "", http.StatusOK, &list)
		if len(list.Tokens) == 0 {
			t.Fatal("no token to revoke")
		}
		id := list.Tokens[0].ID
		var start feedAnswer
		b.must("GET", "/v1/revocations?after=0", gatewayKey, "", http.StatusOK, &start)
		a.must("POST", "/v1/orgs/acme/tokens/"+id+"/revoke", adminKey, "", http.StatusOK, nil)
		var got feedAnswer
		b.must("GET", "/v1/revocations?after="+start.Cursor, gatewayKey, "", http.StatusOK, &got)
		if len(got.TokenIDs) != 1 || got.TokenIDs[0] != id || got.Cursor == start.Cursor {
			t.Errorf("replica b's feed after %s = %+v, want [%s] and a new cursor", start.Cursor, got, id)
		}
	})
}
