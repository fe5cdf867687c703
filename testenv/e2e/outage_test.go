package e2e

import (
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/oatgate/oatgate/testenv"
)

func TestAStoreOutageIsNeverA401(t *testing.T) {
	cached := env.MintToken(t, "outorg", "repository:outorg/**:pull")
	fresh := env.MintToken(t, "outorg", "repository:outorg/**:pull")
	if resp := env.Call(t, "GET", "/v2/", "outorg", cached.Secret, nil); resp.StatusCode != http.StatusOK {
		t.Fatalf("before the outage: status %d, want 200", resp.StatusCode)
	}

	if err := env.StopStore(); err != nil {
		t.Fatal(err)
	}
	restarted := false
	t.Cleanup(func() {
		if !restarted {
			_ = env.RestartStore()
		}
	})

	t.Run("a cached token keeps working within max_stale", func(t *testing.T) {
		if resp := env.Call(t, "GET", "/v2/", "outorg", cached.Secret, nil); resp.StatusCode != http.StatusOK {
			t.Errorf("status %d, want 200", resp.StatusCode)
		}
	})
	t.Run("a token never seen gets 503 with Retry-After, not 401", func(t *testing.T) {
		resp := env.Call(t, "GET", "/v2/", "outorg", fresh.Secret, nil)
		if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err != nil || s <= 0 {
			t.Errorf("Retry-After = %q, want a number of seconds", resp.Header.Get("Retry-After"))
		}
		wantError(t, resp, http.StatusServiceUnavailable, "UNAVAILABLE")
	})

	if err := env.RestartStore(); err != nil {
		t.Fatal(err)
	}
	restarted = true
	t.Run("when the store returns everything recovers without a restart", func(t *testing.T) {
		testenv.Eventually(t, 10*time.Second, "new token accepted after the store returned", func() bool {
			return env.Call(t, "GET", "/v2/", "outorg", fresh.Secret, nil).StatusCode == http.StatusOK
		})
	})
}
