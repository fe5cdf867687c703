package dockertoken

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
)

const oatSecret = "oat_0123456789abcdefghijABCDEFGHIJ0123456789abcdef"

func basic(user, pass string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass))
}

func getRequest(query string, auth ...string) *http.Request {
	r := httptest.NewRequest(http.MethodGet, "/token?"+query, nil)
	for _, a := range auth {
		r.Header.Add("Authorization", a)
	}
	return r
}

func postRequest(form string, contentType string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/token", strings.NewReader(form))
	if contentType != "" {
		r.Header.Set("Content-Type", contentType)
	}
	return r
}

const formType = "application/x-www-form-urlencoded"

func TestParseRequestReadsWhatClientsSend(t *testing.T) {
	tests := []struct {
		name string
		r    *http.Request
		want TokenRequest
	}{
		{"docker login: GET with Basic, account, client_id, offline_token and no scope",
			getRequest("account=acme&client_id=docker&offline_token=true&service=registry.example", basic("acme", oatSecret)),
			TokenRequest{Grant: GrantBasic, Service: service, Username: "acme", Account: "acme", ClientID: "docker", Offline: true, secret: oatSecret}},
		{"docker push: GET with Basic and a push scope",
			getRequest("account=acme&scope=repository%3Aacme%2Fapp%3Apush%2Cpull&service=registry.example", basic("acme", oatSecret)),
			TokenRequest{Grant: GrantBasic, Service: service, Scopes: []Access{repo("acme/app", "push", "pull")}, Username: "acme", Account: "acme", secret: oatSecret}},
		{"docker mount: GET with two scope parameters",
			getRequest("account=acme&scope=repository%3Apublic%2Fhello%3Apush%2Cpull&scope=repository%3Aacme%2Fapp%3Apull&service=registry.example", basic("acme", oatSecret)),
			TokenRequest{Grant: GrantBasic, Service: service, Scopes: []Access{repo("public/hello", "push", "pull"), repo("acme/app", "pull")}, Username: "acme", Account: "acme", secret: oatSecret}},
		{"logged-out docker, skopeo --no-creds, podman: GET without credentials",
			getRequest("scope=repository%3Apublic%2Fhello%3Apull&service=registry.example"),
			TokenRequest{Grant: GrantAnonymous, Service: service, Scopes: []Access{repo("public/hello", "pull")}}},
		{"empty Basic credentials are anonymous",
			getRequest("scope=repository%3Apublic%2Fhello%3Apull&service=registry.example", "Basic Og=="),
			TokenRequest{Grant: GrantAnonymous, Service: service, Scopes: []Access{repo("public/hello", "pull")}}},
		{"a GET without service is read, for CheckService to judge",
			getRequest("", basic("acme", oatSecret)),
			TokenRequest{Grant: GrantBasic, Username: "acme", secret: oatSecret}},
		{"containerd with --user: POST grant_type=password, space-separated scopes",
			postRequest("client_id=containerd-client&grant_type=password&password="+oatSecret+"&scope=repository%3Aacme%2Fctr%3Apull+repository%3Aacme%2Fctr%3Apull%2Cpush&service=registry.example&username=acme", formType+"; charset=utf-8"),
			TokenRequest{Grant: GrantPassword, Service: service, Scopes: []Access{repo("acme/ctr", "pull", "push")}, Username: "acme", ClientID: "containerd-client", secret: oatSecret}},
		{"docker with a refresh token: POST grant_type=refresh_token",
			postRequest("client_id=docker&grant_type=refresh_token&refresh_token=rt123&scope=repository%3Aacme%2Fapp%3Apull&service=registry.example", formType),
			TokenRequest{Grant: GrantRefreshToken, Service: service, Scopes: []Access{repo("acme/app", "pull")}, ClientID: "docker", secret: "rt123"}},
		{"an OAuth2 client asking for offline access",
			postRequest("grant_type=password&username=acme&password=x&access_type=offline", formType),
			TokenRequest{Grant: GrantPassword, Username: "acme", Offline: true, secret: "x"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, e := ParseRequest(tt.r)
			if e != nil || !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("ParseRequest = %#v, %v; want %#v (secret %v), nil", got, e, tt.want, got.Secret() == tt.want.Secret())
			}
		})
	}
}

