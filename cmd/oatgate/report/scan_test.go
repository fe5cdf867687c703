package report

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/oatgate/oatgate/caddymodule/usage"
)

// zapLines logs events through zap's JSON encoder, as Caddy does, and
// returns the lines, hostile field values included.
func zapLines(t testing.TB) [][]byte {
	t.Helper()
	var buf bytes.Buffer
	core := zapcore.NewCore(zapcore.NewJSONEncoder(zap.NewProductionEncoderConfig()), zapcore.AddSync(&buf), zapcore.InfoLevel)
	logger := zap.New(core).Named("http.handlers.registry_auth").Named(usage.LoggerName)
	events := []usage.Event{
		{Event: usage.EventPull, Decision: usage.Allow, TokenID: "tok_1", TokenLabel: "ci", Org: "acme", Repository: "acme/app",
			Reference: "v1", Method: "GET", Path: "/v2/acme/app/manifests/v1", Status: 200, BytesOut: 1234,
			Duration: 1500 * time.Microsecond, ClientIP: "10.0.0.1", UserAgent: "docker/27.0", RequestID: "r1"},
		{Event: usage.EventInvalid, Decision: usage.Deny, Reason: usage.ReasonInvalidRequest, Method: "GET",
			Path: "/v2/\"quoted\"\\back\tslash/é/😀/\x01\x7f/\xff\xfe", Status: 400, ClientIP: "::1",
			UserAgent: "agent \"with\" quotes\n<script>\u2028"},
		{Event: usage.EventLogin, Decision: usage.Deny, Reason: usage.ReasonBadCredentials, TokenLabel: "déploiement \U0001F680",
			Org: "acme", Method: "GET", Path: "/v2/", Status: 401, ClientIP: "10.0.0.2"},
		{Event: usage.EventPush, Decision: usage.Allow, TokenID: "tok_2", Org: "globex", Repository: "globex/a/b",
			Digest: "sha256:" + strings.Repeat("ab", 32), Method: "PUT", Path: "/v2/globex/a/b/blobs/uploads/u1",
			Status: 201, BytesIn: 1 << 40, ClientIP: "10.0.0.3"},
	}
	for i := range events {
		usage.Write(logger, &events[i])
	}
	logger.Named("other").Info("handled request", zap.Any("request", map[string]any{"headers": map[string][]string{"User-Agent": {"x"}}}), zap.Int("status", 200))
	return bytes.SplitAfter(bytes.TrimSuffix(buf.Bytes(), []byte("\n")), []byte("\n"))
}

// readFixtureTB is readFixture for fuzz targets and benchmarks.
func readFixtureTB(tb testing.TB) []byte {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "events.log"))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

func TestScannerDecidesWhatZapWrites(t *testing.T) {
	lines := zapLines(t)
	for _, l := range lines {
		var (
			s scanner
			f fields
		)
		got := s.scan(l, &f)
		var want Record
		wantErr := parseJSON(l, &want)
		switch {
		case got == undecided:
			t.Errorf("the scanner left a line zap wrote to encoding/json: %s", l)
		case got == isForeign && wantErr != ErrForeign, got == isEvent && wantErr != nil:
			t.Errorf("scanner verdict %d, encoding/json error %v, for %s", got, wantErr, l)
		}
	}
	if len(lines) != 5 {
		t.Errorf("zap wrote %d lines, want 5", len(lines))
	}
}

func TestScannerReadsValuesAsEncodingJSON(t *testing.T) {
	const head = `{"ts":1767225600,"msg":"registry request","event":"pull",`
	tests := []struct {
		name string
		tail string
		want verdict
		// path is the decoded "path" of an event.
		path string
	}{
		{"an escaped quote, backslash and slash are unescaped", `"path":"/a\"b\\c\/d"}`, isEvent, `/a"b\c/d`},
		{"control escapes are unescaped", `"path":"\b\f\n\r\t"}`, isEvent, "\b\f\n\r\t"},
		{"a \\u escape is a rune", `"path":"caf\u00e9 \u00E9"}`, isEvent, "café é"},
		{"a surrogate pair is one rune", `"path":"\ud83d\ude00"}`, isEvent, "😀"},
		{"a lone high surrogate is U+FFFD", `"path":"\ud83dx"}`, isEvent, "\uFFFDx"},
		{"a lone low surrogate is U+FFFD", `"path":"\ude00"}`, isEvent, "\uFFFD"},
		{"two high surrogates are two U+FFFD", `"path":"\ud83d\ud83d"}`, isEvent, "\uFFFD\uFFFD"},
		{"invalid UTF-8 is U+FFFD per byte", "\"path\":\"a\xff\xfeb\"}", isEvent, "a\uFFFD\uFFFDb"},
		{"UTF-8 is kept as it is", `"path":"é😀"}`, isEvent, "é😀"},
		{"whitespace between tokens is JSON's", " \"path\" :\t\"p\" \r\n}", isEvent, "p"},
		{"null leaves a string empty", `"path":null}`, isEvent, ""},
		{"a nested value of another key is skipped", `"request":{"h":{"A":["x",1,true,null,{}]}},"path":"p"}`, isEvent, "p"},
		{"an upper-case key is left to encoding/json, which folds case", `"PATH":"p"}`, undecided, ""},
		{"a key with an escape is left to encoding/json", `"p\u0061th":"p"}`, undecided, ""},
		{"a non-ASCII key is left to encoding/json", `"pαth":"p"}`, undecided, ""},
		{"a duplicate key is left to encoding/json", `"path":"p","path":"q"}`, undecided, ""},
		{"a number for a string is left to encoding/json", `"path":1}`, undecided, ""},
		{"a fraction for an integer is left to encoding/json", `"status":200.0}`, undecided, ""},
		{"an integer overflow is left to encoding/json", `"bytes_in":9223372036854775808}`, undecided, ""},
		{"an invalid escape is left to encoding/json", `"x":"\x"}`, undecided, ""},
		{"a raw control character is left to encoding/json", "\"x\":\"a\tb\"}", undecided, ""},
		{"a bad number is left to encoding/json", `"x":01}`, undecided, ""},
		{"trailing data is left to encoding/json", `"x":1} {}`, undecided, ""},
		{"a trailing comma is left to encoding/json", `"x":1,}`, undecided, ""},
		{"deep nesting is left to encoding/json", `"x":` + strings.Repeat("[", 40) + strings.Repeat("]", 40) + `}`, undecided, ""},
		{"another logger is foreign", `"logger":"tls","x":[1]}`, isForeign, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			line := []byte(head + tt.tail)
			var (
				s scanner
				f fields
			)
			if got := s.scan(line, &f); got != tt.want {
				t.Fatalf("verdict: got %d, want %d", got, tt.want)
			}
			if tt.want == isEvent {
				if got := string(f.str[fPath]); got != tt.path {
					t.Errorf("path: got %q, want %q", got, tt.path)
				}
			}
			checkAgainstJSON(t, &s, line)
		})
	}
}

