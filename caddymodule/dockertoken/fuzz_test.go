package dockertoken

import (
	"errors"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"github.com/oatgate/oatgate/caddymodule/scope"
)

// FuzzParseScopes checks that whatever a client sends as scope parameters
// (one per line here), every entry kept is one the gateway can grant: a
// known type, a valid repository name, known actions without repeats, no
// two entries for one resource, and a canonical form that reads back the
// same.
func FuzzParseScopes(f *testing.F) {
	for _, s := range []string{
		"repository:acme/app:pull",
		"repository:acme/app:push,pull\nrepository:acme/base:pull",
		"repository:acme/ctr:pull repository:acme/ctr:pull,push",
		"repository(plugin):acme/p:pull registry:catalog:*",
		"repository:localhost:5000/acme:pull",
		"repository:a:b:c:pull",
		"registry:catalog:pull,*",
		"repository(:acme:pull",
		"  repository:acme:delete,*,pull  ",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		got, err := ParseScopes(strings.Split(in, "\n"))
		if err != nil {
			if !errors.Is(err, ErrTooManyScopes) {
				t.Fatalf("ParseScopes(%q) error %v; want only ErrTooManyScopes", in, err)
			}
			return
		}
		if len(got) > MaxScopes {
			t.Fatalf("ParseScopes kept %d entries; at most %d", len(got), MaxScopes)
		}
		seen := map[string]bool{}
		for _, a := range got {
			key := a.Type + "(" + a.Class + ")" + a.Name
			if seen[key] {
				t.Fatalf("two entries for %s in %+v", key, got)
			}
			seen[key] = true
			switch a.Type {
			case TypeRepository:
				if !scope.ValidName(a.Name) {
					t.Fatalf("kept invalid repository name %q", a.Name)
				}
				for i, act := range a.Actions {
					if _, ok := repositoryAction(act); !ok || contains(a.Actions[:i], act) {
						t.Fatalf("kept action %q in %v", act, a.Actions)
					}
				}
			case TypeRegistry:
				if a.Name != NameCatalog || a.Class != "" || !reflect.DeepEqual(a.Actions, []string{ActionAll}) {
					t.Fatalf("kept registry entry %+v", a)
				}
			default:
				t.Fatalf("kept unknown type %q", a.Type)
			}
			if len(a.Actions) == 0 {
				t.Fatalf("kept an entry without actions: %+v", a)
			}
			back, ok := ParseScope(a.Scope())
			if !ok || !reflect.DeepEqual(back, a) {
				t.Fatalf("ParseScope(%q) = %+v, %v; want %+v", a.Scope(), back, ok, a)
			}
		}
	})
}

// FuzzParseRequest checks that any token request, GET or POST, is either
// refused with an OAuth2 code and a 4xx status whose description holds no
// secret, or read into a request that names one grant, a bounded list of
// scopes and, for credentials, a username and a secret.
func FuzzParseRequest(f *testing.F) {
	f.Add(false, "account=acme&client_id=docker&offline_token=true&service=registry.example", basic("acme", oatSecret), "", "")
	f.Add(false, "scope=repository%3Apublic%2Fhello%3Apull&service=registry.example", "", "", "")
	f.Add(false, "scope=x&scope=y", "Basic Og==", "", "")
	f.Add(true, "", "", "grant_type=password&username=acme&password="+oatSecret+"&scope=repository%3Aacme%2Fapp%3Apull", formType)
	f.Add(true, "", "", "grant_type=refresh_token&refresh_token=abc&service=x", formType+"; charset=utf-8")
	f.Add(true, "", "", "grant_type=password&username=acme&username=x&password=y", formType)
	f.Fuzz(func(t *testing.T, post bool, query, auth, body, contentType string) {
		r := &http.Request{Method: http.MethodGet, URL: &url.URL{Path: "/token", RawQuery: query}, Header: http.Header{}, Body: http.NoBody}
		if post {
			r.Method, r.Body = http.MethodPost, io.NopCloser(strings.NewReader(body))
			r.Header.Set("Content-Type", contentType)
		}
		if auth != "" {
			r.Header.Set("Authorization", auth)
		}
		req, e := ParseRequest(r)
		if e != nil {
			if e.Code == "" || e.Description == "" || e.Status < 400 || e.Status > 499 {
				t.Fatalf("refusal %+v; want a code, a description and a 4xx status", e)
			}
			if strings.Contains(e.Description, oatSecret) {
				t.Fatalf("refusal %q holds the secret", e.Description)
			}
			return
		}
		if len(req.Scopes) > MaxScopes {
			t.Fatalf("%d scopes read; at most %d", len(req.Scopes), MaxScopes)
		}
		switch req.Grant {
		case GrantAnonymous:
			if req.Username != "" || req.Secret() != "" || req.Account != "" {
				t.Fatalf("anonymous request with credentials: %+v", req)
			}
		case GrantBasic, GrantPassword:
			if req.Username == "" || req.Secret() == "" || hasControl(req.Username) {
				t.Fatalf("credentials grant without a usable username and secret: %+v", req)
			}
			if req.Account != "" && req.Account != req.Username {
				t.Fatalf("account %q differs from username %q", req.Account, req.Username)
			}
		case GrantRefreshToken:
			if req.Secret() == "" {
				t.Fatal("refresh grant without a refresh token")
			}
		default:
			t.Fatalf("request read without a grant: %+v", req)
		}
		if (req.Grant == GrantPassword || req.Grant == GrantRefreshToken) != post {
			t.Fatalf("grant %v from a %s", req.Grant, r.Method)
		}
	})
}