func TestParseRequestRefuses(t *testing.T) {
	tests := []struct {
		name       string
		r          *http.Request
		wantCode   string
		wantStatus int
	}{
		{"a PUT", httptest.NewRequest(http.MethodPut, "/token", nil), CodeInvalidRequest, http.StatusMethodNotAllowed},
		{"a HEAD", httptest.NewRequest(http.MethodHead, "/token", nil), CodeInvalidRequest, http.StatusMethodNotAllowed},
		{"a bad query encoding", getRequest("scope=%zz"), CodeInvalidRequest, http.StatusBadRequest},
		{"service twice", getRequest("service=a&service=b"), CodeInvalidRequest, http.StatusBadRequest},
		{"client_id twice", getRequest("client_id=a&client_id=b"), CodeInvalidRequest, http.StatusBadRequest},
		{"account twice", getRequest("account=acme&account=evil", basic("acme", oatSecret)), CodeInvalidRequest, http.StatusBadRequest},
		{"an account that is not the username", getRequest("account=other", basic("acme", oatSecret)), CodeInvalidRequest, http.StatusBadRequest},
		{"an account without credentials", getRequest("account=acme"), CodeInvalidRequest, http.StatusBadRequest},
		{"two Authorization headers", getRequest("", basic("acme", oatSecret), basic("evil", oatSecret)), CodeInvalidRequest, http.StatusBadRequest},
		{"a Bearer header", getRequest("", "Bearer "+oatSecret), CodeInvalidClient, http.StatusUnauthorized},
		{"Basic that is not base64", getRequest("", "Basic !!!"), CodeInvalidClient, http.StatusUnauthorized},
		{"Basic without a password", getRequest("", basic("acme", "")), CodeInvalidClient, http.StatusUnauthorized},
		{"Basic without a username", getRequest("", basic("", oatSecret)), CodeInvalidClient, http.StatusUnauthorized},
		{"more than MaxScopes scopes", getRequest(strings.Repeat("scope=repository%3Aa%3Apull&", MaxScopes+1)), CodeInvalidRequest, http.StatusBadRequest},
		{"a POST with a query string", func() *http.Request {
			r := postRequest("grant_type=password&username=acme&password=x", formType)
			r.URL.RawQuery = "service=x"
			return r
		}(), CodeInvalidRequest, http.StatusBadRequest},
		{"a POST with an Authorization header", func() *http.Request {
			r := postRequest("grant_type=password&username=acme&password=x", formType)
			r.Header.Set("Authorization", basic("acme", oatSecret))
			return r
		}(), CodeInvalidRequest, http.StatusBadRequest},
		{"a POST that is JSON", postRequest(`{"grant_type":"password"}`, "application/json"), CodeInvalidRequest, http.StatusBadRequest},
		{"a POST without a content type", postRequest("grant_type=password&username=acme&password=x", ""), CodeInvalidRequest, http.StatusBadRequest},
		{"a multipart POST", postRequest("--x--", "multipart/form-data; boundary=x"), CodeInvalidRequest, http.StatusBadRequest},
		{"a POST over MaxFormLen", postRequest("grant_type=password&username=acme&password="+strings.Repeat("x", MaxFormLen), formType), CodeInvalidRequest, http.StatusBadRequest},
		{"a POST with a bad encoding", postRequest("grant_type=%zz", formType), CodeInvalidRequest, http.StatusBadRequest},
		{"a POST without grant_type", postRequest("username=acme&password=x", formType), CodeInvalidRequest, http.StatusBadRequest},
		{"an unknown grant_type", postRequest("grant_type=client_credentials", formType), CodeUnsupportedGrantType, http.StatusBadRequest},
		{"grant_type twice", postRequest("grant_type=password&grant_type=refresh_token&username=acme&password=x", formType), CodeInvalidRequest, http.StatusBadRequest},
		{"username twice", postRequest("grant_type=password&username=acme&username=evil&password=x", formType), CodeInvalidRequest, http.StatusBadRequest},
		{"password twice", postRequest("grant_type=password&username=acme&password=x&password=y", formType), CodeInvalidRequest, http.StatusBadRequest},
		{"a password grant without a password", postRequest("grant_type=password&username=acme", formType), CodeInvalidRequest, http.StatusBadRequest},
		{"a password grant without a username", postRequest("grant_type=password&password=x", formType), CodeInvalidRequest, http.StatusBadRequest},
		{"a username with a control character", postRequest("grant_type=password&username=ac%0Ame&password=x", formType), CodeInvalidClient, http.StatusUnauthorized},
		{"a refresh grant without a refresh token", postRequest("grant_type=refresh_token", formType), CodeInvalidRequest, http.StatusBadRequest},
	}
	for _, tt := range tests {
		t.Run("it refuses "+tt.name, func(t *testing.T) {
			got, e := ParseRequest(tt.r)
			if e == nil || e.Code != tt.wantCode || e.Status != tt.wantStatus {
				t.Fatalf("ParseRequest = %v, %v; want %s with status %d", got, e, tt.wantCode, tt.wantStatus)
			}
			if strings.Contains(e.Description, oatSecret) {
				t.Fatalf("the refusal %q holds the secret", e.Description)
			}
		})
	}
}

func TestCheckService(t *testing.T) {
	tests := []struct {
		name    string
		service string
		wantErr bool
	}{
		{"the gateway's own service is accepted", service, false},
		{"no service is accepted: the token is bound to ours anyway", "", false},
		{"another service is refused", "other.example", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := TokenRequest{Service: tt.service}.CheckService(service)
			if (e != nil) != tt.wantErr {
				t.Fatalf("CheckService(%q) = %v; want an error: %v", tt.service, e, tt.wantErr)
			}
		})
	}
}

func TestTokenRequestPrintsNoSecret(t *testing.T) {
	r, e := ParseRequest(getRequest("", basic("acme", oatSecret)))
	if e != nil {
		t.Fatal(e)
	}
	for _, verb := range []string{"%v", "%+v", "%s", "%#v"} {
		if out := fmt.Sprintf(verb, r); strings.Contains(out, oatSecret) || !strings.Contains(out, "acme") {
			t.Errorf("Sprintf(%q, request) = %q; want the username and no secret", verb, out)
		}
	}
	if r.Secret() != oatSecret {
		t.Errorf("Secret() = %q; want the password", r.Secret())
	}
}

func TestGrantTypeNames(t *testing.T) {
	want := map[GrantType]string{0: "none", GrantAnonymous: "anonymous", GrantBasic: "basic", GrantPassword: "password", GrantRefreshToken: "refresh_token"}
	for g, name := range want {
		if g.String() != name {
			t.Errorf("GrantType(%d).String() = %q; want %q", g, g.String(), name)
		}
	}
}
