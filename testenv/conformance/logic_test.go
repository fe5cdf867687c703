package conformance

import (
	"slices"
	"testing"
)

func TestParseJUnitAndRegressions(t *testing.T) {
	bareXML := []byte(`<testsuites><testsuite name="OCI Conformance Test">
  <testcase name="OCI Conformance Test/ping" status="passed"></testcase>
  <testcase name="OCI Conformance Test/image/push/blob-delete" status="passed"></testcase>
  <testcase name="OCI Conformance Test/image/push/blob-delete" status="failure"></testcase>
  <testcase name="OCI Conformance Test/referrers/get" status="failure"></testcase>
</testsuite></testsuites>`)
	bare, err := parseJUnit(bareXML)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		gateway string
		want    []string
	}{
		{"same verdicts in another order are no regression", `<testsuites><testsuite>
  <testcase name="OCI Conformance Test/image/push/blob-delete" status="failure"></testcase>
  <testcase name="OCI Conformance Test/referrers/get" status="failure"></testcase>
  <testcase name="OCI Conformance Test/image/push/blob-delete" status="passed"></testcase>
  <testcase name="OCI Conformance Test/ping" status="passed"></testcase>
</testsuite></testsuites>`, nil},
		{"a step failing only through the gateway is a regression", `<testsuites><testsuite>
  <testcase name="OCI Conformance Test/ping" status="error"></testcase>
  <testcase name="OCI Conformance Test/image/push/blob-delete" status="passed"></testcase>
  <testcase name="OCI Conformance Test/image/push/blob-delete" status="failure"></testcase>
</testsuite></testsuites>`, []string{"OCI Conformance Test/ping"}},
		{"one of two same-named steps failing is a regression", `<testsuites><testsuite>
  <testcase name="OCI Conformance Test/ping" status="passed"></testcase>
  <testcase name="OCI Conformance Test/image/push/blob-delete" status="failure"></testcase>
  <testcase name="OCI Conformance Test/image/push/blob-delete" status="failure"></testcase>
</testsuite></testsuites>`, []string{"OCI Conformance Test/image/push/blob-delete"}},
		{"a step failing in both runs is no regression", `<testsuites><testsuite>
  <testcase name="OCI Conformance Test/ping" status="passed"></testcase>
  <testcase name="OCI Conformance Test/image/push/blob-delete" status="passed"></testcase>
  <testcase name="OCI Conformance Test/image/push/blob-delete" status="skipped"></testcase>
  <testcase name="OCI Conformance Test/referrers/get" status="error"></testcase>
</testsuite></testsuites>`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			gw, err := parseJUnit([]byte(tt.gateway))
			if err != nil {
				t.Fatal(err)
			}
			if got := regressions(bare, gw); !slices.Equal(got, tt.want) {
				t.Errorf("regressions: got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestParseJUnitRefusesAnEmptyReport(t *testing.T) {
	if _, err := parseJUnit([]byte(`<testsuites><testsuite></testsuite></testsuites>`)); err == nil {
		t.Errorf("parseJUnit of a report without test cases: got no error, want one")
	}
	if _, err := parseJUnit([]byte(`not xml`)); err == nil {
		t.Errorf("parseJUnit of garbage: got no error, want one")
	}
}

func TestIsWriteStep(t *testing.T) {
	tests := []struct {
		name string
		want bool
	}{
		{"OCI Conformance Test/image/push/manifest-by-tag", true},
		{"OCI Conformance Test/image/pull/manifest-by-tag", false},
		{"OCI Conformance Test/image/head/manifest-head-by-digest", false},
		{"OCI Conformance Test/sha256 blobs/mount/blob-mount", true},
		{"OCI Conformance Test/sha256 blobs/post cancel/blob-post-cancel", true},
		{"OCI Conformance Test/image/delete/tag-delete", true},
		{"OCI Conformance Test/image/tag-list", false},
		{"OCI Conformance Test/invalid-digest-format/manifest-put", false},
		{"OCI Conformance Test/invalid-digest-format/blob-post-put", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := isWriteStep(tt.name); got != tt.want {
				t.Errorf("isWriteStep(%q): got %v, want %v", tt.name, got, tt.want)
			}
		})
	}
}
