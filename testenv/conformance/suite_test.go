package conformance

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// suiteModule is the conformance program, pinned in go.mod as a tool so
// that go mod tidy keeps it.
const suiteModule = "github.com/opencontainers/distribution-spec/conformance"

// suiteTimeout bounds one run of the suite; a healthy run takes seconds.
const suiteTimeout = 5 * time.Minute

// buildSuite compiles the conformance program into dir. The module's README
// asks for `go build` (its `go test` entry point is deprecated and only
// prints a warning on top of the same run).
func buildSuite(t *testing.T, dir string) string {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is needed to build the conformance suite: %v", err)
	}
	bin := filepath.Join(dir, "conformance.bin")
	cmd := exec.Command(goBin, "build", "-o", bin, suiteModule)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building %s: %v\n%s", suiteModule, err, out)
	}
	return bin
}

// target is one registry endpoint the suite runs against.
type target struct {
	// name names the run and its report folder.
	name string
	// host is host:port, as OCI_REGISTRY takes it.
	host string
	// repo1 and repo2 are OCI_REPO1 and OCI_REPO2.
	repo1, repo2 string
	// username and password are sent as Basic credentials when set.
	username, password string
}

// runSuite runs the suite against tg with every API enabled, writing its
// reports (junit.xml, results.yaml, report.html) and its console output
// (console.txt) to reportsDir/tg.name. The suite's exit status is not a
// verdict here (the bare registry fails some tests), so only a run that
// produced no report fails the test.
func runSuite(t *testing.T, bin, reportsDir string, tg target) *report {
	t.Helper()
	dir := filepath.Join(reportsDir, tg.name)
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), suiteTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin)
	// The suite reads oci-conformance.yaml from its working directory: run
	// it where there is none but what it writes.
	cmd.Dir = dir
	cmd.Env = suiteEnv(tg, dir)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	runErr := cmd.Run()
	if err := os.WriteFile(filepath.Join(dir, "console.txt"), out.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	rep, err := loadReport(dir)
	if err != nil {
		t.Fatalf("conformance run %q produced no usable report (exit: %v): %v\nconsole output in %s",
			tg.name, runErr, err, filepath.Join(dir, "console.txt"))
	}
	t.Logf("conformance run %q: %s in %s; reports in %s", tg.name, rep.summary(), time.Since(start).Round(time.Millisecond), dir)
	return rep
}

// suiteEnv is the process environment without any inherited OCI_ setting,
// plus the suite's configuration for tg.
func suiteEnv(tg target, resultsDir string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "OCI_") {
			env = append(env, kv)
		}
	}
	set := map[string]string{
		"OCI_REGISTRY":    tg.host,
		"OCI_TLS":         "disabled",
		"OCI_REPO1":       tg.repo1,
		"OCI_REPO2":       tg.repo2,
		"OCI_USERNAME":    tg.username,
		"OCI_PASSWORD":    tg.password,
		"OCI_RESULTS_DIR": resultsDir,
		"OCI_VERSION":     "1.1",
		"OCI_LOG":         "error",
		// Every API category on, including the optional ones.
		"OCI_API_PULL":                    "true",
		"OCI_API_PUSH":                    "true",
		"OCI_API_BLOBS_ATOMIC":            "true",
		"OCI_API_BLOBS_DELETE":            "true",
		"OCI_API_BLOBS_DIGEST_HEADER":     "true",
		"OCI_API_BLOBS_MOUNT_ANONYMOUS":   "true",
		"OCI_API_BLOBS_UPLOAD_CANCEL":     "true",
		"OCI_API_MANIFESTS_ATOMIC":        "true",
		"OCI_API_MANIFESTS_DELETE":        "true",
		"OCI_API_MANIFESTS_DIGEST_HEADER": "true",
		"OCI_API_MANIFESTS_TAG_PARAM":     "true",
		"OCI_API_TAGS_ATOMIC":             "true",
		"OCI_API_TAGS_DELETE":             "true",
		"OCI_API_TAGS_LIST":               "true",
		"OCI_API_REFERRER":                "true",
		"OCI_DATA_SPARSE":                 "true",
	}
	for k, v := range set {
		env = append(env, fmt.Sprintf("%s=%s", k, v))
	}
	return env
}
