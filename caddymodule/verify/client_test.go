package verify

import (
	"context"
	"net"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
)

func TestIntrospectionRetriesOnlyWhatMayHeal(t *testing.T) {
	tests := []struct {
		name      string
		mode      int32
		wantCalls int64
	}{
		{"a dropped connection is retried", answerDropConnection, 3},
		{"a 503 is retried", answer503, 3},
		{"a 400 is not retried", answer400, 1},
		{"a 401 is not retried", answer401, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newFakeStore(t)
			v, _ := newTestVerifier(t, s, func(c *Config) { c.Retries = 2 })
			tok := s.add(t, "tok-1", "acme", testScope, time.Time{})
			s.mode.Store(tt.mode)
			id, err := v.Verify(context.Background(), tok)
			if id != nil || err != ErrUnavailable {
				t.Fatalf("Verify: got (%+v, %v), want (nil, ErrUnavailable)", id, err)
			}
			wantCalls(t, s, tt.wantCalls)
		})
	}
}

func TestAStoreRefusingTheGatewayKeyIsLoggedAsAnError(t *testing.T) {
	s := newFakeStore(t)
	core, logs := observer.New(zapcore.InfoLevel)
	v, _ := newTestVerifier(t, s, func(c *Config) {
		c.Logger = zap.New(core)
		c.StoreKey = "wrong-key"
	})
	tok := s.add(t, "tok-1", "acme", testScope, time.Time{})
	for range 3 {
		if _, err := v.Verify(context.Background(), tok); err != ErrUnavailable {
			t.Fatalf("Verify with a wrong gateway key: got %v, want ErrUnavailable", err)
		}
	}
	errorsLogged := logs.FilterLevelExact(zapcore.ErrorLevel).All()
	if len(errorsLogged) != 1 {
		t.Fatalf("error log entries: got %d (%v), want 1 per outage", len(errorsLogged), logs.All())
	}
	for _, e := range logs.All() {
		for _, f := range e.Context {
			if f.String == "wrong-key" || f.String == tok {
				t.Fatalf("log entry %q carries a secret in field %s", e.Message, f.Key)
			}
		}
	}
}

func TestTimeoutBoundsTheWholeIntrospection(t *testing.T) {
	s := newFakeStore(t)
	v, _ := newTestVerifier(t, s, func(c *Config) {
		c.Timeout = 300 * time.Millisecond
		c.Retries = 5
	})
	tok := s.add(t, "tok-1", "acme", testScope, time.Time{})
	// Each try takes 2 s, so without the bound six tries would take 12 s.
	s.delay.Store(int64(2 * time.Second))
	start := time.Now()
	_, err := v.Verify(context.Background(), tok)
	took := time.Since(start)
	if err != ErrUnavailable {
		t.Fatalf("Verify against a slow store: got %v, want ErrUnavailable", err)
	}
	if took > 1500*time.Millisecond {
		t.Fatalf("Verify against a slow store took %s, want about the 300ms Timeout, far below one 2s try", took)
	}
}

func TestVerifyGivesUpWhenTheCallerDoes(t *testing.T) {
	s := newFakeStore(t)
	v, _ := newTestVerifier(t, s, nil)
	tok := s.add(t, "tok-1", "acme", testScope, time.Time{})
	s.delay.Store(int64(2 * time.Second))
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	if _, err := v.Verify(ctx, tok); err != ErrUnavailable {
		t.Fatalf("Verify with a cancelled context: got %v, want ErrUnavailable", err)
	}
	if took := time.Since(start); took > 1500*time.Millisecond {
		t.Fatalf("Verify with a 50ms context took %s, want it to return early, far below the store's 2s", took)
	}
}

func TestAnUnreachableStoreIsUnavailable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	v, err := New(Config{StoreURL: "http://" + addr, StoreKey: testKey, Retries: 1, Timeout: time.Second})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	defer v.Close()
	tok := "oat_whatever"
	if id, err := v.Verify(context.Background(), tok); id != nil || err != ErrUnavailable {
		t.Fatalf("Verify against a closed port: got (%+v, %v), want (nil, ErrUnavailable)", id, err)
	}
}
