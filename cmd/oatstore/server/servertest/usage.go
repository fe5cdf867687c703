package servertest

import (
	"bytes"
	"compress/gzip"
	"crypto/rand"
	"encoding/csv"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/oatgate/oatgate/caddymodule/storeapi"
	"github.com/oatgate/oatgate/cmd/oatstore/store"
)

// report sends rep as a gateway does: gzip-compressed, with the gateway
// key.
func (e *env) report(t *testing.T, rep storeapi.UsageReport) answer {
	t.Helper()
	body, err := storeapi.EncodeUsageReport(&rep)
	if err != nil {
		t.Fatal(err)
	}
	return e.do(t, GatewayKey, "POST", storeapi.UsageReportsPath, string(body), "Content-Encoding", "gzip")
}

// UsageAPI checks issue 16's store side over st: a gateway's batch is
// applied once however often it is sent, bounded and refused when
// malformed; usage reads back by period as JSON and as a CSV a spreadsheet
// opens; activity merges the audit and registry actions; each under the
// management API's authorization; tokens show their last IP and client.
func UsageAPI(t *testing.T, st store.Store) {
	e := start(t, st)
	e.must(t, http.StatusCreated, AliceKey, "PUT", "/v1/orgs/acme", map[string]any{"max_tokens": 10})
	e.must(t, http.StatusCreated, AliceKey, "PUT", "/v1/orgs/other", map[string]any{"max_tokens": 10})
	ci := e.create(t, AliceKey, "acme", "ci", "30d", "repository:acme/app:pull,push")
	reader := e.create(t, AliceKey, "acme", "reader", "30d", "org:usage:read", "org:audit:read")
	usageOnly := e.create(t, AliceKey, "acme", "usage-only", "30d", "org:usage:read")
	tokensOnly := e.create(t, AliceKey, "acme", "tokens-only", "30d", "org:tokens:read")
	stranger := e.create(t, AliceKey, "other", "reader", "30d", "org:usage:read", "org:audit:read")

	hour := T0.Truncate(time.Hour).Unix()
	rep := storeapi.UsageReport{
		ID: "gwtest-1",
		Counts: []storeapi.UsageCount{
			{Org: "acme", TokenID: ci.ID, TokenLabel: "ci", Repository: "acme/app", Hour: hour, Requests: 7, Pulls: 2, VersionChecks: 1, Pushes: 1, Denied: 1, BytesIn: 100, BytesOut: 5000},
			{Org: "acme", TokenID: ci.ID, TokenLabel: "ci", Repository: "acme/app", Hour: hour + 3600, Requests: 1, Pulls: 1, BytesOut: 10},
		},
		LastUsed: []storeapi.LastUse{{Org: "acme", TokenID: ci.ID, At: T0.Add(time.Minute), ClientIP: "192.0.2.7", UserAgent: "docker/27.3"}},
		Actions: []storeapi.RegistryAction{{Action: storeapi.ActionPush, At: T0.Add(time.Minute), Org: "acme", TokenID: ci.ID, TokenLabel: "ci",
			Repository: "acme/app", Tag: "v1", Digest: "sha256:" + strings.Repeat("b", 64), ClientIP: "192.0.2.7", UserAgent: "docker/27.3"}},
	}

	t.Run("ingest", func(t *testing.T) {
		tests := []struct {
			name      string
			send      func() answer
			status    int
			duplicate bool
		}{
			{"a batch is applied", func() answer { return e.report(t, rep) }, http.StatusOK, false},
			{"the same batch again is a duplicate, applied once", func() answer { return e.report(t, rep) }, http.StatusOK, true},
			{"no gateway key is 401", func() answer {
				return e.do(t, "", "POST", storeapi.UsageReportsPath, `{"id":"x-1"}`)
			}, http.StatusUnauthorized, false},
			{"an admin key is no gateway key", func() answer {
				return e.do(t, AliceKey, "POST", storeapi.UsageReportsPath, `{"id":"x-1"}`)
			}, http.StatusUnauthorized, false},
			{"a malformed batch is 400", func() answer {
				return e.do(t, GatewayKey, "POST", storeapi.UsageReportsPath, `{"id":"x/1"}`)
			}, http.StatusBadRequest, false},
			{"a body that says gzip and is not is 400", func() answer {
				return e.do(t, GatewayKey, "POST", storeapi.UsageReportsPath, `{"id":"x-1"}`, "Content-Encoding", "gzip")
			}, http.StatusBadRequest, false},
			{"another compression is 415", func() answer {
				return e.do(t, GatewayKey, "POST", storeapi.UsageReportsPath, `{"id":"x-1"}`, "Content-Encoding", "br")
			}, http.StatusUnsupportedMediaType, false},
			{"a compressed body over the bound is 413", func() answer {
				var buf bytes.Buffer
				zw := gzip.NewWriter(&buf)
				noise := make([]byte, storeapi.MaxUsageReportBytes+1)
				_, _ = rand.Read(noise) // incompressible
				_, _ = zw.Write(noise)
				_ = zw.Close()
				return e.do(t, GatewayKey, "POST", storeapi.UsageReportsPath, buf.String(), "Content-Encoding", "gzip")
			}, http.StatusRequestEntityTooLarge, false},
			{"a zip bomb is 413", func() answer {
				var buf bytes.Buffer
				zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
				_, _ = zw.Write([]byte(`{"id":"x-1","counts":[`))
				_, _ = zw.Write(bytes.Repeat([]byte(" "), storeapi.MaxUsageReportJSONBytes+1))
				_ = zw.Close()
				return e.do(t, GatewayKey, "POST", storeapi.UsageReportsPath, buf.String(), "Content-Encoding", "gzip")
			}, http.StatusRequestEntityTooLarge, false},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				a := tt.send()
				if a.status != tt.status {
					t.Fatalf("status %d %s, want %d", a.status, a.body, tt.status)
				}
				if a.status == http.StatusOK {
					var got storeapi.UsageReportAnswer
					a.decode(t, &got)
					if got.Duplicate != tt.duplicate {
						t.Fatalf("duplicate %v, want %v", got.Duplicate, tt.duplicate)
					}
				}
			})
		}
	})

	t.Run("usage as JSON sums by period, counted once", func(t *testing.T) {
		var got struct {
			Org, Period string
			Rows        []store.UsageRow
		}
		e.must(t, http.StatusOK, reader.Secret, "GET", "/v1/orgs/acme/usage?period=day", nil).decode(t, &got)
		want := []store.UsageRow{{Period: "2026-12-03", TokenID: ci.ID, TokenLabel: "ci", Repository: "acme/app",
			Requests: 8, Pulls: 3, VersionChecks: 1, Pushes: 1, Denied: 1, BytesIn: 100, BytesOut: 5010}}
		if got.Org != "acme" || got.Period != "day" || !reflect.DeepEqual(got.Rows, want) {
			t.Fatalf("got %+v, want rows %+v", got, want)
		}
	})

	t.Run("usage as CSV has a header and one row per hour, as an attachment", func(t *testing.T) {
		req, _ := http.NewRequest("GET", e.url+"/v1/orgs/acme/usage?period=hour&format=csv&token="+ci.ID, nil)
		req.Header.Set("Authorization", "Bearer "+AliceKey)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		if ct, cd := res.Header.Get("Content-Type"), res.Header.Get("Content-Disposition"); ct != "text/csv; charset=utf-8" || cd != `attachment; filename="usage-acme-hour.csv"` {
			t.Fatalf("Content-Type %q, Content-Disposition %q", ct, cd)
		}
		records, err := csv.NewReader(res.Body).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		want := [][]string{
			{"period", "token_id", "token_label", "repository", "requests", "pulls", "version_checks", "pushes", "deletes", "denied", "bytes_in", "bytes_out"},
			{"2026-12-03T12:00:00Z", ci.ID, "ci", "acme/app", "7", "2", "1", "1", "0", "1", "100", "5000"},
			{"2026-12-03T13:00:00Z", ci.ID, "ci", "acme/app", "1", "1", "0", "0", "0", "0", "0", "10"},
		}
		if !reflect.DeepEqual(records, want) {
			t.Fatalf("got %q, want %q", records, want)
		}
	})

	t.Run("activity merges the audit and the registry actions newest first", func(t *testing.T) {
		var page struct {
			Entries []store.Activity
		}
		e.must(t, http.StatusOK, reader.Secret, "GET", "/v1/orgs/acme/activity?token="+ci.ID, nil).decode(t, &page)
		var got []string
		for _, a := range page.Entries {
			got = append(got, a.Kind+" "+a.Action)
		}
		if want := []string{"registry registry.push", "management token.created"}; !reflect.DeepEqual(got, want) {
			t.Fatalf("got %q, want %q", got, want)
		}
		if push := page.Entries[0]; push.Tag != "v1" || push.ClientIP != "192.0.2.7" || push.UserAgent != "docker/27.3" {
			t.Fatalf("push entry %+v lacks its tag, address or client", push)
		}
	})

	t.Run("the token shows its last address and client", func(t *testing.T) {
		var tok store.Token
		e.must(t, http.StatusOK, AliceKey, "GET", "/v1/orgs/acme/tokens/"+ci.ID, nil).decode(t, &tok)
		if tok.LastUsedIP != "192.0.2.7" || tok.LastUserAgent != "docker/27.3" || tok.LastUsedAt == nil {
			t.Fatalf("got last use %v from %q with %q", tok.LastUsedAt, tok.LastUsedIP, tok.LastUserAgent)
		}
	})

	t.Run("authorization", func(t *testing.T) {
		tests := []struct {
			name, credential, path string
			want                   int
		}{
			{"an admin key reads usage", AliceKey, "/v1/orgs/acme/usage", http.StatusOK},
			{"a token with usage read reads its org's usage", usageOnly.Secret, "/v1/orgs/acme/usage", http.StatusOK},
			{"a token with usage read reads registry activity", usageOnly.Secret, "/v1/orgs/acme/activity?kind=registry", http.StatusOK},
			{"a token without audit read may not read management activity", usageOnly.Secret, "/v1/orgs/acme/activity?kind=management", http.StatusForbidden},
			{"a token without audit read may not read the whole trail", usageOnly.Secret, "/v1/orgs/acme/activity", http.StatusForbidden},
			{"a token without usage read may not read usage", tokensOnly.Secret, "/v1/orgs/acme/usage", http.StatusForbidden},
			{"a token of another org may not read usage", stranger.Secret, "/v1/orgs/acme/usage", http.StatusForbidden},
			{"a token of another org may not read activity", stranger.Secret, "/v1/orgs/acme/activity", http.StatusForbidden},
			{"a repository token may not read usage", ci.Secret, "/v1/orgs/acme/usage", http.StatusForbidden},
			{"no credential is 401", "", "/v1/orgs/acme/usage", http.StatusUnauthorized},
			{"the gateway key is no management key", GatewayKey, "/v1/orgs/acme/usage", http.StatusUnauthorized},
			{"a missing org is 404", AliceKey, "/v1/orgs/nobody/usage", http.StatusNotFound},
			{"an unknown period is 400", AliceKey, "/v1/orgs/acme/usage?period=week", http.StatusBadRequest},
			{"an unknown format is 400", AliceKey, "/v1/orgs/acme/usage?format=xml", http.StatusBadRequest},
			{"since after until is 400", AliceKey, "/v1/orgs/acme/usage?since=2026-12-04T00:00:00Z&until=2026-12-03T00:00:00Z", http.StatusBadRequest},
			{"a secret as the token filter is 400", AliceKey, "/v1/orgs/acme/usage?token=oat_abc", http.StatusBadRequest},
			{"another org's repository is 400", AliceKey, "/v1/orgs/acme/usage?repository=other/app", http.StatusBadRequest},
			{"an unknown kind is 400", AliceKey, "/v1/orgs/acme/activity?kind=billing", http.StatusBadRequest},
			{"a forged cursor is 400", AliceKey, "/v1/orgs/acme/activity?cursor=Zm9v", http.StatusBadRequest},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				if a := e.do(t, tt.credential, "GET", tt.path, nil); a.status != tt.want {
					t.Fatalf("status %d %s, want %d", a.status, a.body, tt.want)
				}
			})
		}
	})
	t.Run("usage without since reads a bounded span by period", func(t *testing.T) {
		old := func(days int) storeapi.UsageCount {
			return storeapi.UsageCount{Org: "acme", TokenID: ci.ID, TokenLabel: "ci", Repository: "acme/old", Hour: T0.AddDate(0, 0, -days).Truncate(time.Hour).Unix(), Requests: 1}
		}
		if a := e.report(t, storeapi.UsageReport{ID: "gwtest-old", Counts: []storeapi.UsageCount{old(8), old(100), old(400)}}); a.status != http.StatusOK {
			t.Fatalf("status %d %s", a.status, a.body)
		}
		tests := []struct {
			query string
			want  []string // the periods of acme/old's rows
		}{
			{"period=hour", nil},
			{"period=day", []string{T0.AddDate(0, 0, -8).Format("2006-01-02")}},
			{"period=month", []string{T0.AddDate(0, 0, -100).Format("2006-01"), T0.AddDate(0, 0, -8).Format("2006-01")}},
			{"period=day&until=" + T0.AddDate(0, 0, -7).Format(time.RFC3339), []string{T0.AddDate(0, 0, -8).Format("2006-01-02")}},
			{"period=day&since=" + T0.AddDate(-2, 0, 0).Format(time.RFC3339), []string{T0.AddDate(0, 0, -400).Format("2006-01-02"), T0.AddDate(0, 0, -100).Format("2006-01-02"), T0.AddDate(0, 0, -8).Format("2006-01-02")}},
		}
		for _, tt := range tests {
			t.Run(tt.query, func(t *testing.T) {
				var got struct{ Rows []store.UsageRow }
				e.must(t, http.StatusOK, AliceKey, "GET", "/v1/orgs/acme/usage?repository=acme/old&"+tt.query, nil).decode(t, &got)
				var periods []string
				for _, r := range got.Rows {
					periods = append(periods, r.Period)
				}
				if !reflect.DeepEqual(periods, tt.want) {
					t.Fatalf("periods %q, want %q", periods, tt.want)
				}
			})
		}
	})
}