// checkAgainstJSON fails unless the scanner, given line, agrees with
// encoding/json or leaves the line to it.
func checkAgainstJSON(t *testing.T, s *scanner, line []byte) {
	t.Helper()
	var f fields
	v := s.scan(line, &f)
	var want Record
	wantErr := parseJSON(line, &want)
	switch v {
	case isForeign:
		if wantErr != ErrForeign {
			t.Fatalf("scanner: foreign; encoding/json: %v (%+v)\nline %q", wantErr, want, line)
		}
	case isEvent:
		if wantErr != nil {
			t.Fatalf("scanner: event; encoding/json: %v\nline %q", wantErr, line)
		}
		var got Record
		f.record(&got, nil)
		if got != want {
			t.Fatalf("records differ for %q\nscanner      %+v\nencoding/json %+v", line, got, want)
		}
	}
	var got Record
	gotErr := ParseLine(line, &got)
	if got != want || (gotErr == nil) != (wantErr == nil) || gotErr != nil && gotErr.Error() != wantErr.Error() {
		t.Fatalf("ParseLine(%q) = %+v, %v; encoding/json %+v, %v", line, got, gotErr, want, wantErr)
	}
}

// FuzzFastParseMatchesJSON checks the scanner against encoding/json on
// arbitrary input, line by line with one scanner as Read uses it, and a
// report fed through AddLine against one fed by encoding/json.
func FuzzFastParseMatchesJSON(f *testing.F) {
	zl := zapLines(f)
	for _, l := range zl {
		f.Add(l)
	}
	// Several lines in one input, so that the scanner's buffer is reused.
	f.Add(bytes.Join(zl, nil))
	for l := range bytes.Lines(readFixtureTB(f)) {
		f.Add(l)
	}
	src := newEventSource(3)
	for i := range 3 {
		f.Add(src.appendEvent(nil, i))
	}
	for _, seed := range []string{
		`{"ts":"2026-01-01T00:00:00\u002e5Z","msg":"registry request","event":"pull","path":"\ud83d\ude00\ud800\udc00\udbff"}`,
		`{"ts":1767225600,"msg":"registry request","event":"pull","Path":"x","PATH":"y"}`,
		`{"ts":1767225600,"msg":"registry request","event":"pull","tſ":5,"K":1}`,
		`{"ts":1767225600,"msg":"registry request","event":"pull","status":-0,"bytes_in":1e2}`,
		`{"ts":null,"ts":1,"msg":"registry request","event":"x"}`,
		`{"ts":17672256e-1,"msg":"registry request","event":"x","a":[{"b":[]},"c\\"]}`,
		"{\"ts\":1,\"msg\":\"registry request\",\"event\":\"\xff\"}",
		`{ }`, `{}`, `{"a":}`, `{"a":1 "b":2}`, `[]`, `"x"`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var s scanner
		fast, ref := mustNew(t, Options{Period: Hour, IPs: true}), mustNew(t, Options{Period: Hour, IPs: true})
		var r Record
		for l := range bytes.Lines(data) {
			checkAgainstJSON(t, &s, l)
			if len(bytes.TrimSpace(l)) == 0 {
				continue
			}
			fast.AddLine(l, &r)
			ref.counts.Lines++
			switch err := parseJSON(l, &r); err {
			case nil:
				ref.Add(&r)
			case ErrForeign:
				ref.counts.Foreign++
			default:
				ref.counts.Malformed++
			}
		}
		if got, want := fast.Counts(), ref.Counts(); got != want {
			t.Fatalf("counts: AddLine %+v, encoding/json %+v", got, want)
		}
		if got, want := fast.Rows(), ref.Rows(); !reflect.DeepEqual(got, want) {
			t.Fatalf("rows: AddLine\n%+v\nencoding/json\n%+v", got, want)
		}
	})
}
