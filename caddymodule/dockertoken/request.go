package dockertoken

import (
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"

	"github.com/oatgate/oatgate/caddymodule/credentials"
)

// GrantType is how a token request authenticates.
type GrantType uint8

// The grant types. The zero value is none, so that a forgotten assignment
// authenticates nothing.
const (
	// GrantAnonymous is a GET without credentials.
	GrantAnonymous GrantType = iota + 1
	// GrantBasic is a GET with Basic credentials (docker, podman, skopeo,
	// crane; containerd after its POST was refused).
	GrantBasic
	// GrantPassword is an OAuth2 POST with grant_type=password (containerd
	// with credentials).
	GrantPassword
	// GrantRefreshToken is an OAuth2 POST with grant_type=refresh_token
	// (docker once it holds a refresh token; this gateway issues none).
	GrantRefreshToken
)

// String returns the grant as usage events name it.
func (g GrantType) String() string {
	switch g {
	case GrantAnonymous:
		return "anonymous"
	case GrantBasic:
		return "basic"
	case GrantPassword:
		return "password"
	case GrantRefreshToken:
		return "refresh_token"
	}
	return "none"
}

// MaxFormLen bounds the body of a POST token request. A form with
// MaxScopes long scopes fits in well under this.
const MaxFormLen = 16 << 10

// TokenRequest is a parsed request to the token endpoint. Its String and
// GoString hide the secret.
type TokenRequest struct {
	Grant GrantType
	// Service is the service the client names; empty if it named none.
	Service string
	// Scopes are the requested scopes, parsed and merged (ParseScopes).
	Scopes []Access
	// Username is the Basic username or the form's username: for an OAT,
	// the organization. Empty for anonymous and refresh-token grants.
	Username string
	// Account is the GET form's account parameter (docker sends the
	// username); ParseRequest checks it equals Username.
	Account string
	// ClientID is the client's self-declared name ("docker",
	// "containerd-client"), for logs only: it proves nothing.
	ClientID string
	// Offline is set when the client asked for a refresh token
	// (offline_token=true or access_type=offline).
	Offline bool
	secret  string
}

// Secret returns the password (GrantBasic, GrantPassword) or refresh token
// (GrantRefreshToken). Call it only to verify it.
func (r TokenRequest) Secret() string { return r.secret }

// String names the grant and username only.
func (r TokenRequest) String() string {
	return "dockertoken.TokenRequest{grant:" + r.Grant.String() + ", username:" + r.Username + ", secret:***}"
}

// GoString is String, so that %#v leaks nothing either.
func (r TokenRequest) GoString() string { return r.String() }

// CheckService refuses a request that names a service other than want. A
// request naming none is accepted: the token is bound to want whatever the
// client said.
func (r TokenRequest) CheckService(want string) *Error {
	if r.Service != "" && r.Service != want {
		return BadRequest("unknown service " + quoteDesc(r.Service) + ": use the service named in the registry's challenge, " + quoteDesc(want))
	}
	return nil
}

// ParseRequest reads a token request: GET with the query parameters service,
// scope (repeated), account, client_id and offline_token, and Basic
// credentials or none; or POST with an application/x-www-form-urlencoded
// body holding grant_type (password with username and password, or
// refresh_token with refresh_token), service, scope (space-separated,
// possibly repeated), client_id and access_type. Anything ambiguous is
// refused rather than guessed at: a single-valued parameter given twice,
// more than one Authorization header, credentials both in a header and in
// the form, parameters in a POST's query string. The refusal's description
// says what to change.
func ParseRequest(r *http.Request) (TokenRequest, *Error) {
	switch r.Method {
	case http.MethodGet:
		return parseGet(r)
	case http.MethodPost:
		return parsePost(r)
	}
	return TokenRequest{}, &Error{Code: CodeInvalidRequest, Description: "the token endpoint serves GET and POST only", Status: http.StatusMethodNotAllowed}
}

