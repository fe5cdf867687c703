package storeapi

import (
	"bytes"
	"compress/gzip"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

var reportAt = time.Date(2026, 12, 3, 7, 15, 0, 0, time.UTC)

func sampleReport() UsageReport {
	return UsageReport{
		ID: "gw0123abcd-42",
		Counts: []UsageCount{{Org: "acme", TokenID: "tok_1", TokenLabel: "ci", Repository: "acme/app", Hour: reportAt.Truncate(time.Hour).Unix(),
			Requests: 9, Pulls: 2, VersionChecks: 3, Pushes: 1, Deletes: 1, Denied: 2, BytesIn: 10, BytesOut: 2000}},
		LastUsed: []LastUse{{Org: "acme", TokenID: "tok_1", At: reportAt, ClientIP: "192.0.2.1", UserAgent: "docker/27"}},
		Actions: []RegistryAction{
			{Action: ActionPush, At: reportAt, Org: "acme", TokenID: "tok_1", TokenLabel: "ci", Repository: "acme/app", Tag: "v1", Digest: "sha256:" + strings.Repeat("a", 64)},
			{Action: ActionInactiveUsed, At: reportAt, Org: "acme", TokenID: "tok_2", Reason: ReasonRevoked, ClientIP: "192.0.2.9", UserAgent: "curl/8"},
		},
	}
}

func TestUsageReportsRoundTripCompressed(t *testing.T) {
	want := sampleReport()
	body, err := EncodeUsageReport(&want)
	if err != nil {
		t.Fatal(err)
	}
	got, err := DecodeUsageReport(bytes.NewReader(body), true)
	if err != nil {
		t.Fatalf("decoding what EncodeUsageReport wrote: %v", err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %+v, want %+v", got, want)
	}
}

func TestParseUsageReportRefusesWhatTheStoreMustNotApply(t *testing.T) {
	tests := []struct {
		name   string
		change func(r *UsageReport)
	}{
		{"an empty batch id", func(r *UsageReport) { r.ID = "" }},
		{"a batch id with a slash", func(r *UsageReport) { r.ID = "gw/1" }},
		{"a batch id too long", func(r *UsageReport) { r.ID = strings.Repeat("a", MaxBatchIDLen+1) }},
		{"more items than a batch may hold", func(r *UsageReport) {
			r.Counts = make([]UsageCount, MaxUsageReportItems)
			for i := range r.Counts {
				r.Counts[i] = UsageCount{Org: "acme", TokenID: "tok_1"}
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name+" is refused", func(t *testing.T) {
			r := sampleReport()
			tt.change(&r)
			body, err := EncodeUsageReport(&r)
			if err != nil {
				t.Fatal(err)
			}
			if got, err := DecodeUsageReport(bytes.NewReader(body), true); !errors.Is(err, ErrMalformedReport) {
				t.Fatalf("got (%+v, %v), want an error wrapping ErrMalformedReport", got, err)
			}
		})
	}
	for _, tt := range []struct{ name, body string }{
		{"an unknown field", `{"id":"a-1","counts":[],"extra":1}`},
		{"trailing data", `{"id":"a-1"} {}`},
		{"not JSON", `nope`},
		{"an action time that is not RFC 3339", `{"id":"a-1","actions":[{"action":"registry.push","at":"yesterday","org":"a","token_id":"t"}]}`},
	} {
		t.Run(tt.name+" is refused", func(t *testing.T) {
			if _, err := ParseUsageReport([]byte(tt.body)); !errors.Is(err, ErrMalformedReport) {
				t.Fatalf("got %v, want an error wrapping ErrMalformedReport", err)
			}
		})
	}
}

func TestDecodeUsageReportStopsAZipBomb(t *testing.T) {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	// Valid-looking JSON that never ends, far past the bound.
	_, _ = zw.Write([]byte(`{"id":"a-1","counts":[`))
	chunk := bytes.Repeat([]byte(" "), 1<<20)
	for range MaxUsageReportJSONBytes/len(chunk) + 2 {
		_, _ = zw.Write(chunk)
	}
	_ = zw.Close()
	if buf.Len() > MaxUsageReportBytes {
		t.Fatalf("the bomb is %d bytes compressed; the test wants one under the body bound", buf.Len())
	}
	_, err := DecodeUsageReport(&buf, true)
	if !errors.Is(err, ErrUsageReportTooLarge) {
		t.Fatalf("got %v, want ErrUsageReportTooLarge", err)
	}
}

func TestDecodeUsageReportReadsPlainJSONWhenNotGzipped(t *testing.T) {
	r, err := DecodeUsageReport(strings.NewReader(`{"id":"a-1"}`), false)
	if err != nil || r.ID != "a-1" {
		t.Fatalf("got (%+v, %v), want the batch a-1", r, err)
	}
	if _, err := DecodeUsageReport(strings.NewReader(`{"id":"a-1"}`), true); !errors.Is(err, ErrMalformedReport) {
		t.Fatalf("plain JSON declared gzip: got %v, want ErrMalformedReport", err)
	}
}

func FuzzParseUsageReport(f *testing.F) {
	r := sampleReport()
	body, _ := EncodeUsageReport(&r)
	zr, _ := gzip.NewReader(bytes.NewReader(body))
	var plain bytes.Buffer
	_, _ = plain.ReadFrom(zr)
	for _, s := range []string{plain.String(), `{"id":"a-1"}`, `{"id":""}`, `{"id":"a-1","counts":[{"org":"a","token_id":"t","hour":3601}]}`, `[`, ``, `null`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		got, err := ParseUsageReport(body)
		if err != nil {
			if !errors.Is(err, ErrMalformedReport) {
				t.Fatalf("error %v does not wrap ErrMalformedReport", err)
			}
			return
		}
		if !validBatchID(got.ID) || got.Items() > MaxUsageReportItems {
			t.Fatalf("accepted a report with id %q and %d items", got.ID, got.Items())
		}
		for _, c := range got.Counts {
			if c.TokenID == "" || c.Org == "" || c.Hour%3600 != 0 || c.Requests < 0 {
				t.Fatalf("accepted a count the store must not apply: %+v", c)
			}
		}
		for _, u := range got.LastUsed {
			for _, f := range []string{u.Org, u.TokenID, u.ClientIP, u.UserAgent} {
				if len(f) > MaxFieldLen || !utf8.ValidString(f) {
					t.Fatalf("accepted a last use with a field of %d bytes, valid UTF-8 %v", len(f), utf8.ValidString(f))
				}
			}
		}
		// What was accepted encodes and reads back the same, whole.
		again, err := EncodeUsageReport(&got)
		if err != nil {
			t.Fatal(err)
		}
		back, err := DecodeUsageReport(bytes.NewReader(again), true)
		if err != nil {
			t.Fatalf("an accepted report does not read back: %v", err)
		}
		if back.Skipped != 0 || back.Items() != got.Items() {
			t.Fatalf("an accepted report reads back with %d of %d items (%s)", back.Items(), got.Items(), back.Why)
		}
	})
}

func TestOneBadItemIsLeftOutAndTheRestOfTheBatchKept(t *testing.T) {
	tests := []struct {
		name   string
		change func(r *UsageReport)
	}{
		{"a count without a token id", func(r *UsageReport) { r.Counts[0].TokenID = "" }},
		{"a count without an org", func(r *UsageReport) { r.Counts[0].Org = " " }},
		{"an hour that is not the start of an hour", func(r *UsageReport) { r.Counts[0].Hour += 60 }},
		{"a negative hour", func(r *UsageReport) { r.Counts[0].Hour = -3600 }},
		{"a negative counter", func(r *UsageReport) { r.Counts[0].BytesOut = -1 }},
		{"a last use without a time", func(r *UsageReport) { r.LastUsed[0].At = time.Time{} }},
		{"an unknown action", func(r *UsageReport) { r.Actions[0].Action = "registry.pull" }},
		{"an action without a token id", func(r *UsageReport) { r.Actions[1].TokenID = "" }},
	}
	for _, tt := range tests {
		t.Run(tt.name+" is skipped, counted, and the other items kept", func(t *testing.T) {
			r := sampleReport()
			tt.change(&r)
			body, err := EncodeUsageReport(&r)
			if err != nil {
				t.Fatal(err)
			}
			got, err := DecodeUsageReport(bytes.NewReader(body), true)
			if err != nil {
				t.Fatalf("got %v, want the batch applied without the bad item", err)
			}
			if got.Skipped != 1 || got.Why == "" {
				t.Fatalf("skipped %d (%q), want 1 with why", got.Skipped, got.Why)
			}
			want := sampleReport()
			if n, want := got.Items(), want.Items()-1; n != want {
				t.Fatalf("%d items kept, want %d", n, want)
			}
		})
	}
}

func TestOverlongAndInvalidStringsAreCutNotRefused(t *testing.T) {
	ascii511 := strings.Repeat("a", MaxFieldLen-1)
	tests := []struct {
		name   string
		change func(r *UsageReport)
		field  func(r *UsageReport) string
		want   string
	}{
		{"a user agent of 200 invalid bytes", func(r *UsageReport) { r.LastUsed[0].UserAgent = strings.Repeat("\xff", 200) },
			func(r *UsageReport) string { return r.LastUsed[0].UserAgent }, strings.Repeat("\uFFFD", MaxFieldLen/3)},
		{"a user agent cut inside a two-byte rune", func(r *UsageReport) { r.Actions[1].UserAgent = (ascii511 + "é")[:MaxFieldLen] },
			func(r *UsageReport) string { return r.Actions[1].UserAgent }, ascii511},
		{"a repository too long", func(r *UsageReport) { r.Counts[0].Repository = strings.Repeat("x", MaxFieldLen+1) },
			func(r *UsageReport) string { return r.Counts[0].Repository }, strings.Repeat("x", MaxFieldLen)},
		{"a tag of 600 bytes of two-byte runes", func(r *UsageReport) { r.Actions[0].Tag = strings.Repeat("é", 300) },
			func(r *UsageReport) string { return r.Actions[0].Tag }, strings.Repeat("é", MaxFieldLen/2)},
		{"a label and a client ip of invalid bytes", func(r *UsageReport) {
			r.Actions[0].TokenLabel, r.Actions[0].ClientIP = strings.Repeat("\xc3", 300), strings.Repeat("\xe2\x82", 300)
		}, func(r *UsageReport) string { return r.Actions[0].TokenLabel + r.Actions[0].ClientIP }, strings.Repeat("\uFFFD", 2*(MaxFieldLen/3))},
		{"a digest too long", func(r *UsageReport) { r.Actions[0].Digest = "sha256:" + strings.Repeat("a", 1000) },
			func(r *UsageReport) string { return r.Actions[0].Digest }, ("sha256:" + strings.Repeat("a", 1000))[:MaxFieldLen]},
	}
	for _, tt := range tests {
		t.Run(tt.name+" reads back valid and within the bound", func(t *testing.T) {
			r := sampleReport()
			tt.change(&r)
			body, err := EncodeUsageReport(&r)
			if err != nil {
				t.Fatal(err)
			}
			got, err := DecodeUsageReport(bytes.NewReader(body), true)
			if err != nil {
				t.Fatalf("the store refused the batch: %v", err)
			}
			if got.Skipped != 0 || got.Items() != r.Items() {
				t.Fatalf("skipped %d, kept %d of %d items; want all kept", got.Skipped, got.Items(), r.Items())
			}
			f := tt.field(&got)
			if f != tt.want {
				t.Fatalf("got %q, want %q", f, tt.want)
			}
		})
		t.Run(tt.name+" is sent valid and within the bound once clamped by the gateway", func(t *testing.T) {
			r := sampleReport()
			tt.change(&r)
			r.Clamp()
			body, err := EncodeUsageReport(&r)
			if err != nil {
				t.Fatal(err)
			}
			got, err := DecodeUsageReport(bytes.NewReader(body), true)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, r) {
				t.Fatalf("what the store read differs from what the gateway sent:\ngot  %+v\nwant %+v", got, r)
			}
		})
	}
}

func TestClampField(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"a short valid string is kept", "docker/27.3.1 go/go1.22", "docker/27.3.1 go/go1.22"},
		{"a string of exactly the bound is kept", strings.Repeat("a", MaxFieldLen), strings.Repeat("a", MaxFieldLen)},
		{"an overlong ASCII string is cut at the bound", strings.Repeat("a", MaxFieldLen+5), strings.Repeat("a", MaxFieldLen)},
		{"a cut never splits a rune", strings.Repeat("a", MaxFieldLen-1) + "é", strings.Repeat("a", MaxFieldLen-1)},
		{"a four-byte rune across the bound goes whole", strings.Repeat("a", MaxFieldLen-2) + "😀", strings.Repeat("a", MaxFieldLen-2)},
		{"invalid bytes become one replacement character", "a\xff\xfeb", "a\uFFFDb"},
		{"an empty string stays empty", "", ""},
		{"NUL bytes are dropped, PostgreSQL's text holds none", "docker\x00/27\x00", "docker/27"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ClampField(tt.in)
			if got != tt.want {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
			if !utf8.ValidString(got) || len(got) > MaxFieldLen {
				t.Fatalf("got %d bytes, valid %v", len(got), utf8.ValidString(got))
			}
		})
	}
}
