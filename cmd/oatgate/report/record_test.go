package report

import (
	"errors"
	"testing"
	"time"
)

func TestParseLine(t *testing.T) {
	const usageLine = `{"level":"info","ts":1767225600.25,"logger":"http.handlers.registry_auth.usage","msg":"registry request","event":"pull","decision":"allow","token_id":"t1","token_label":"ci","org":"acme","repository":"acme/app","method":"GET","path":"/v2/acme/app/manifests/v1","status":200,"bytes_in":0,"bytes_out":99,"duration":0.001,"client_ip":"10.0.0.1"}`
	tests := []struct {
		name    string
		line    string
		wantErr error
		want    Record
	}{
		{"a usage event is read with every field a report uses", usageLine, nil, Record{
			Time: time.Unix(1767225600, 250_000_000), Event: "pull", Decision: "allow", TokenID: "t1", TokenLabel: "ci",
			Org: "acme", Repository: "acme/app", Method: "GET", Path: "/v2/acme/app/manifests/v1", Status: 200,
			BytesOut: 99, ClientIP: "10.0.0.1",
		}},
		{"an ISO 8601 ts is read as a time", `{"ts":"2026-01-01T00:00:00.500Z","logger":"http.handlers.registry_auth.usage","msg":"registry request","event":"login","decision":"deny"}`, nil,
			Record{Time: time.Date(2026, 1, 1, 0, 0, 0, 500_000_000, time.UTC), Event: "login", Decision: "deny"}},
		{"an event without a logger name is still an event", `{"ts":1767225600,"msg":"registry request","event":"login","decision":"allow"}`, nil,
			Record{Time: time.Unix(1767225600, 0), Event: "login", Decision: "allow"}},
		{"another logger's line is foreign", `{"ts":1767225600,"logger":"http.log.access","msg":"handled request"}`, ErrForeign, Record{}},
		{"a usage logger line with another message is foreign", `{"ts":1767225600,"logger":"http.handlers.registry_auth.usage","msg":"hello","event":"pull"}`, ErrForeign, Record{}},
		{"an event without ts is foreign", `{"logger":"http.handlers.registry_auth.usage","msg":"registry request","event":"pull"}`, ErrForeign, Record{}},
		{"an event without an event name is foreign", `{"ts":1767225600,"msg":"registry request"}`, ErrForeign, Record{}},
		{"truncated JSON is malformed", `{"ts":1767225600,"msg":"regis`, ErrMalformed, Record{}},
		{"plain text is malformed", `panic: runtime error`, ErrMalformed, Record{}},
		{"a JSON array is malformed", `[1,2]`, ErrMalformed, Record{}},
		{"a ts that is not a time is malformed", `{"ts":"yesterday","msg":"registry request","event":"pull"}`, ErrMalformed, Record{}},
		{"a negative ts is malformed", `{"ts":-5,"msg":"registry request","event":"pull"}`, ErrMalformed, Record{}},
		{"a huge ts is malformed", `{"ts":1e300,"msg":"registry request","event":"pull"}`, ErrMalformed, Record{}},
		{"a status of the wrong type is malformed", `{"ts":1,"msg":"registry request","event":"pull","status":"200"}`, ErrMalformed, Record{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got Record
			err := ParseLine([]byte(tt.line), &got)
			if !errors.Is(err, tt.wantErr) || (err != nil) != (tt.wantErr != nil) {
				t.Fatalf("error: got %v, want %v", err, tt.wantErr)
			}
			if !got.Time.Equal(tt.want.Time) {
				t.Errorf("time: got %s, want %s", got.Time, tt.want.Time)
			}
			got.Time, tt.want.Time = time.Time{}, time.Time{}
			if got != tt.want {
				t.Errorf("record:\ngot  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func FuzzParseLine(f *testing.F) {
	for _, seed := range []string{
		`{"level":"info","ts":1767225600.25,"logger":"http.handlers.registry_auth.usage","msg":"registry request","event":"pull","decision":"allow","status":200}`,
		`{"ts":"2026-01-01T00:00:00Z","msg":"registry request","event":"login"}`,
		`{"ts":1e308}`, `{"ts":"2006/01/02 15:04:05"}`, `{`, ``, `null`, `{"ts":null,"event":"x"}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		rep, err := New(Options{Period: Hour, IPs: true})
		if err != nil {
			t.Fatal(err)
		}
		var r Record
		rep.AddLine(line, &r)
		c := rep.Counts()
		if c.Lines != 1 || c.Events+c.Malformed+c.Foreign != 1 {
			t.Fatalf("one line must be counted exactly once: %+v", c)
		}
		if c.Events == 1 && r.Time.IsZero() {
			t.Fatalf("an event without a time: %+v", r)
		}
		if len(rep.Rows()) != int(c.Matched) {
			t.Fatalf("rows %d for %d matched events", len(rep.Rows()), c.Matched)
		}
	})
}
