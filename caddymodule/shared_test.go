package caddymodule

import (
	"context"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/oatgate/oatgate/caddymodule/oat"
	"github.com/oatgate/oatgate/caddymodule/verify"
)

// A verifier kept across a reload logs through the config loaded last: the
// old config's log writers may be closed once it is cleaned up.
func TestAPooledVerifierLogsWhereTheLatestConfigSays(t *testing.T) {
	const key = "relay-test-key"
	cfg := verify.Config{
		StoreURL: "http://127.0.0.1:1", // nothing answers
		StoreKey: key,
		Timeout:  200 * time.Millisecond, Retries: -1, RevocationPoll: time.Hour,
	}
	oldCore, oldLogs := observer.New(zapcore.InfoLevel)
	newCore, newLogs := observer.New(zapcore.InfoLevel)

	first, firstKey, err := loadVerifier(cfg, key, zap.New(oldCore).Named("http.handlers.registry_auth"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _, _ = verifiers.Delete(firstKey) })
	second, secondKey, err := loadVerifier(cfg, key, zap.New(newCore).Named("http.handlers.registry_auth"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _, _ = verifiers.Delete(secondKey) })
	if first != second {
		t.Fatal("the same store options loaded two verifiers, want one shared")
	}

	tok, err := oat.Generate()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := second.Verify(context.Background(), tok.Reveal()); err == nil {
		t.Fatal("Verify with no store: got no error, want ErrUnavailable")
	}
	const msg = "token store unreachable"
	if n := newLogs.FilterMessageSnippet(msg).Len(); n != 1 {
		t.Errorf("the latest config's logger got %d %q lines, want 1 (old config's got %d)", n, msg, oldLogs.FilterMessageSnippet(msg).Len())
	}
	for _, e := range newLogs.FilterMessageSnippet(msg).All() {
		if e.LoggerName != "http.handlers.registry_auth" {
			t.Errorf("logger name %q, want http.handlers.registry_auth", e.LoggerName)
		}
	}
}