func parseGet(r *http.Request) (TokenRequest, *Error) {
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return TokenRequest{}, BadRequest("the query string is not valid URL encoding")
	}
	var req TokenRequest
	if e := req.readCommon(q); e != nil {
		return TokenRequest{}, e
	}
	for _, name := range [...]string{"account", "offline_token"} {
		if len(q[name]) > 1 {
			return TokenRequest{}, BadRequest(name + " is given more than once")
		}
	}
	req.Account = q.Get("account")
	req.Offline = q.Get("offline_token") == "true"

	values := r.Header.Values("Authorization")
	switch {
	case len(values) > 1:
		return TokenRequest{}, BadRequest("more than one Authorization header")
	case len(values) == 0 || isEmptyBasic(values[0]):
		// skopeo and others send ":" as Basic credentials when they have
		// none; that is an anonymous request, not a failed login.
		req.Grant = GrantAnonymous
	default:
		b, err := credentials.ParseBasic(values[0])
		if err != nil {
			return TokenRequest{}, BadCredentials("use Basic credentials: the organization name as username and an access token as password (" + err.Error() + ")")
		}
		req.Grant, req.Username, req.secret = GrantBasic, b.Username, b.Password()
	}
	if req.Account != "" && req.Account != req.Username {
		return TokenRequest{}, BadRequest("account " + quoteDesc(req.Account) + " is not the username of the credentials")
	}
	return req, nil
}

// isEmptyBasic reports whether h is Basic credentials with an empty username
// and password.
func isEmptyBasic(h string) bool {
	scheme, rest, _ := strings.Cut(h, " ")
	return strings.EqualFold(scheme, "basic") && strings.TrimSpace(rest) == "Og=="
}

func parsePost(r *http.Request) (TokenRequest, *Error) {
	if r.URL.RawQuery != "" {
		return TokenRequest{}, BadRequest("send the parameters of a POST in the form body, not the query string")
	}
	if len(r.Header.Values("Authorization")) > 0 {
		return TokenRequest{}, BadRequest("send the credentials of a POST in the form (grant_type=password), not an Authorization header")
	}
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/x-www-form-urlencoded" {
		return TokenRequest{}, BadRequest("the form must be application/x-www-form-urlencoded")
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxFormLen+1))
	if err != nil {
		return TokenRequest{}, BadRequest("the form could not be read")
	}
	if len(body) > MaxFormLen {
		return TokenRequest{}, BadRequest("the form is too long")
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return TokenRequest{}, BadRequest("the form is not valid URL encoding")
	}
	var req TokenRequest
	if e := req.readCommon(form); e != nil {
		return TokenRequest{}, e
	}
	for _, name := range [...]string{"grant_type", "username", "password", "refresh_token", "access_type"} {
		if len(form[name]) > 1 {
			return TokenRequest{}, BadRequest(name + " is given more than once")
		}
	}
	req.Offline = form.Get("access_type") == "offline"
	switch form.Get("grant_type") {
	case "password":
		req.Grant, req.Username, req.secret = GrantPassword, form.Get("username"), form.Get("password")
		if req.Username == "" || req.secret == "" {
			return TokenRequest{}, BadRequest("grant_type=password needs username (the organization name) and password (an access token)")
		}
		if hasControl(req.Username) {
			return TokenRequest{}, BadCredentials("the username holds control characters")
		}
	case "refresh_token":
		req.Grant, req.secret = GrantRefreshToken, form.Get("refresh_token")
		if req.secret == "" {
			return TokenRequest{}, BadRequest("grant_type=refresh_token needs refresh_token")
		}
	case "":
		return TokenRequest{}, BadRequest("grant_type is required: password or refresh_token")
	default:
		return TokenRequest{}, &Error{Code: CodeUnsupportedGrantType, Description: "grant_type must be password or refresh_token", Status: http.StatusBadRequest}
	}
	return req, nil
}

// readCommon reads the parameters both forms share: service, client_id and
// scope.
func (req *TokenRequest) readCommon(v url.Values) *Error {
	for _, name := range [...]string{"service", "client_id"} {
		if len(v[name]) > 1 {
			return BadRequest(name + " is given more than once")
		}
	}
	req.Service, req.ClientID = v.Get("service"), v.Get("client_id")
	scopes, err := ParseScopes(v["scope"])
	if err != nil {
		return BadRequest(err.Error())
	}
	req.Scopes = scopes
	return nil
}

func hasControl(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] == 0x7f {
			return true
		}
	}
	return false
}

// quoteDesc quotes a client-given value for a description, cut to a
// readable length.
func quoteDesc(s string) string {
	const maxLen = 64
	if len(s) > maxLen {
		s = s[:maxLen] + "..."
	}
	return `"` + strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r == '"' || r == '\\' {
			return '?'
		}
		return r
	}, s) + `"`
}
