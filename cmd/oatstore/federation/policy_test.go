package federation

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func validPolicy() Policy {
	return Policy{
		Name:     "github-main",
		Issuer:   "https://token.actions.githubusercontent.com",
		Audience: "oatgate",
		Claims:   map[string]string{"repository_owner": "acme", "sub": "repo:acme/app:ref:refs/heads/*"},
		Scopes:   []string{"repository:acme/app:push,pull"},
	}
}

func TestPolicyValidation(t *testing.T) {
	tests := []struct {
		name    string
		change  func(p *Policy)
		opts    Options
		wantErr string
	}{
		{name: "the design's example is valid", change: func(p *Policy) {}},
		{name: "a name with uppercase is refused", change: func(p *Policy) { p.Name = "GitHub" }, wantErr: "lowercase"},
		{name: "an empty name is refused", change: func(p *Policy) { p.Name = "" }, wantErr: "policy name"},
		{name: "a name starting with a dash is refused", change: func(p *Policy) { p.Name = "-x" }, wantErr: "lowercase"},
		{name: "an http issuer is refused", change: func(p *Policy) { p.Issuer = "http://token.actions.githubusercontent.com" }, wantErr: "use https"},
		{name: "a loopback http issuer needs the switch", change: func(p *Policy) { p.Issuer = "http://127.0.0.1:9999" }, wantErr: "--insecure-loopback-issuers"},
		{name: "a loopback http issuer is accepted with the switch", change: func(p *Policy) { p.Issuer = "http://127.0.0.1:9999" }, opts: Options{AllowLoopbackHTTP: true}},
		{name: "a remote http issuer is refused even with the switch", change: func(p *Policy) { p.Issuer = "http://10.0.0.1" }, opts: Options{AllowLoopbackHTTP: true}, wantErr: "use https"},
		{name: "an issuer with a query is refused", change: func(p *Policy) { p.Issuer = "https://x.example?a=b" }, wantErr: "want https://host"},
		{name: "an issuer with user info is refused", change: func(p *Policy) { p.Issuer = "https://u:p@x.example" }, wantErr: "want https://host"},
		{name: "a missing audience is refused", change: func(p *Policy) { p.Audience = "" }, wantErr: "audience is required"},
		{name: "no claims are refused", change: func(p *Policy) { p.Claims = nil }, wantErr: "at least one"},
		{name: "only bare stars are refused", change: func(p *Policy) { p.Claims = map[string]string{"sub": "*", "ref": "**"} }, wantErr: "bare *"},
		{name: "iss as a claim is refused", change: func(p *Policy) { p.Claims["iss"] = "x" }, wantErr: "issuer field"},
		{name: "aud as a claim is refused", change: func(p *Policy) { p.Claims["aud"] = "x" }, wantErr: "audience field"},
		{name: "a claim value with a space is refused", change: func(p *Policy) { p.Claims["sub"] = "repo: acme" }, wantErr: "printable ASCII"},
		{name: "an empty claim value is refused", change: func(p *Policy) { p.Claims["sub"] = "" }, wantErr: "claim sub is required"},
		{name: "a GitHub policy pinning only the branch is refused", change: func(p *Policy) { p.Claims = map[string]string{"ref": "refs/heads/main"} }, wantErr: "repository_owner"},
		{name: "a GitHub policy pinning only the actor is refused", change: func(p *Policy) { p.Claims = map[string]string{"actor": "alice"} }, wantErr: "every repository"},
		{name: "a GitHub policy with a starred owner is refused", change: func(p *Policy) { p.Claims = map[string]string{"repository_owner": "acme*"} }, wantErr: "without *"},
		{name: "a GitHub policy whose sub leaves the owner open is refused", change: func(p *Policy) { p.Claims = map[string]string{"sub": "repo:acme*"} }, wantErr: "repo:<owner>/"},
		{name: "a GitHub policy whose sub is a bare glob over repos is refused", change: func(p *Policy) { p.Claims = map[string]string{"sub": "repo:*/app:ref:refs/heads/main"} }, wantErr: "repo:<owner>/"},
		{name: "a GitHub policy binding by sub alone is valid", change: func(p *Policy) { p.Claims = map[string]string{"sub": "repo:acme/*"} }},
		{name: "a GitHub policy binding by the immutable sub is valid", change: func(p *Policy) { p.Claims = map[string]string{"sub": "repo:acme@123456/app@456789:*"} }},
		{name: "a GitHub policy binding by repository_id is valid", change: func(p *Policy) { p.Claims = map[string]string{"repository_id": "456789", "ref": "refs/heads/main"} }},
		{name: "a gitlab.com policy pinning only the ref is refused", change: func(p *Policy) {
			p.Issuer, p.Claims = "https://gitlab.com", map[string]string{"ref": "main", "ref_protected": "true"}
		}, wantErr: "namespace_path"},
		{name: "a gitlab.com policy binding by project_path is valid", change: func(p *Policy) {
			p.Issuer, p.Claims = "https://gitlab.com", map[string]string{"project_path": "acme/app"}
		}},
		{name: "a gitlab.com policy binding by sub is valid", change: func(p *Policy) {
			p.Issuer, p.Claims = "https://gitlab.com", map[string]string{"sub": "project_path:acme/app:*"}
		}},
		{name: "a self-hosted GitLab's policy needs no owner condition", change: func(p *Policy) {
			p.Issuer, p.Claims = "https://gitlab.acme.example", map[string]string{"ref": "main"}
		}},
		{name: "a scope outside the org is refused", change: func(p *Policy) { p.Scopes = []string{"repository:globex/app:pull"} }, wantErr: "namespace"},
		{name: "an org management scope is refused", change: func(p *Policy) { p.Scopes = []string{"org:tokens:write"} }, wantErr: "only repository scopes"},
		{name: "no scopes are refused", change: func(p *Policy) { p.Scopes = nil }, wantErr: "at least one"},
		{name: "a ttl over an hour is refused", change: func(p *Policy) { p.TTL = Duration(2 * time.Hour) }, wantErr: "outside"},
		{name: "a ttl under five minutes is refused", change: func(p *Policy) { p.TTL = Duration(time.Minute) }, wantErr: "outside"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := validPolicy()
			tt.change(&p)
			got, err := p.Validate("acme", tt.opts)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Validate = %+v, %v; want an error mentioning %q", got, err, tt.wantErr)
			}
		})
	}
}

