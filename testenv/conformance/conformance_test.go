package conformance

import (
	"context"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/oatgate/oatgate/testenv"
)

// reportsEnv names the folder the reports go to. `make conformance` sets it
// (to conformance-reports/ at the repository root) and is what runs this
// suite: it takes about a minute, so plain `go test ./...` leaves it out.
const reportsEnv = "OATGATE_CONFORMANCE_REPORTS"

func reportsDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv(reportsEnv)
	if dir == "" {
		t.Skipf("SKIPPED: the OCI conformance suite runs with `make conformance` (part of `make test`), which sets %s", reportsEnv)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(abs, 0o755); err != nil {
		t.Fatal(err)
	}
	return abs
}

func hostOf(t *testing.T, rawURL string) string {
	t.Helper()
	u, err := url.Parse(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	return u.Host
}

// TestConformance runs the OCI distribution-spec conformance suite three
// times on one stack: against the bare registry, through the gateway with a
// token that may pull, push and delete in its org, and through the gateway
// with a pull-only token.
func TestConformance(t *testing.T) {
	dir := reportsDir(t)
	t.Logf("conformance reports: %s", dir)
	bin := buildSuite(t, t.TempDir())

	env, err := testenv.Start(testenv.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer env.Close()
	ctx := context.Background()
	if err := env.Admin.SetOrg(ctx, "acme", testenv.OrgMaxTokens); err != nil {
		t.Fatal(err)
	}
	full, err := env.Admin.CreateToken(ctx, "acme", testenv.TokenRequest{Label: "conformance", Scopes: []string{"repository:acme/**:pull,push,delete"}})
	if err != nil {
		t.Fatal(err)
	}
	pullOnly, err := env.Admin.CreateToken(ctx, "acme", testenv.TokenRequest{Label: "conformance-pull-only", Scopes: []string{"repository:acme/**:pull"}})
	if err != nil {
		t.Fatal(err)
	}

	bare := runSuite(t, bin, dir, target{name: "bare", host: hostOf(t, env.Registry.URL),
		repo1: "bare/repo1", repo2: "bare/repo2"})
	gw := runSuite(t, bin, dir, target{name: "gateway", host: env.GatewayHost,
		repo1: "acme/conformance/repo1", repo2: "acme/conformance/repo2", username: "acme", password: full.Secret})

	env.Registry.Reset()
	ro := runSuite(t, bin, dir, target{name: "gateway-pull-only", host: env.GatewayHost,
		repo1: "acme/readonly/repo1", repo2: "acme/readonly/repo2", username: "acme", password: pullOnly.Secret})
	seen := env.Registry.Seen()

	t.Logf("per API category (the suite's verdict):\n%s", categoryTable([]string{"bare", "gateway", "pull-only"}, bare, gw, ro))
	t.Logf("per group (test cases ok/run):\n%s", groupTable([]string{"bare", "gateway", "pull-only"}, bare, gw, ro))

	t.Run("no test that passes against the bare registry fails through the gateway", func(t *testing.T) {
		regs := regressions(bare, gw)
		for i, name := range regs {
			regs[i] = describe(bare, gw, name)
		}
		if len(regs) > 0 {
			t.Errorf("%d steps pass against the bare registry but not through the gateway (reports in %s):\n%s",
				len(regs), dir, strings.Join(regs, "\n"))
		}
	})
	t.Run("a pull-only token passes no push or management step", func(t *testing.T) {
		if n := writeCount(ro); n == 0 {
			t.Fatalf("the pull-only run has no write steps at all: got 0, want the suite's push and delete steps")
		}
		if got := passedWrites(ro); len(got) > 0 {
			t.Errorf("write steps passed with a pull-only token: got %d, want none:\n%s", len(got), strings.Join(got, "\n"))
		}
	})
	t.Run("every write of a pull-only token is answered 403 DENIED by the gateway", func(t *testing.T) {
		writes, notDenied, err := tokenWrites(env.UsageLog, pullOnly.ID)
		if err != nil {
			t.Fatal(err)
		}
		if writes == 0 {
			t.Fatalf("the usage log shows no write by the pull-only token: got 0, want the suite's pushes")
		}
		if len(notDenied) > 0 {
			t.Errorf("%d of %d writes by the pull-only token were not denied:\n%s", len(notDenied), writes, strings.Join(notDenied, "\n"))
		}
		t.Logf("%d writes by the pull-only token, all 403 DENIED", writes)
	})
	t.Run("no write of a pull-only token reaches the registry", func(t *testing.T) {
		var leaked []string
		for _, s := range seen {
			if isWriteMethod(s.Method) {
				leaked = append(leaked, s.Method+" "+s.Path)
			}
		}
		if len(leaked) > 0 {
			t.Errorf("the registry received %d writes during the pull-only run, want 0:\n%s", len(leaked), strings.Join(leaked, "\n"))
		}
	})
}
