package testenv

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// recordingTB is a TB that records instead of stopping the test, so that a
// helper's failure can be checked.
type recordingTB struct {
	fatal    string
	cleanups []func()
}

func (r *recordingTB) Helper()                           {}
func (r *recordingTB) Fatalf(format string, args ...any) { r.fatal = fmt.Sprintf(format, args...) }
func (r *recordingTB) Cleanup(f func())                  { r.cleanups = append(r.cleanups, f) }

func (r *recordingTB) runCleanups() {
	for i := len(r.cleanups) - 1; i >= 0; i-- {
		r.cleanups[i]()
	}
}

func TestPollWaitsForTheCondition(t *testing.T) {
	for _, tt := range []struct {
		name     string
		passesAt int // the call that first returns true; 0: never
		limit    time.Duration
		wantErr  bool
	}{
		{"a condition already true returns at once", 1, time.Second, false},
		{"a condition true on the third check is waited for", 3, time.Second, false},
		{"a condition never true fails after the limit", 0, 100 * time.Millisecond, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			calls := 0
			took, err := Poll(tt.limit, func() bool {
				calls++
				return calls == tt.passesAt
			})
			if (err != nil) != tt.wantErr {
				t.Fatalf("Poll: error %v, want error %v", err, tt.wantErr)
			}
			if tt.wantErr {
				if took < tt.limit {
					t.Errorf("Poll gave up after %s, want at least the limit %s", took, tt.limit)
				}
				return
			}
			if calls != tt.passesAt {
				t.Errorf("Poll checked %d times, want %d (it stops at the first true)", calls, tt.passesAt)
			}
		})
	}
}

func TestEventuallyNamesWhatItWaitedFor(t *testing.T) {
	var tb recordingTB
	Eventually(&tb, 50*time.Millisecond, "the revocation to reach the gateway", func() bool { return false })
	if !strings.Contains(tb.fatal, "the revocation to reach the gateway") || !strings.Contains(tb.fatal, "50ms") {
		t.Errorf("Eventually failed with %q, want what it waited for and the limit", tb.fatal)
	}

	tb = recordingTB{}
	Eventually(&tb, time.Second, "a condition already true", func() bool { return true })
	if tb.fatal != "" {
		t.Errorf("Eventually of a true condition failed: %q", tb.fatal)
	}
}

func TestContextEndsAtItsLimitOrWithTheTest(t *testing.T) {
	t.Run("the limit ends it", func(t *testing.T) {
		var tb recordingTB
		ctx := Context(&tb, 20*time.Millisecond)
		defer tb.runCleanups()
		select {
		case <-ctx.Done():
			if !errors.Is(ctx.Err(), context.DeadlineExceeded) {
				t.Errorf("ctx.Err() = %v, want DeadlineExceeded", ctx.Err())
			}
		case <-time.After(5 * time.Second):
			t.Fatal("the context outlived its 20ms limit by 5s")
		}
	})
	t.Run("the end of the test ends it", func(t *testing.T) {
		var tb recordingTB
		ctx := Context(&tb, time.Hour)
		tb.runCleanups()
		if !errors.Is(ctx.Err(), context.Canceled) {
			t.Errorf("after the test's cleanups ctx.Err() = %v, want Canceled", ctx.Err())
		}
	})
}