func TestValidationCanonicalizes(t *testing.T) {
	got, err := validPolicy().Validate("acme", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if time.Duration(got.TTL) != DefaultTTL {
		t.Errorf("ttl = %s, want the default %s", time.Duration(got.TTL), DefaultTTL)
	}
	if got.Scopes[0] != "repository:acme/app:pull,push" {
		t.Errorf("scopes = %v, want canonical action order", got.Scopes)
	}
}

func TestPolicyJSONRoundTrips(t *testing.T) {
	in := `{"name":"gha","issuer":"https://token.actions.githubusercontent.com","audience":"oatgate","claims":{"repository_owner":"acme"},"scopes":["repository:acme/app:pull"],"ttl":"30m"}`
	var p Policy
	if err := json.Unmarshal([]byte(in), &p); err != nil {
		t.Fatal(err)
	}
	if time.Duration(p.TTL) != 30*time.Minute {
		t.Errorf("ttl = %s, want 30m", time.Duration(p.TTL))
	}
	out, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(out), `"ttl":"30m0s"`) {
		t.Errorf("encoded %s, want ttl as a duration string", out)
	}
	for _, bad := range []string{`{"ttl":900}`, `{"ttl":"soon"}`} {
		if err := json.Unmarshal([]byte(bad), &p); err == nil {
			t.Errorf("%s decoded, want an error", bad)
		}
	}
}

func FuzzPolicyValidate(f *testing.F) {
	f.Add(`{"name":"gha","issuer":"https://token.actions.githubusercontent.com","audience":"oatgate","claims":{"repository_owner":"acme"},"scopes":["repository:acme/app:pull"],"ttl":"15m"}`, false)
	f.Add(`{"name":"x","issuer":"http://127.0.0.1:1","audience":"a","claims":{"sub":"*"},"scopes":["repository:acme/**:delete"]}`, true)
	f.Add(`{"name":"-","issuer":"https://u@h?q","claims":{"iss":"x"},"scopes":["org:tokens:write"],"ttl":"90m"}`, false)
	f.Fuzz(func(t *testing.T, body string, loopback bool) {
		var p Policy
		if json.Unmarshal([]byte(body), &p) != nil {
			return
		}
		got, err := p.Validate("acme", Options{AllowLoopbackHTTP: loopback})
		if err != nil {
			return
		}
		if ttl := time.Duration(got.TTL); ttl < MinTTL || ttl > MaxTTL {
			t.Fatalf("accepted ttl %s", ttl)
		}
		if len(got.Claims) == 0 || len(got.Scopes) == 0 || got.Audience == "" {
			t.Fatalf("accepted a policy without claims, scopes or audience: %+v", got)
		}
		if CheckIssuer(got.Issuer, Options{AllowLoopbackHTTP: loopback}) != nil {
			t.Fatalf("accepted issuer %q", got.Issuer)
		}
		for _, s := range got.Scopes {
			if !strings.HasPrefix(s, "repository:acme/") {
				t.Fatalf("accepted scope %q outside acme", s)
			}
		}
		if _, ok := got.Claims["iss"]; ok {
			t.Fatalf("accepted iss as a condition")
		}
	})
}
