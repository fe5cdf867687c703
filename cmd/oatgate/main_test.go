package main

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// runMainEnv makes the test binary run main() instead of the tests, so that
// a test reads what a user reads from the real command tree Caddy builds.
const runMainEnv = "OATGATE_TEST_RUN_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(runMainEnv) == "1" {
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// runOatgate runs `oatgate args...` (this test binary as main) and returns
// its standard output.
func runOatgate(t *testing.T, args ...string) string {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), runMainEnv+"=1")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("oatgate %s: %v\nstderr:\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return string(out)
}

func TestUsageReportHelpIsOatgates(t *testing.T) {
	help := runOatgate(t, "usage-report", "--help")
	for _, tt := range []struct {
		name string
		ok   bool
	}{
		{"the usage line names the oatgate binary", strings.Contains(help, "oatgate usage-report [--period")},
		{"the help never says caddy usage-report", !strings.Contains(help, "caddy usage-report")},
		{"the help does not send the reader to Caddy's site", !strings.Contains(help, "caddyserver.com")},
		{"the help ends with where the command is documented", strings.HasSuffix(strings.TrimSpace(help), usageReportDocs)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if !tt.ok {
				t.Errorf("oatgate usage-report --help printed:\n%s", help)
			}
		})
	}
}
