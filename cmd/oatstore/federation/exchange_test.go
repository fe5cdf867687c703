package federation

import (
	"net/url"
	"testing"

	"github.com/oatgate/oatgate/caddymodule/scope"
)

func exchangeForm(kv ...string) url.Values {
	v := url.Values{
		"grant_type":         {GrantTypeTokenExchange},
		"subject_token":      {"a.b.c"},
		"subject_token_type": {TokenTypeIDToken},
	}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == "\x00delete" {
			v.Del(kv[i])
			continue
		}
		v.Add(kv[i], kv[i+1])
	}
	return v
}

func TestParseExchange(t *testing.T) {
	tests := []struct {
		name string
		form url.Values
		code string
	}{
		{"a minimal exchange is accepted", exchangeForm(), ""},
		{"the jwt token type is accepted", exchangeForm("subject_token_type", "\x00delete", "subject_token_type", TokenTypeJWT), ""},
		{"an audience and a scope are accepted", exchangeForm("audience", "acme", "scope", "repository:acme/app:pull repository:acme/lib:pull"), ""},
		{"requested_token_type access_token is accepted", exchangeForm("requested_token_type", TokenTypeAccessToken), ""},
		{"unknown fields are ignored", exchangeForm("client_id", "x"), ""},
		{"a missing grant type is invalid_request", exchangeForm("grant_type", "\x00delete"), CodeInvalidRequest},
		{"another grant type is unsupported", exchangeForm("grant_type", "\x00delete", "grant_type", "password"), CodeUnsupportedGrantType},
		{"a missing subject token is invalid_request", exchangeForm("subject_token", "\x00delete"), CodeInvalidRequest},
		{"another subject token type is invalid_request", exchangeForm("subject_token_type", "\x00delete", "subject_token_type", TokenTypeAccessToken), CodeInvalidRequest},
		{"a subject token given twice is invalid_request", exchangeForm("subject_token", "d.e.f"), CodeInvalidRequest},
		{"an audience given twice is invalid_request", exchangeForm("audience", "acme", "audience", "globex"), CodeInvalidRequest},
		{"an actor token is invalid_request", exchangeForm("actor_token", "x"), CodeInvalidRequest},
		{"a resource is invalid_target", exchangeForm("resource", "https://registry.example"), CodeInvalidTarget},
		{"an audience that is no org name is invalid_target", exchangeForm("audience", "Acme Corp"), CodeInvalidTarget},
		{"an empty audience is invalid_target", exchangeForm("audience", ""), CodeInvalidTarget},
		{"an unparsable scope is invalid_scope", exchangeForm("scope", "repository:acme/app"), CodeInvalidScope},
		{"an empty scope is invalid_scope", exchangeForm("scope", " "), CodeInvalidScope},
		{"an org scope is invalid_scope", exchangeForm("scope", "org:tokens:write"), CodeInvalidScope},
		{"another requested token type is invalid_request", exchangeForm("requested_token_type", TokenTypeIDToken), CodeInvalidRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ex, err := ParseExchange(tt.form)
			switch {
			case tt.code == "" && err != nil:
				t.Fatalf("ParseExchange: %v", err)
			case tt.code != "" && (err == nil || err.Code != tt.code):
				t.Fatalf("ParseExchange = %+v, %v; want %s", ex, err, tt.code)
			}
		})
	}
}

func FuzzParseExchange(f *testing.F) {
	f.Add(exchangeForm().Encode())
	f.Add(exchangeForm("audience", "acme", "scope", "repository:acme/app:pull").Encode())
	f.Add("grant_type=x&grant_type=y")
	f.Add("scope=%ff")
	f.Fuzz(func(t *testing.T, body string) {
		form, err := url.ParseQuery(body)
		if err != nil {
			return
		}
		ex, oerr := ParseExchange(form)
		if oerr != nil {
			if oerr.Code == "" || oerr.Description == "" || oerr.Status != 400 {
				t.Fatalf("refusal without code, description or 400: %+v", oerr)
			}
			return
		}
		if ex.SubjectToken == "" || len(ex.SubjectToken) > MaxJWTLen {
			t.Fatalf("accepted subject token of length %d", len(ex.SubjectToken))
		}
		if form.Has("audience") && !scope.ValidOrg(ex.Audience) {
			t.Fatalf("accepted audience %q", ex.Audience)
		}
		if form.Get("grant_type") != GrantTypeTokenExchange {
			t.Fatalf("accepted grant type %q", form.Get("grant_type"))
		}
	})
}
