package report

import (
	"bytes"
	"compress/gzip"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// TestGoldenReports runs the fixed event file testdata/events.log through
// every period, filter and format and compares with testdata/golden.
func TestGoldenReports(t *testing.T) {
	day2 := time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name   string
		opts   Options
		format Format
	}{
		{"by_day_table", Options{}, Table},
		{"by_hour_csv", Options{Period: Hour}, CSV},
		{"by_month_json", Options{Period: Month}, JSON},
		{"all_time_with_ips_table", Options{Period: All, IPs: true}, Table},
		{"one_org_table", Options{Org: "globex", Period: Month}, Table},
		{"one_token_by_label_csv", Options{Token: "deploy"}, CSV},
		{"repository_glob_csv", Options{Repository: "globex/**", Period: All}, CSV},
		{"since_until_csv", Options{Since: day2, Until: day2.Add(24 * time.Hour)}, CSV},
		{"with_ips_csv", Options{IPs: true, Org: "acme"}, CSV},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := runReport(t, tt.opts, tt.format, readFixture(t))
			golden := filepath.Join("testdata", "golden", tt.name+"."+string(tt.format))
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("report differs from %s\ngot:\n%s\nwant:\n%s", golden, got, want)
			}
		})
	}
}

// TestGzipReadsAsPlain checks that a rotated, compressed copy of the
// fixture reports exactly as the plain file does.
func TestGzipReadsAsPlain(t *testing.T) {
	plain := readFixture(t)
	var zipped bytes.Buffer
	zw := gzip.NewWriter(&zipped)
	if _, err := zw.Write(plain); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	got := runReport(t, Options{Period: Hour}, CSV, zipped.Bytes())
	want := runReport(t, Options{Period: Hour}, CSV, plain)
	if !bytes.Equal(got, want) {
		t.Errorf("gzip report:\n%s\nwant the plain file's:\n%s", got, want)
	}
}

// TestFixtureCounts pins what the fixture holds, so that a parser change
// that starts dropping events cannot hide in regenerated golden files.
func TestFixtureCounts(t *testing.T) {
	rep := mustNew(t, Options{})
	if err := rep.Read("events.log", bytes.NewReader(readFixture(t))); err != nil {
		t.Fatal(err)
	}
	got := rep.Counts()
	want := Counts{Lines: 37, Events: 29, Matched: 29, Malformed: 4, Foreign: 4}
	if got != want {
		t.Errorf("counts: got %+v, want %+v", got, want)
	}
}

func readFixture(t *testing.T) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "events.log"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func runReport(t *testing.T, opts Options, f Format, input []byte) []byte {
	t.Helper()
	rep := mustNew(t, opts)
	if err := rep.Read("input", bytes.NewReader(input)); err != nil {
		t.Fatalf("reading: %v", err)
	}
	var out bytes.Buffer
	if err := rep.Write(&out, f); err != nil {
		t.Fatalf("writing: %v", err)
	}
	return out.Bytes()
}

func mustNew(t testing.TB, opts Options) *Report {
	t.Helper()
	rep, err := New(opts)
	if err != nil {
		t.Fatalf("New(%+v): %v", opts, err)
	}
	return rep
}
