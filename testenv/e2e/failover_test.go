package e2e

import (
	"net/http"
	"testing"
	"time"

	"github.com/oatgate/oatgate/testenv"
)

// Issue 12 item 3: with `store` listing replicas, a replica that does not
// answer costs neither verification nor revocation.
func TestAGatewayFailsOverToTheReplicaThatAnswers(t *testing.T) {
	dead, err := testenv.FreeAddr("127.0.0.1:0") // nothing listens there
	if err != nil {
		t.Fatal(err)
	}
	reload(t, map[string]any{"store": []string{"http://" + dead, env.Store.URL}})
	t.Cleanup(func() { reload(t, nil) })

	tok := env.MintToken(t, "failorg", "repository:failorg/**:pull")
	t.Run("a new token is verified by the replica that answers", func(t *testing.T) {
		if resp := env.Call(t, "GET", "/v2/", "failorg", tok.Secret, nil); resp.StatusCode != http.StatusOK {
			t.Fatalf("status %d, want 200", resp.StatusCode)
		}
	})
	t.Run("a revocation arrives through that replica's feed", func(t *testing.T) {
		if err := env.Admin.Revoke(testenv.Context(t, time.Minute), "failorg", tok.ID); err != nil {
			t.Fatal(err)
		}
		took := testenv.Eventually(t, revocationLimit, "revoked token refused", func() bool {
			return env.Call(t, "GET", "/v2/", "failorg", tok.Secret, nil).StatusCode == http.StatusUnauthorized
		})
		t.Logf("refused %s after revocation", took)
	})
}
