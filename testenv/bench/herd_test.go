package bench

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/oatgate/oatgate/testenv"
)

// env is shared by the package's tests; each herd uses its own tokens and
// counts only the introspections it causes.
var env *testenv.Env

const herdOrg = "herd"

func TestMain(m *testing.M) {
	var err error
	env, err = testenv.Start(testenv.Options{Gateway: map[string]any{
		// Longer than any herd takes under -race, so that a second
		// introspection of one unknown token can only be a defect.
		"negative_ttl": "10m",
		// The herd comes from one address: the per-address bound on
		// unknown tokens would answer most of it 429 before the store.
		"unknown_tokens_per_minute": -1,
	}})
	if err != nil {
		println("starting testenv:", err.Error())
		os.Exit(1)
	}
	code := func() int {
		defer env.Close()
		if err := env.Admin.SetOrg(context.Background(), herdOrg, testenv.OrgMaxTokens); err != nil {
			println("creating the org:", err.Error())
			return 1
		}
		if err := env.WaitForFeed(10 * time.Second); err != nil {
			println(err.Error())
			return 1
		}
		return m.Run()
	}()
	os.Exit(code)
}

// checkHerd compares a herd's store calls and answers with what they must be.
func checkHerd(t *testing.T, res HerdResult, err error, wantIntrospections int64, wantStatus int) {
	t.Helper()
	if err != nil {
		t.Fatalf("herd: %v", err)
	}
	if res.Introspections != wantIntrospections {
		t.Errorf("%d requests with %d tokens caused %d introspections, want %d", res.Requests, res.Tokens, res.Introspections, wantIntrospections)
	}
	if res.Statuses[wantStatus] != res.Requests {
		t.Errorf("answers by status: got %v, want all %d with %d", res.Statuses, res.Requests, wantStatus)
	}
}

func TestAThousandConcurrentRequestsWithOneFreshTokenCostOneIntrospection(t *testing.T) {
	for round := range 3 {
		t.Run(fmt.Sprintf("round %d with a new token", round+1), func(t *testing.T) {
			res, err := FreshTokenHerd(testenv.Context(t, 5*time.Minute), env, herdOrg, 1000)
			checkHerd(t, res, err, 1, http.StatusOK)
		})
	}
}

func TestTenThousandGarbageTokensNeverReachTheStore(t *testing.T) {
	res, err := GarbageHerd(testenv.Context(t, 5*time.Minute), env, herdOrg, 10_000, 32)
	checkHerd(t, res, err, 0, http.StatusUnauthorized)
}

func TestTenThousandUnknownTokensAreEachAskedOnceWithinTheNegativeTTL(t *testing.T) {
	res, err := UnknownHerd(testenv.Context(t, 5*time.Minute), env, herdOrg, 10_000, 2, 32)
	checkHerd(t, res, err, 10_000, http.StatusUnauthorized)
}
