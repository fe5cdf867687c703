package bench

import (
	"strings"
	"testing"
)

func TestParseMicroReadsBenchmarkLinesAndSkipsTheRest(t *testing.T) {
	out := `goos: linux
BenchmarkClassify/manifest_GET-2         	 9523810	       126.0 ns/op	       0 B/op	       0 allocs/op
BenchmarkCacheWithAMillionTokens/one_shared_scope-2 	  200000	       612.3 ns/op	       236.5 heap-MiB	       0 B/op	       0 allocs/op
PASS
ok  	github.com/oatgate/oatgate/caddymodule/registryreq	1.2s
`
	got, err := ParseMicro(strings.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, unit string
		want       float64
	}{
		{"BenchmarkClassify/manifest_GET", "ns/op", 126},
		{"BenchmarkClassify/manifest_GET", "allocs/op", 0},
		{"BenchmarkCacheWithAMillionTokens/one_shared_scope", "heap-MiB", 236.5},
		{"BenchmarkCacheWithAMillionTokens/one_shared_scope", "ns/op", 612.3},
	}
	for _, tt := range tests {
		m, ok := got[tt.name]
		if !ok {
			t.Errorf("%s is missing from %v", tt.name, got)
			continue
		}
		if v, ok := m.Metrics[tt.unit]; !ok || v != tt.want {
			t.Errorf("%s %s = %v (present %v), want %v", tt.name, tt.unit, v, ok, tt.want)
		}
	}
	if len(got) != 2 {
		t.Errorf("parsed %d benchmarks, want 2: %v", len(got), got)
	}
}

func TestDurationAndSizePrintReadably(t *testing.T) {
	tests := []struct{ got, want string }{
		{Duration(850), "850 ns"},
		{Duration(1500), "1.5 µs"},
		{Duration(-1500), "-1.5 µs"},
		{Duration(12_700_000), "12.7 ms"},
		{Size(64 << 20), "64 MiB"},
		{Size(1 << 30), "1 GiB"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("got %q, want %q", tt.got, tt.want)
		}
	}
}
