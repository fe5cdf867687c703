package storeusage

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/oatgate/oatgate/testenv"
)

// A reload that keeps the store options keeps the reporter with what it
// counted, unsent and uncounted twice; a reload that changes them flushes
// the old reporter once, as a shutdown does.
func TestAReloadNeitherLosesNorDoublesUsage(t *testing.T) {
	env, err := testenv.Start(testenv.Options{Gateway: map[string]any{
		"usage_report_interval": "1h", // nothing leaves but by a flush
	}})
	if err != nil {
		t.Fatalf("starting testenv: %v", err)
	}
	defer env.Close()
	ctx := testenv.Context(t, time.Minute)
	tok := env.MintToken(t, "reload", "repository:reload/**:pull")
	pull := func(n int) {
		for range n {
			if s := env.Call(t, "GET", "/v2/reload/app/tags/list", "reload", tok.Secret, nil).StatusCode; s != http.StatusNotFound {
				t.Fatalf("status %d, want the registry's 404", s)
			}
		}
	}
	requests := func() int64 {
		rows, err := env.Admin.Usage(ctx, "reload", url.Values{"period": {"day"}})
		if err != nil {
			t.Fatal(err)
		}
		var n int64
		for _, r := range rows {
			n += r.Requests
		}
		return n
	}
	steps := []struct {
		name   string
		pulls  int
		reload map[string]any
		want   int64
	}{
		{"a reload with the same options keeps the counts unsent", 5, map[string]any{}, 0},
		{"a reload that changes them flushes the old reporter", 3, map[string]any{"usage_report_buffer": 5000}, 8},
		{"the next change flushes only what came after", 4, map[string]any{"usage_report_buffer": 6000}, 12},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			pull(s.pulls)
			if err := env.ReloadGateway(s.reload); err != nil {
				t.Fatal(err)
			}
			if s.want == 0 {
				time.Sleep(200 * time.Millisecond)
				if n := requests(); n != 0 {
					t.Fatalf("the store has %d requests after a reload that changed nothing, want 0 (the reporter kept them)", n)
				}
				return
			}
			testenv.Eventually(t, 10*time.Second, "the flushed counts in the store", func() bool { return requests() >= s.want })
			time.Sleep(200 * time.Millisecond)
			if n := requests(); n != s.want {
				t.Fatalf("the store has %d requests, want %d", n, s.want)
			}
		})
	}
}
