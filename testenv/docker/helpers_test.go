package docker_test

import (
	"bufio"
	"encoding/json"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/oatgate/oatgate/testenv"
	"github.com/oatgate/oatgate/testenv/docker"
)

// newCLI is a docker user with no credentials yet.
func newCLI(t *testing.T) *docker.CLI {
	t.Helper()
	cli, err := daemon.NewCLI()
	if err != nil {
		t.Fatal(err)
	}
	return cli
}

// login runs the login line make run prints, exactly, with secret on stdin.
func login(t *testing.T, cli *docker.CLI, org, secret string) (string, error) {
	t.Helper()
	return cli.Shell(testenv.Context(t, clientLimit), testenv.DockerLogin(env, org), secret+"\n")
}

// loggedIn is a docker user logged in with a new token of org.
func loggedIn(t *testing.T, org string, scopes ...string) *docker.CLI {
	t.Helper()
	tok := env.MintToken(t, org, scopes...)
	cli := newCLI(t)
	if out, err := login(t, cli, org, tok.Secret); err != nil {
		t.Fatalf("logging in with a valid token: %v", err)
	} else if !strings.Contains(out, "Login Succeeded") {
		t.Fatalf("docker login output = %q, want it to contain %q", out, "Login Succeeded")
	}
	return cli
}

// ref is an image reference on the gateway.
func ref(repo, tag string) string { return env.GatewayHost + "/" + repo + ":" + tag }

// docker runs a docker command that must succeed.
func mustDocker(t *testing.T, cli *docker.CLI, args ...string) string {
	t.Helper()
	out, err := cli.Docker(testenv.Context(t, clientLimit), args...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// build makes an image of layers random layers on base, tagged tag.
func build(t *testing.T, cli *docker.CLI, tag, base string, layers int) {
	t.Helper()
	if err := cli.Build(testenv.Context(t, clientLimit), tag, base, layers, 32<<10); err != nil {
		t.Fatal(err)
	}
}

// repoDigest is the manifest digest docker recorded for image on the
// gateway (its RepoDigests entry).
func repoDigest(t *testing.T, cli *docker.CLI, image string) string {
	t.Helper()
	out := mustDocker(t, cli, "image", "inspect", "--format", "{{json .RepoDigests}}", image)
	var digests []string
	if err := json.Unmarshal([]byte(out), &digests); err != nil {
		t.Fatalf("decoding RepoDigests %q: %v", out, err)
	}
	repo := image[:strings.LastIndex(image, ":")]
	for _, d := range digests {
		if name, digest, ok := strings.Cut(d, "@"); ok && name == repo {
			return digest
		}
	}
	t.Fatalf("RepoDigests of %s = %v, want an entry for %s", image, digests, repo)
	return ""
}

// imageID is the local image id (its config digest).
func imageID(t *testing.T, cli *docker.CLI, image string) string {
	t.Helper()
	return strings.TrimSpace(mustDocker(t, cli, "image", "inspect", "--format", "{{.Id}}", image))
}

// usageEvent is the part of a usage event these tests read.
type usageEvent struct {
	Event    string `json:"event"`
	Decision string `json:"decision"`
	Reason   string `json:"reason"`
	TokenID  string `json:"token_id"`
	Repo     string `json:"repository"`
	Digest   string `json:"digest"`
	Method   string `json:"method"`
	Path     string `json:"path"`
	Status   int    `json:"status"`
}

// usageSince returns the usage events written after offset bytes of the log,
// and the log's size now.
func usageSince(t *testing.T, offset int64) ([]usageEvent, int64) {
	t.Helper()
	f, err := os.Open(env.UsageLog)
	if err != nil {
		t.Fatalf("opening the usage log: %v", err)
	}
	defer f.Close()
	if _, err := f.Seek(offset, 0); err != nil {
		t.Fatal(err)
	}
	var events []usageEvent
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	n := offset
	for sc.Scan() {
		n += int64(len(sc.Bytes())) + 1
		var ev usageEvent
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
			t.Fatalf("usage log line %q: %v", sc.Text(), err)
		}
		events = append(events, ev)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return events, n
}

// usageOffset is where the usage log ends now.
func usageOffset(t *testing.T) int64 {
	t.Helper()
	_, n := usageSince(t, 0)
	return n
}

// manifestLayers reads a manifest straight from the registry (behind the
// gateway) and returns its layer digests.
func manifestLayers(t *testing.T, repo, tag string) []string {
	t.Helper()
	req, err := http.NewRequestWithContext(testenv.Context(t, clientLimit), http.MethodGet, env.Registry.URL+"/v2/"+repo+"/manifests/"+tag, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", "application/vnd.docker.distribution.manifest.v2+json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET manifest %s:%s from the registry: %s, want 200", repo, tag, resp.Status)
	}
	var m struct {
		Layers []struct{ Digest string } `json:"layers"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&m); err != nil {
		t.Fatalf("decoding manifest %s:%s: %v", repo, tag, err)
	}
	var digests []string
	for _, l := range m.Layers {
		digests = append(digests, l.Digest)
	}
	return digests
}

// registryHasBlob reports whether the registry itself serves digest in repo.
func registryHasBlob(t *testing.T, repo, digest string) bool {
	t.Helper()
	req, err := http.NewRequestWithContext(testenv.Context(t, clientLimit), http.MethodHead, env.Registry.URL+"/v2/"+repo+"/blobs/"+digest, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}
