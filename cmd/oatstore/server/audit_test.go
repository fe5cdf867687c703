package server_test

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/oatgate/oatgate/cmd/oatstore/store"
)

type auditAnswer struct {
	Entries    []store.AuditEntry `json:"entries"`
	NextCursor string             `json:"next_cursor"`
}

func (e *env) audit(query string) auditAnswer {
	e.t.Helper()
	r := e.admin("GET", "/v1/orgs/acme/audit"+query, nil)
	e.mustStatus(r, http.StatusOK)
	var out auditAnswer
	r.json(e.t, &out)
	return out
}

func actions(es []store.AuditEntry) string {
	var out []string
	for _, e := range es {
		out = append(out, e.Action)
	}
	return strings.Join(out, " ")
}

func TestAudit(t *testing.T) {
	e := newEnv(t, "")
	e.putOrg("acme", `{}`)
	e.putOrg("acme", `{"max_tokens":20}`)
	r := e.admin("POST", "/v1/orgs/acme/tokens", ciToken("ci"), "X-Oatstore-Actor", "alice@example.com <script>")
	e.mustStatus(r, http.StatusCreated)
	var tok issued
	r.json(t, &tok)
	path := "/v1/orgs/acme/tokens/" + tok.ID
	e.clock.Advance(time.Hour)
	e.mustStatus(e.admin("PATCH", path, `{"description":"now described"}`), http.StatusOK)
	e.mustStatus(e.admin("POST", path+"/deactivate", nil), http.StatusOK)
	e.mustStatus(e.admin("POST", path+"/activate", nil), http.StatusOK)
	e.mustStatus(e.admin("DELETE", path, nil), http.StatusOK)
	e.mustStatus(e.admin("DELETE", path+"?purge=true", nil), http.StatusNoContent)

	all := e.audit("")
	t.Run("every management action is recorded, newest first", func(t *testing.T) {
		want := "token.deleted token.revoked token.activated token.deactivated token.updated token.created org.updated org.created"
		if got := actions(all.Entries); got != want {
			t.Errorf("actions = %q, want %q", got, want)
		}
		if all.NextCursor != "" {
			t.Errorf("next_cursor = %q on the only page", all.NextCursor)
		}
	})
	t.Run("an entry says who, from where and what changed", func(t *testing.T) {
		created := all.Entries[5]
		if created.Actor != "admin:admin" || created.OnBehalfOf != "alice@example.com_script" {
			t.Errorf("actor = %q on behalf of %q, want admin:admin (the key's name) on behalf of the sanitized header value", created.Actor, created.OnBehalfOf)
		}
		if created.SourceIP != "127.0.0.1" || created.TokenID != tok.ID || string(created.Before) != "null" {
			t.Errorf("entry = %+v, want source 127.0.0.1, token %s, no before", created, tok.ID)
		}
		var after store.Token
		if err := json.Unmarshal(created.After, &after); err != nil || after.Label != "ci" {
			t.Errorf("after = %s (%v), want the token snapshot", created.After, err)
		}
		updated := all.Entries[4]
		if !strings.Contains(string(updated.Before), `"description":""`) || !strings.Contains(string(updated.After), `"description":"now described"`) {
			t.Errorf("update entry before %s after %s, want the description change", updated.Before, updated.After)
		}
		if updated.Actor != "admin:admin" || updated.OnBehalfOf != "" {
			t.Errorf("actor = %q on behalf of %q, want admin:admin on behalf of nobody when no header is sent", updated.Actor, updated.OnBehalfOf)
		}
	})
	t.Run("entries are filtered by action", func(t *testing.T) {
		if got := actions(e.on(t).audit("?action=token.revoked").Entries); got != "token.revoked" {
			t.Errorf("actions = %q, want token.revoked", got)
		}
	})
	t.Run("entries are filtered by time", func(t *testing.T) {
		since := e.clock.Now().Add(-time.Minute).Format(time.RFC3339)
		if got := len(e.on(t).audit("?since=" + since).Entries); got != 5 {
			t.Errorf("entries since %s = %d, want 5", since, got)
		}
		if got := actions(e.on(t).audit("?until=" + since).Entries); got != "token.created org.updated org.created" {
			t.Errorf("entries until %s = %q, want the first three", since, got)
		}
	})
	t.Run("pages follow the cursor to the end", func(t *testing.T) {
		e := e.on(t)
		var got []store.AuditEntry
		cursor := ""
		for range 10 {
			page := e.audit("?limit=3&cursor=" + cursor)
			got = append(got, page.Entries...)
			if cursor = page.NextCursor; cursor == "" {
				break
			}
		}
		if actions(got) != actions(all.Entries) {
			t.Errorf("paged = %q, want %q", actions(got), actions(all.Entries))
		}
	})
	for _, tc := range []struct{ name, query string }{
		{"an unknown action filter is refused", "?action=token.stolen"},
		{"a bad since is refused", "?since=yesterday"},
		{"a zero limit is refused", "?limit=0"},
		{"a huge limit is refused", "?limit=100000"},
		{"a bad cursor is refused", "?cursor=x"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := e.on(t)
			r := e.admin("GET", "/v1/orgs/acme/audit"+tc.query, nil)
			e.mustStatus(r, http.StatusBadRequest)
			r.errorCode(t)
		})
	}
	t.Run("the audit log of an unknown org is 404", func(t *testing.T) {
		e := e.on(t)
		e.mustStatus(e.admin("GET", "/v1/orgs/nobody/audit", nil), http.StatusNotFound)
	})
}

func TestOnBehalfOfIsRecordedApartFromTheActor(t *testing.T) {
	e := newEnv(t, "")
	e.putOrg("acme", `{}`)
	tok := e.create("acme", ciToken("ci"))
	path := "/v1/orgs/acme/tokens/" + tok.ID
	tests := []struct {
		name   string
		key    string
		header string
		actor  string
		want   string
	}{
		{"a declared person is recorded beside the key's name", adminKey, "bob@example.com", "admin:admin", "bob@example.com"},
		{"another key records its own name", aliceKey, "ci job/42", "admin:alice", "ci_job_42"},
		{"bidi characters are dropped", adminKey, "ci\u202egnp.exe", "admin:admin", "cignp.exe"},
		{"nothing declared is nothing, with no default", adminKey, "", "admin:admin", ""},
		{"a token secret pasted in the header is not recorded", adminKey, tok.Secret, "admin:admin", ""},
		{"a truncated token is not recorded either", adminKey, tok.Secret[:20], "admin:admin", ""},
		{"an admin key pasted in the header is not recorded", adminKey, aliceKey, "admin:admin", ""},
		{"a gateway key pasted in the header is not recorded", adminKey, gatewayKey, "admin:admin", ""},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := e.on(t)
			body := strings.NewReader(`{"description":"change ` + strconv.Itoa(i) + `"}`)
			e.mustStatus(e.do("PATCH", path, tt.key, "application/json", body, "X-Oatstore-Actor", tt.header), http.StatusOK)
			latest := e.audit("?limit=1").Entries[0]
			if latest.Actor != tt.actor || latest.OnBehalfOf != tt.want {
				t.Errorf("entry actor %q on behalf of %q, want %q on behalf of %q", latest.Actor, latest.OnBehalfOf, tt.actor, tt.want)
			}
		})
	}
}
