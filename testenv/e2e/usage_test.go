package e2e

import (
	"encoding/base64"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/oatgate/oatgate/testenv"
)

// TestEveryRequestYieldsOneUsageEvent drives a scripted sequence through the
// gateway, each request tagged with its own X-Request-Id, and finds exactly
// one event per request with the fields DESIGN.md lists.
func TestEveryRequestYieldsOneUsageEvent(t *testing.T) {
	tok := env.MintToken(t, "useorg", "repository:useorg/app:pull,push")
	img := randomImage(t, 1)
	if err := remote.Write(ref(t, "useorg/app:v1"), img, auth("useorg", tok.Secret)); err != nil {
		t.Fatal(err)
	}
	digest, _ := img.Digest()

	script := []struct {
		id, method, path, user, password string
		status                           int
		event, decision, reason          string
	}{
		{"u1", "GET", "/v2/", "", "", 401, "login", "challenge", ""}, // the ping before every command: not a denial
		{"u2", "GET", "/v2/", "useorg", tok.Secret, 200, "login", "allow", ""},
		{"u3", "GET", "/v2/useorg/app/manifests/v1", "useorg", tok.Secret, 200, "pull", "allow", ""},
		{"u4", "HEAD", "/v2/useorg/app/manifests/" + digest.String(), "useorg", tok.Secret, 200, "pull", "allow", ""},
		{"u5", "GET", "/v2/useorg/app/tags/list", "useorg", tok.Secret, 200, "pull", "allow", ""},
		{"u6", "DELETE", "/v2/useorg/app/manifests/" + digest.String(), "useorg", tok.Secret, 403, "delete", "deny", "scope"},
		{"u7", "GET", "/v2/useorg/other/tags/list", "useorg", tok.Secret, 403, "pull", "deny", "scope"},
		{"u8", "GET", "/v2/useorg/app/tags/list", "useorg", "oat_garbage", 401, "pull", "deny", "bad_token_format"},
		{"u9", "GET", "/v2/useorg/../x/tags/list", "useorg", tok.Secret, 404, "invalid", "deny", "invalid_request"},
		{"u10", "GET", "/v2/_catalog", "useorg", tok.Secret, 200, "catalog", "allow", ""},
	}
	// Request ids unique to this run, so that -count=2 in one process (one
	// usage log) still finds one event per request.
	run := fmt.Sprintf("%d-", time.Now().UnixNano())
	for i := range script {
		script[i].id = run + script[i].id
	}
	for _, s := range script {
		resp := env.Call(t, s.method, s.path, s.user, s.password, http.Header{"X-Request-Id": {s.id}})
		if resp.StatusCode != s.status {
			t.Errorf("%s %s %s: status %d, want %d", s.id, s.method, s.path, resp.StatusCode, s.status)
		}
	}

	var events map[string][]map[string]any
	testenv.Eventually(t, 5*time.Second, "every scripted request logged", func() bool {
		events = env.UsageEvents(t)
		for _, s := range script {
			if len(events[s.id]) == 0 {
				return false
			}
		}
		return true
	})
	for _, s := range script {
		evs := events[s.id]
		if len(evs) != 1 {
			t.Errorf("%s: %d events, want exactly 1", s.id, len(evs))
			continue
		}
		ev := evs[0]
		want := map[string]any{"event": s.event, "decision": s.decision, "method": s.method, "status": float64(s.status)}
		if s.reason != "" {
			want["reason"] = s.reason
		}
		if s.decision == "allow" {
			want["token_id"], want["org"] = tok.ID, "useorg"
		}
		for k, v := range want {
			if ev[k] != v {
				t.Errorf("%s: %s = %v, want %v", s.id, k, ev[k], v)
			}
		}
		for _, k := range []string{"path", "client_ip", "duration", "bytes_in", "bytes_out"} {
			if _, ok := ev[k]; !ok {
				t.Errorf("%s: field %s missing", s.id, k)
			}
		}
	}
	if got := events[run+"u3"][0]; got["repository"] != "useorg/app" || got["reference"] != "v1" || got["bytes_out"].(float64) <= 0 {
		t.Errorf("manifest pull event = %v, want repository, reference and bytes_out", got)
	}
}

// TestNoLogLineContainsAToken reads every file the stack wrote logs to.
func TestNoLogLineContainsAToken(t *testing.T) {
	tok := env.MintToken(t, "logorg", "repository:logorg/**:pull,push")
	if err := remote.Write(ref(t, "logorg/app:v1"), randomImage(t, 1), auth("logorg", tok.Secret)); err != nil {
		t.Fatal(err)
	}
	env.Call(t, "GET", "/v2/", "otherorg", tok.Secret, nil)
	env.Call(t, "GET", "/v2/logorg/app/tags/list", "logorg", tok.Secret+"x", nil)
	time.Sleep(200 * time.Millisecond)

	secret := tok.Secret[len("oat_"):]
	// The Authorization header as the clients sent it, in any of the forms
	// used above.
	var headers []string
	for _, userpass := range []string{"logorg:" + tok.Secret, "otherorg:" + tok.Secret, "logorg:" + tok.Secret + "x"} {
		headers = append(headers, base64.StdEncoding.EncodeToString([]byte(userpass)))
	}
	logs := filepath.Join(env.Dir, "logs")
	err := filepath.WalkDir(logs, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if strings.Contains(string(data), secret) {
			t.Errorf("%s contains the token", path)
		}
		for _, h := range headers {
			if strings.Contains(string(data), h) {
				t.Errorf("%s contains an Authorization header", path)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, seen := range env.Registry.Seen() {
		if len(seen.Header.Values("Authorization")) != 0 {
			t.Fatalf("the registry received an Authorization header on %s %s", seen.Method, seen.Path)
		}
	}
}
