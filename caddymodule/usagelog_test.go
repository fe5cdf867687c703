package caddymodule

import (
	"bytes"
	"context"
	"encoding/base64"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/oatgate/oatgate/caddymodule/decide"
	"github.com/oatgate/oatgate/caddymodule/oat"
	"github.com/oatgate/oatgate/caddymodule/scope"
	"github.com/oatgate/oatgate/caddymodule/usage"
	"github.com/oatgate/oatgate/caddymodule/verify"
)

// oneToken is a verifier that knows one token.
type oneToken struct {
	token string
	id    *verify.Identity
}

func (o oneToken) VerifyFrom(_ context.Context, token, _ string) (*verify.Identity, *verify.Refusal, error) {
	if token == o.token {
		return o.id, nil, nil
	}
	return nil, &verify.Refusal{}, nil
}

// oneIDToken is an ID token verifier that knows one JWT of one org.
type oneIDToken struct {
	org, jwt string
	id       *verify.Identity
}

func (o oneIDToken) VerifyIDToken(_ context.Context, org, jwt, _ string) (*verify.Identity, *verify.Refusal, error) {
	if org == o.org && jwt == o.jwt {
		return o.id, nil, nil
	}
	return nil, &verify.Refusal{}, nil
}

// TestUsageLinesAreTheFieldsUsageWriteWrites checks the usage log line by
// line, byte for byte, in Caddy's JSON encoding: the pre-encoded outcome
// fields must leave every line as usage.Write writes it, which the
// usage-report reader and operators' pipelines parse.
func TestUsageLinesAreTheFieldsUsageWriteWrites(t *testing.T) {
	tok, err := oat.Generate()
	if err != nil {
		t.Fatal(err)
	}
	scopes, err := scope.ParseList("repository:acme/**:pull")
	if err != nil {
		t.Fatal(err)
	}
	id := &verify.Identity{TokenID: "tok_1", Label: "ci", Org: "acme", Grants: scope.Compile("acme", scopes)}
	// A CI job's ID token, accepted under acme's trust policy gha-main.
	const jobJWT = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJyZXBvOmFjbWUvYXBwIn0.c2lnbmF0dXJl"
	fed := &verify.Identity{TokenID: "tok_fed", Label: "gha-main", Org: "acme", Policy: "gha-main", Grants: scope.Compile("acme", scopes)}
	policy, err := decide.New(decide.Config{Verifier: oneToken{tok.Reveal(), id}, IDTokens: oneIDToken{"acme", jobJWT, fed}, AnonymousPull: []string{"acme/public/**"}})
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	enc := zap.NewProductionEncoderConfig()
	enc.TimeKey = "" // the one field that differs from run to run besides duration
	logger := zap.New(zapcore.NewCore(zapcore.NewJSONEncoder(enc), zapcore.AddSync(&out), zapcore.InfoLevel))
	ra := &RegistryAuth{policy: policy, challenge: `Basic realm="oatgate"`, usage: newUsageLog(logger.Named(usage.LoggerName))}
	next := caddyhttp.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		w.WriteHeader(http.StatusOK)
		_, err := w.Write([]byte("ok"))
		return err
	})
	auth := "Basic " + base64.StdEncoding.EncodeToString([]byte("acme:"+tok.Reveal()))
	const head = `{"level":"info","logger":"usage","msg":"registry request",`
	tests := []struct {
		name, method, target, auth, want string
	}{
		{"an allowed pull", "GET", "/v2/acme/app/manifests/latest", auth,
			head + `"event":"pull","decision":"allow","token_id":"tok_1","token_label":"ci","org":"acme","repository":"acme/app","reference":"latest","method":"GET","path":"/v2/acme/app/manifests/latest","status":200,"bytes_in":0,"bytes_out":N,"duration":0,"client_ip":"192.0.2.1:1234","user_agent":"docker/27","request_id":"r1"}`},
		{"a pull by a CI job with its ID token names the trust policy", "GET", "/v2/acme/app/manifests/latest", "Basic " + base64.StdEncoding.EncodeToString([]byte("acme:"+jobJWT)),
			head + `"event":"pull","decision":"allow","token_id":"tok_fed","token_label":"gha-main","org":"acme","policy":"gha-main","repository":"acme/app","reference":"latest","method":"GET","path":"/v2/acme/app/manifests/latest","status":200,"bytes_in":0,"bytes_out":N,"duration":0,"client_ip":"192.0.2.1:1234","user_agent":"docker/27","request_id":"r1"}`},
		{"an ID token under another org's name is denied without naming anything of it", "GET", "/v2/globex/app/manifests/latest", "Basic " + base64.StdEncoding.EncodeToString([]byte("globex:"+jobJWT)),
			head + `"event":"pull","decision":"deny","reason":"inactive_token","repository":"globex/app","reference":"latest","method":"GET","path":"/v2/globex/app/manifests/latest","status":401,"bytes_in":0,"bytes_out":N,"duration":0,"client_ip":"192.0.2.1:1234","user_agent":"docker/27","request_id":"r1"}`},
		{"a push denied for scope", "PUT", "/v2/acme/app/manifests/v1", auth,
			head + `"event":"push","decision":"deny","reason":"scope","token_id":"tok_1","token_label":"ci","org":"acme","repository":"acme/app","reference":"v1","method":"PUT","path":"/v2/acme/app/manifests/v1","status":403,"bytes_in":0,"bytes_out":N,"duration":0,"client_ip":"192.0.2.1:1234","user_agent":"docker/27","request_id":"r1"}`},
		{"a ping of /v2/ without credentials is a challenge", "GET", "/v2/", "",
			head + `"event":"login","decision":"challenge","method":"GET","path":"/v2/","status":401,"bytes_in":0,"bytes_out":N,"duration":0,"client_ip":"192.0.2.1:1234","user_agent":"docker/27","request_id":"r1"}`},
		{"an invalid request", "GET", "/v2/Acme/app/manifests/latest", "",
			head + `"event":"invalid","decision":"deny","reason":"invalid_request","method":"GET","path":"/v2/Acme/app/manifests/latest","status":400,"bytes_in":0,"bytes_out":N,"duration":0,"client_ip":"192.0.2.1:1234","user_agent":"docker/27","request_id":"r1"}`},
		{"an anonymous pull", "GET", "/v2/acme/public/app/blobs/sha256:" + strings.Repeat("a", 64), "",
			head + `"event":"pull","decision":"allow","repository":"acme/public/app","digest":"sha256:` + strings.Repeat("a", 64) + `","method":"GET","path":"/v2/acme/public/app/blobs/sha256:` + strings.Repeat("a", 64) + `","status":200,"bytes_in":0,"bytes_out":N,"duration":0,"client_ip":"192.0.2.1:1234","user_agent":"docker/27","request_id":"r1"}`},
	}
	// Duration varies from run to run, and a refusal's size with its
	// message; both are normalized.
	duration := regexp.MustCompile(`"duration":[-0-9.e]+`)
	bytesOut := regexp.MustCompile(`"bytes_out":[0-9]+,`)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out.Reset()
			r := httptest.NewRequest(tt.method, tt.target, nil)
			r.RemoteAddr = "192.0.2.1:1234"
			r.Header.Set("User-Agent", "docker/27")
			r.Header.Set("X-Request-Id", "r1")
			if tt.auth != "" {
				r.Header.Set("Authorization", tt.auth)
			}
			if err := ra.ServeHTTP(httptest.NewRecorder(), r, next); err != nil {
				t.Fatalf("ServeHTTP: %v", err)
			}
			got := duration.ReplaceAllString(strings.TrimSpace(out.String()), `"duration":0`)
			got = bytesOut.ReplaceAllString(got, `"bytes_out":N,`)
			if got != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
}