// FuzzVerify checks that nothing but a token the signer made verifies: a
// forged, truncated or mutated token is refused, or, if it still verifies
// (base64's unused bits make a few spellings of one token), carries exactly
// the claims that were signed.
func FuzzVerify(f *testing.F) {
	k, err := DeriveKey(storeKey)
	if err != nil {
		f.Fatal(err)
	}
	signer, err := NewSigner(k, issuer, 0)
	if err != nil {
		f.Fatal(err)
	}
	m, err := signer.Mint(oat, service, []Access{repo("acme/app", "pull")}, t0)
	if err != nil {
		f.Fatal(err)
	}
	v, err := NewVerifier(issuer, service, k)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(m.Raw)
	f.Add(strings.Replace(m.Raw, ".", "..", 1))
	f.Add("eyJhbGciOiJub25lIn0.e30.")
	f.Add("a.b.c")
	f.Fuzz(func(t *testing.T, raw string) {
		c, err := v.Verify(raw, t0)
		if err != nil {
			if c != nil {
				t.Fatal("claims returned with an error")
			}
			return
		}
		// Each fuzzing process mints its own seed, with its own random
		// jti; every other claim is the same in all of them.
		same := *c
		same.ID = m.Claims.ID
		if !reflect.DeepEqual(&same, m.Claims) {
			t.Fatalf("Verify accepted %q with claims %+v; only %+v was signed", raw, c, m.Claims)
		}
	})
}

// FuzzChallenge checks that a challenge built from any values (the realm
// comes from the request's Host when no realm is configured) is one header
// line that a client parses back into exactly those values, control
// characters replaced.
func FuzzChallenge(f *testing.F) {
	f.Add("https://registry.example/token", service, "acme/app", "insufficient_scope", "may not push")
	f.Add(`https://a/"x\`, `s"vc`, `a"b`, "", "")
	f.Add("https://a/\r\nX: y", "s,t=u", "a b", "invalid_token", `\"`)
	f.Fuzz(func(t *testing.T, realm, svc, name, errCode, desc string) {
		c := Challenge{Realm: realm, Service: svc, Error: errCode, Description: desc}
		if name != "" {
			c.Scope = []Access{repo(name, "pull")}
		}
		h := c.String()
		if strings.ContainsAny(h, "\r\n\x00") {
			t.Fatalf("challenge %q holds a line break or NUL", h)
		}
		scheme, params, ok := parseChallenge(h)
		if !ok || scheme != "Bearer" {
			t.Fatalf("challenge %q does not parse", h)
		}
		want := map[string]string{"realm": sanitize(realm), "service": sanitize(svc)}
		if name != "" {
			want["scope"] = sanitize("repository:" + name + ":pull")
		}
		if errCode != "" {
			want["error"] = sanitize(errCode)
			if desc != "" {
				want["error_description"] = sanitize(desc)
			}
		}
		if !reflect.DeepEqual(params, want) {
			t.Fatalf("challenge %q parses as %q; want %q", h, params, want)
		}
	})
}

// sanitize is what quote does to control characters.
func sanitize(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c < 0x20 || c == 0x7f {
			b[i] = '?'
		}
	}
	return string(b)
}

// FuzzRealm checks that a realm built from any Host header is an absolute
// URL of that host, with no userinfo and the path given.
func FuzzRealm(f *testing.F) {
	for _, h := range []string{"registry.example", "127.0.0.1:6080", "[::1]:6080", "user@evil", "a/b", "[::1", "a:0"} {
		f.Add(h)
	}
	f.Fuzz(func(t *testing.T, host string) {
		realm, err := Realm("https", host, "/token")
		if err != nil {
			return
		}
		u, err := url.Parse(realm)
		if err != nil {
			t.Fatalf("Realm(%q) = %q, which does not parse: %v", host, realm, err)
		}
		if u.Scheme != "https" || u.Host != host || u.User != nil || u.Path != "/token" || u.RawQuery != "" || u.Fragment != "" {
			t.Fatalf("Realm(%q) = %q: scheme %q host %q user %v path %q", host, realm, u.Scheme, u.Host, u.User, u.Path)
		}
	})
}
