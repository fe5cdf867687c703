package cli_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/oatgate/oatgate/caddymodule/storeapi"
)

const gatewayKey = "cli-test-gateway-key-0123456789abcdef"

// report sends a usage batch to the server as a gateway would.
func report(t *testing.T, url string, rep storeapi.UsageReport) {
	t.Helper()
	body, err := storeapi.EncodeUsageReport(&rep)
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("POST", url+storeapi.UsageReportsPath, bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+gatewayKey)
	req.Header.Set("Content-Encoding", "gzip")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("usage report: status %d", res.StatusCode)
	}
}

func TestUsageAndActivityByLabel(t *testing.T) {
	url := startServerWithGatewayKey(t, gatewayKey)
	admin := map[string]string{"OATSTORE_SERVER": url, "OATSTORE_ADMIN_KEY": adminKey}
	if code, _, errOut := run(admin, "org", "set", "acme"); code != 0 {
		t.Fatalf("org set: %s", errOut)
	}
	var ci, reader struct{ ID, Token string }
	for _, tok := range []struct {
		dst  any
		args []string
	}{
		{&ci, []string{"--label", "ci", "--scope", "repository:acme/app:pull,push"}},
		{&reader, []string{"--label", "reader", "--scope", "org:usage:read org:audit:read org:tokens:read"}},
	} {
		code, out, errOut := run(admin, append([]string{"token", "create", "--org", "acme", "--json"}, tok.args...)...)
		if code != 0 {
			t.Fatalf("token create: %s", errOut)
		}
		if err := json.Unmarshal([]byte(out), tok.dst); err != nil {
			t.Fatal(err)
		}
	}
	now := time.Now().UTC()
	report(t, url, storeapi.UsageReport{
		ID:       "gwcli-1",
		Counts:   []storeapi.UsageCount{{Org: "acme", TokenID: ci.ID, TokenLabel: "ci", Repository: "acme/app", Hour: now.Truncate(time.Hour).Unix(), Requests: 5, Pulls: 3, Pushes: 1, BytesOut: 4096}},
		LastUsed: []storeapi.LastUse{{Org: "acme", TokenID: ci.ID, At: now, ClientIP: "192.0.2.10", UserAgent: "docker/27.3.1 go/go1.22"}},
		Actions: []storeapi.RegistryAction{{Action: storeapi.ActionPush, At: now, Org: "acme", TokenID: ci.ID, TokenLabel: "ci", Repository: "acme/app", Tag: "v1",
			Digest: "sha256:" + strings.Repeat("c", 64), ClientIP: "192.0.2.10", UserAgent: "docker/27.3.1"}},
	})
	asReader := map[string]string{"OATSTORE_SERVER": url}
	tests := []struct {
		name string
		env  map[string]string
		args []string
		want string // a regexp the output must match
	}{
		{"usage by label prints the day's counts", admin, []string{"usage", "--org", "acme", "--token", "ci"},
			`(?s)PERIOD.*REQUESTS.*` + now.Format("2006-01-02") + `\s+` + ci.ID + `\s+ci\s+acme/app\s+5\s+3\s+0\s+1\s+0\s+0\s+0\s+4096`},
		{"usage as CSV has the header row", admin, []string{"usage", "--org", "acme", "--period", "month", "--csv"},
			`^period,token_id,token_label,repository,requests,pulls,version_checks,pushes,deletes,denied,bytes_in,bytes_out\n` + now.Format("2006-01") + `,` + ci.ID + `,ci,acme/app,5,3,0,1,0,0,0,4096\n$`},
		{"activity by label shows the push and the creation", admin, []string{"activity", "--org", "acme", "--token", "ci"},
			`(?s)registry\s+registry\.push\s+` + ci.ID + `\s+192\.0\.2\.10 docker/27\.3\.1\s+acme/app:v1 sha256:c+.*management\s+token\.created`},
		{"a management token reads activity with --auth-token", asReader, []string{"activity", "--org", "acme", "--token", "ci", "--kind", "registry", "--auth-token", reader.Token},
			`registry\.push`},
		{"token list shows the last address and client", admin, []string{"token", "list", "--org", "acme"},
			`(?s)LAST IP\s+LAST CLIENT.*192\.0\.2\.10\s+docker/27\.3\.1\s`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := run(tt.env, tt.args...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			if !regexp.MustCompile(tt.want).MatchString(out) {
				t.Fatalf("output:\n%s\nwant a match for %s", out, tt.want)
			}
		})
	}
	t.Run("an unknown label names the command that lists them", func(t *testing.T) {
		code, _, errOut := run(admin, "activity", "--org", "acme", "--token", "nope")
		if code != 1 || !strings.Contains(errOut, `no token labelled "nope"`) {
			t.Fatalf("exit %d: %s", code, errOut)
		}
	})
	t.Run("--csv with --json is a usage error", func(t *testing.T) {
		if code, _, _ := run(admin, "usage", "--org", "acme", "--csv", "--json"); code != 2 {
			t.Fatalf("exit %d, want 2", code)
		}
	})
}

func TestServeRefusesARetentionShorterThanADay(t *testing.T) {
	for _, args := range [][]string{
		{"serve", "--usage-retention", "1h"},
		{"serve", "--activity-retention", "soon"},
	} {
		code, _, errOut := run(map[string]string{"OATSTORE_ADMIN_KEY": adminKey}, args...)
		if code != 2 || !strings.Contains(errOut, args[1]+" ") || !strings.Contains(errOut, "want a duration of a day or more") {
			t.Errorf("%q: exit %d, %s; want a usage error naming %s", args, code, errOut, args[1])
		}
	}
}
