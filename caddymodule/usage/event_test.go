package usage

import (
	"encoding/json"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
)

func TestWriteLogsEveryField(t *testing.T) {
	core, logs := observer.New(zapcore.InfoLevel)
	e := Event{
		Event: EventPull, Decision: Allow, TokenID: "tok_1", TokenLabel: "ci", Org: "acme", Policy: "gha-main",
		Repository: "acme/app", Reference: "latest", Digest: "sha256:abc", Method: "GET",
		Path: "/v2/acme/app/manifests/latest", Status: 200, BytesIn: 1, BytesOut: 2,
		Duration: 1500 * time.Millisecond, ClientIP: "127.0.0.1", UserAgent: "docker/20.10", RequestID: "r1",
	}
	Write(zap.New(core), &e)
	entries := logs.All()
	if len(entries) != 1 {
		t.Fatalf("got %d entries, want 1", len(entries))
	}
	got := entries[0].ContextMap()
	want := map[string]any{
		"event": "pull", "decision": "allow", "token_id": "tok_1", "token_label": "ci", "org": "acme", "policy": "gha-main",
		"repository": "acme/app", "reference": "latest", "digest": "sha256:abc", "method": "GET",
		"path": "/v2/acme/app/manifests/latest", "status": int64(200), "bytes_in": int64(1), "bytes_out": int64(2),
		"duration": 1.5, "client_ip": "127.0.0.1", "user_agent": "docker/20.10", "request_id": "r1",
	}
	if len(got) != len(want) {
		t.Errorf("got %d fields, want %d: %v", len(got), len(want), got)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("field %s = %#v, want %#v", k, got[k], v)
		}
	}
	if entries[0].Message != Message {
		t.Errorf("message = %q, want %q", entries[0].Message, Message)
	}
}

func TestDeniedEventsCarryTheReasonAndOmitEmptyFields(t *testing.T) {
	core, logs := observer.New(zapcore.InfoLevel)
	e := Event{Event: EventLogin, Decision: Deny, Reason: ReasonNoCredentials, Method: "GET", Path: "/v2/", Status: 401}
	Write(zap.New(core), &e)
	got := logs.All()[0].ContextMap()
	if got["reason"] != ReasonNoCredentials {
		t.Errorf("reason = %v, want %s", got["reason"], ReasonNoCredentials)
	}
	for _, k := range []string{"token_id", "token_label", "org", "policy", "repository", "reference", "digest", "user_agent", "request_id"} {
		if _, ok := got[k]; ok {
			t.Errorf("empty field %s was written", k)
		}
	}
	if _, err := json.Marshal(got); err != nil {
		t.Errorf("fields do not encode as JSON: %v", err)
	}
}

func TestWriteSkipsWhenInfoIsDisabled(t *testing.T) {
	core, logs := observer.New(zapcore.WarnLevel)
	Write(zap.New(core), &Event{Event: EventPull})
	if n := logs.Len(); n != 0 {
		t.Errorf("got %d entries at warn level, want 0", n)
	}
}
