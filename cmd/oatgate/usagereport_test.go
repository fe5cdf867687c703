package main

import (
	"bytes"
	"compress/gzip"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

// runReportCommand runs the registered subcommand with its own flags, as
// Caddy builds it.
func runReportCommand(t *testing.T, stdin string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	cmd := &cobra.Command{Use: "usage-report"}
	usageReportCommand.CobraFunc(cmd)
	var out, errOut bytes.Buffer
	cmd.SetArgs(args)
	cmd.SetIn(strings.NewReader(stdin))
	cmd.SetOut(&out)
	cmd.SetErr(&errOut)
	cmd.SilenceUsage = true
	err = cmd.Execute()
	return out.String(), errOut.String(), err
}

func TestUsageReportCommand(t *testing.T) {
	fixture := filepath.Join("report", "testdata", "events.log")
	plain, err := os.ReadFile(fixture)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	rotated := filepath.Join(dir, "usage-2026-01-02T00-00-00.000.log.gz")
	var zipped bytes.Buffer
	zw := gzip.NewWriter(&zipped)
	zw.Write(plain)
	zw.Close()
	if err := os.WriteFile(rotated, zipped.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}

	t.Run("a rotated gzip file and stdin add up", func(t *testing.T) {
		out, _, err := runReportCommand(t, string(plain), "--period", "all", "--format", "csv", "--org", "globex", rotated, "-")
		if err != nil {
			t.Fatal(err)
		}
		want := "all,globex,tok_gx,builder,globex/tools/base,pull,4,4,"
		if !strings.Contains(out, want) {
			t.Errorf("output:\n%s\nwant a line starting %q (both inputs counted)", out, want)
		}
	})
	t.Run("the table ends with what was skipped", func(t *testing.T) {
		out, _, err := runReportCommand(t, "", fixture)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(out, "PERIOD") || !strings.Contains(out, "4 malformed and 4 foreign lines skipped") {
			t.Errorf("output:\n%s\nwant a table and the skipped lines", out)
		}
	})
	t.Run("csv keeps stdout clean and reports skipped lines on stderr", func(t *testing.T) {
		out, errOut, err := runReportCommand(t, string(plain), "--format", "csv", "--since", "2026-01-02", "--until", "2026-01-03")
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(out, "skipped") || !strings.Contains(errOut, "4 malformed and 4 foreign lines skipped") {
			t.Errorf("stdout:\n%s\nstderr:\n%s", out, errOut)
		}
	})
	t.Run("an unreadable file is reported and the rest still printed", func(t *testing.T) {
		out, errOut, err := runReportCommand(t, "", "--format", "csv", filepath.Join(dir, "missing.log"), fixture)
		if !errors.Is(err, errUnreadable) {
			t.Errorf("error: got %v, want errUnreadable", err)
		}
		if !strings.Contains(errOut, "missing.log") || strings.Count(out, "\n") < 10 {
			t.Errorf("stdout:\n%s\nstderr:\n%s", out, errOut)
		}
	})
	for _, bad := range [][]string{{"--period", "week"}, {"--format", "xml"}, {"--since", "yesterday"}, {"--repository", "Bad Name"}} {
		t.Run("refuses "+strings.Join(bad, " "), func(t *testing.T) {
			if _, _, err := runReportCommand(t, "", bad...); err == nil {
				t.Errorf("%v: no error", bad)
			}
		})
	}
}
