package caddymodule

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/caddyserver/caddy/v2/caddyconfig"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	_ "github.com/caddyserver/caddy/v2/caddyconfig/httpcaddyfile"
	_ "github.com/caddyserver/caddy/v2/modules/standard"
)

// TestAdapt runs the fixtures in testdata/adapt: a Caddyfile, a line of
// dashes, and the JSON `oatgate adapt` must produce for it.
func TestAdapt(t *testing.T) {
	files, err := filepath.Glob("testdata/adapt/*.txt")
	if err != nil || len(files) == 0 {
		t.Fatalf("no adapt fixtures: %v", err)
	}
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".txt"), func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			input, want, ok := strings.Cut(string(data), "\n----------\n")
			if !ok {
				t.Fatalf("%s has no line of dashes between the Caddyfile and the JSON", file)
			}
			got := adapt(t, input)
			if !jsonEqual(t, got, []byte(want)) {
				t.Errorf("adapted JSON:\n%s\nwant:\n%s", indent(got), want)
			}
		})
	}
}

// TestQuickStartAdapts keeps Caddyfile.example adapting to the JSON in
// testdata/Caddyfile.example.json: registry_auth before reverse_proxy, with
// every option the example shows.
func TestQuickStartAdapts(t *testing.T) {
	data, err := os.ReadFile("../Caddyfile.example")
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile("testdata/Caddyfile.example.json")
	if err != nil {
		t.Fatal(err)
	}
	if got := adapt(t, string(data)); !jsonEqual(t, got, want) {
		t.Errorf("Caddyfile.example adapted to:\n%s\nwant testdata/Caddyfile.example.json:\n%s", indent(got), want)
	}
}

func TestCaddyfileErrorsNameTheOption(t *testing.T) {
	tests := []struct {
		name    string
		block   string
		wantErr string
	}{
		{"an unknown option", "store http://s\nstore_key k\nbogus 1", `unknown registry_auth option "bogus"`},
		{"a repeated option", "store http://a\nstore http://b", "store given more than once"},
		{"an option without its value", "store", "store needs a value"},
		{"two values for one", "store_key a b", "store_key takes one value"},
		{"a bad max_stale", "max_stale never", `max_stale "never": want a duration such as 30s, 5m or 1d, or off`},
		{"a bad duration", "cache_ttl soon", `cache_ttl "soon": want a duration`},
		{"a negative count", "retries -1", `retries "-1": want a whole number`},
		{"anonymous_pull without patterns", "anonymous_pull", "anonymous_pull needs at least one repository pattern"},
		{"an unknown challenge", "challenge digest", `challenge "digest": want bearer or basic`},
		{"a token ttl that is no duration", "token_ttl soon", `token_ttl "soon": want a duration`},
		{"a repeated token path", "token_path /a\ntoken_path /b", "token_path given more than once"},
		{"a service without its value", "service", "service needs a value"},
		{"usage reports neither on nor off", "usage_reports maybe", `usage_reports "maybe": want on or off`},
		{"a usage report interval of 0", "usage_report_interval 0", "usage_report_interval must be more than 0; use usage_reports off"},
		{"a negative usage report buffer", "usage_report_buffer -5", `usage_report_buffer "-5": want a whole number`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := caddyfile.NewTestDispenser("registry_auth {\n" + tt.block + "\n}")
			err := new(RegistryAuth).UnmarshalCaddyfile(d)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error = %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}

func adapt(t *testing.T, input string) []byte {
	t.Helper()
	adapter := caddyconfig.GetAdapter("caddyfile")
	got, warnings, err := adapter.Adapt([]byte(input), map[string]any{"filename": "Caddyfile"})
	if err != nil {
		t.Fatalf("adapting: %v", err)
	}
	for _, w := range warnings {
		t.Logf("adapt warning: %s", w.Message)
	}
	return got
}

func jsonEqual(t *testing.T, a, b []byte) bool {
	t.Helper()
	var x, y any
	if err := json.Unmarshal(a, &x); err != nil {
		t.Fatalf("got JSON: %v", err)
	}
	if err := json.Unmarshal(b, &y); err != nil {
		t.Fatalf("fixture JSON: %v", err)
	}
	xb, _ := json.Marshal(x)
	yb, _ := json.Marshal(y)
	return bytes.Equal(xb, yb)
}

func indent(b []byte) string {
	var out bytes.Buffer
	_ = json.Indent(&out, b, "", "\t")
	return out.String()
}