// BenchmarkUsageLogWrite is the cost of one usage line in Caddy's JSON
// encoding, to a discarded writer: every field encoded per request (in a
// pooled buffer, as ServeHTTP did before), against the outcome fields
// pre-encoded.
func BenchmarkUsageLogWrite(b *testing.B) {
	core := zapcore.NewCore(zapcore.NewJSONEncoder(zap.NewProductionEncoderConfig()), zapcore.AddSync(io.Discard), zapcore.InfoLevel)
	logger := zap.New(core).Named(usage.LoggerName)
	x := &exchange{event: decide.EventPull, outcome: decide.Allow, ev: usage.Event{
		Event: usage.EventPull, Decision: usage.Allow, TokenID: "tok_0123456789", TokenLabel: "ci", Org: "acme",
		Repository: "acme/app", Reference: "latest", Method: "GET", Path: "/v2/acme/app/manifests/latest",
		Status: 200, BytesOut: 1234, Duration: 3 * time.Microsecond, ClientIP: "127.0.0.1",
		UserAgent: "docker/27.0 go/go1.22 os/linux arch/amd64",
	}}
	b.Run("every field encoded", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if ce := logger.Check(zapcore.InfoLevel, usage.Message); ce != nil {
				fields := x.ev.Fields(x.fields[:0])
				ce.Write(fields...)
				clear(fields)
			}
		}
	})
	b.Run("outcome fields pre-encoded", func(b *testing.B) {
		u := newUsageLog(logger)
		b.ReportAllocs()
		for b.Loop() {
			u.write(x)
		}
	})
}
