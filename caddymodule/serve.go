package caddymodule

import (
	"crypto/subtle"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"

	"github.com/oatgate/oatgate/caddymodule/access"
	"github.com/oatgate/oatgate/caddymodule/credentials"
	"github.com/oatgate/oatgate/caddymodule/oat"
	"github.com/oatgate/oatgate/caddymodule/registryerr"
	"github.com/oatgate/oatgate/caddymodule/registryreq"
	"github.com/oatgate/oatgate/caddymodule/scope"
	"github.com/oatgate/oatgate/caddymodule/usage"
)

// forgeableHeaders are identity headers that registries or the proxies in
// front of them may trust. A client could send them; the gateway removes them
// so that only what it decided reaches the registry.
var forgeableHeaders = []string{
	"Authorization",
	"Proxy-Authorization",
	"X-Forwarded-User",
	"X-Forwarded-Email",
	"X-Forwarded-Preferred-Username",
	"X-Forwarded-Groups",
	"X-Remote-User",
	"X-Remote-Group",
	"Remote-User",
	"X-Auth-Request-User",
	"X-Auth-Request-Email",
	"X-Auth-Request-Groups",
	"X-Oatgate-Token-Id",
	"X-Oatgate-Org",
}

// stripForgeable deletes forgeableHeaders from h. Header keys are canonical
// (the server canonicalizes them, Header.Set does too), so this is
// h.Del(name) for each name, in one pass over the few headers a request has
// instead of a canonicalization and a map lookup for each of 14 names.
func stripForgeable(h http.Header) {
	for k := range h {
		if slices.Contains(forgeableHeaders, k) {
			delete(h, k)
		}
	}
}

// headerValue is h.Get(key) for a key already in canonical form, without
// the canonicalization.
func headerValue(h http.Header, key string) string {
	if v := h[key]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// maxLoggedLen bounds what a hostile client can make a usage event carry.
const maxLoggedLen = 512

// ServeHTTP classifies, authenticates and authorizes the request, then hands
// it to next or refuses it; either way it logs one usage event.
func (ra *RegistryAuth) ServeHTTP(w http.ResponseWriter, r *http.Request, next caddyhttp.Handler) error {
	start := time.Now()
	x := getExchange(w)
	cw, ev := &x.cw, &x.ev
	*ev = usage.Event{
		Method:    truncate(r.Method),
		Path:      truncate(r.URL.Path),
		UserAgent: truncate(headerValue(r.Header, "User-Agent")),
		ClientIP:  clientIP(r),
		RequestID: truncate(headerValue(r.Header, "X-Request-Id")),
	}
	var body *countingBody
	defer func() {
		if ev.Status == 0 {
			ev.Status = cw.status
		}
		ev.BytesOut = cw.bytes
		if body != nil {
			ev.BytesIn = body.bytes.Load()
		}
		ev.Duration = time.Since(start)
		ra.logUsage(x)
		ra.metrics.request(ev)
		putExchange(x)
	}()

	if len(r.Trailer) > 0 || len(r.Header["Trailer"]) > 0 {
		// Registry clients never send trailers, and a proxy would forward
		// them unfiltered: an Authorization or identity header could ride
		// to the registry in one.
		ev.Event = usage.EventInvalid
		ra.refuse(cw, ev, usage.ReasonInvalidRequest, errTrailers)
		return nil
	}
	req, err := registryreq.Classify(registryreq.Input{
		Method:      r.Method,
		Path:        r.URL.Path,
		RawPath:     r.URL.RawPath,
		RawQuery:    r.URL.RawQuery,
		ContentType: headerValue(r.Header, "Content-Type"),
	}, ra.classify)
	if err != nil {
		ev.Event = usage.EventInvalid
		ra.refuse(cw, ev, usage.ReasonInvalidRequest, asRegistryError(err))
		return nil
	}
	ev.Event = eventOf(&req)
	ev.Repository, ev.Reference, ev.Digest = req.Repository, truncate(req.Reference), req.Digest

	grants, denial := ra.authenticate(r, &req, ev)
	if denial != nil {
		ra.refuse(cw, ev, denial.reason, denial.err)
		return nil
	}
	if denial := ra.authorize(r, &req, grants); denial != nil {
		ra.refuse(cw, ev, denial.reason, denial.err)
		return nil
	}

	ev.Decision = usage.Allow
	stripForgeable(r.Header)
	ra.setPlaceholders(r, ev, &req)
	if r.Body != nil && r.Body != http.NoBody {
		body = &countingBody{ReadCloser: r.Body}
		r.Body = body
	}

	if req.Kind == registryreq.TagsList {
		clampPageSize(r, req.N)
	}
	if req.Kind == registryreq.Catalog {
		err = ra.serveCatalog(cw, r, next, &req, grants)
	} else {
		err = next.ServeHTTP(cw, r)
	}
	if err != nil && cw.status == 0 {
		ev.Status = http.StatusInternalServerError
		var herr caddyhttp.HandlerError
		if errors.As(err, &herr) && herr.StatusCode != 0 {
			ev.Status = herr.StatusCode
		}
	}
	return err
}

// denial is a refusal: the registry error sent to the client and the reason
// recorded in the usage event.
type denial struct {
	reason string
	err    *registryerr.Error
}

var (
	errTrailers       = registryerr.New(registryerr.BadRequest, "request trailers are not accepted")
	errNoCredentials  = registryerr.New(registryerr.Unauthorized, "authentication required: log in with the organization name as username and an access token as password")
	errBadCredentials = registryerr.New(registryerr.Unauthorized, "invalid credentials: log in with the organization name as username and an access token as password")
	errUnavailable    = registryerr.New(registryerr.Unavailable, "")
	// Not the code's default message: Docker's client reduces that to a
	// bare code, which dockerd retries for 50 s and shows as just "denied".
	errDenied = registryerr.New(registryerr.Denied, registryerr.Denied.Message+": the token does not grant this action on this repository")
)

// authenticate finds who the request is from. It returns the token's grants,
// or nil grants with no denial for an anonymous request that anonymous_pull
// covers entirely.
func (ra *RegistryAuth) authenticate(r *http.Request, req *registryreq.Request, ev *usage.Event) (*scope.Grants, *denial) {
	cred, err := credentials.FromRequest(r.Header)
	if errors.Is(err, credentials.ErrMissing) {
		if ra.anonymousCovers(req) {
			return nil, nil
		}
		return nil, &denial{usage.ReasonNoCredentials, errNoCredentials}
	}
	if err != nil {
		return nil, &denial{usage.ReasonBadCredentials, errBadCredentials}
	}
	if oat.Check(cred.Password()) != nil {
		return nil, &denial{usage.ReasonBadToken, errBadCredentials}
	}
	id, err := ra.verifier.Verify(r.Context(), cred.Password())
	if err != nil {
		return nil, &denial{usage.ReasonUnavailable, errUnavailable}
	}
	if id == nil {
		return nil, &denial{usage.ReasonInactiveToken, errBadCredentials}
	}
	ev.TokenID, ev.TokenLabel, ev.Org = id.TokenID, id.Label, id.Org
	if subtle.ConstantTimeCompare([]byte(id.Org), []byte(cred.Username)) != 1 {
		return nil, &denial{usage.ReasonWrongOrg, errBadCredentials}
	}
	return id.Grants, nil
}

// authorize checks every (repository, action) pair the request needs. A
// cross-repository mount whose source may not be pulled is turned into a plain
// upload by removing mount and from, as the OCI spec allows, instead of
// refusing the push (containerd and Docker fail a push on that 403).
func (ra *RegistryAuth) authorize(r *http.Request, req *registryreq.Request, grants *scope.Grants) *denial {
	if req.Kind == registryreq.Catalog && grants == nil {
		return &denial{usage.ReasonNoCredentials, errNoCredentials}
	}
	needs := req.Needs()
	for i, need := range needs {
		if ra.allows(grants, need) {
			continue
		}
		if i > 0 && req.Mount && need.Repository == req.MountFrom && need.Action == access.Pull {
			continue // dropped below
		}
		return &denial{usage.ReasonScope, errDenied}
	}
	if req.Mount && (req.MountFrom == "" || !ra.allows(grants, access.Access{Repository: req.MountFrom, Action: access.Pull})) {
		dropMount(r, req)
	}
	return nil
}

func (ra *RegistryAuth) allows(grants *scope.Grants, need access.Access) bool {
	if grants != nil && grants.Allows(need.Repository, need.Action) {
		return true
	}
	return need.Action == access.Pull && ra.anonymousMatch(need.Repository)
}

// anonymousCovers reports whether anonymous_pull allows everything the
// request needs. /v2/ and the catalog always need credentials, so that
// clients are challenged and log in.
func (ra *RegistryAuth) anonymousCovers(req *registryreq.Request) bool {
	needs := req.Needs()
	if len(ra.anonymous) == 0 || len(needs) == 0 {
		return false
	}
	for _, need := range needs {
		if need.Action != access.Pull || !ra.anonymousMatch(need.Repository) {
			return false
		}
	}
	return true
}

func (ra *RegistryAuth) anonymousMatch(repository string) bool {
	for _, s := range ra.anonymous {
		if scope.Match(s.Pattern, repository) {
			return true
		}
	}
	return false
}

// dropMount removes mount and from, keeping every other parameter byte for
// byte as sent.
func dropMount(r *http.Request, req *registryreq.Request) {
	r.URL.RawQuery = withoutParams(r.URL.RawQuery, "mount", "from")
	r.RequestURI = r.URL.RequestURI()
	req.DropMount()
}

// clampPageSize makes the registry see ?n= as the classifier read it, capped
// at max_page_size; a query without n, or with n within the cap, is left byte
// for byte as sent.
func clampPageSize(r *http.Request, n int) {
	if n <= 0 || r.URL.Query().Get("n") == strconv.Itoa(n) {
		return
	}
	q := withoutParams(r.URL.RawQuery, "n")
	if q != "" {
		q += "&"
	}
	r.URL.RawQuery = q + "n=" + strconv.Itoa(n)
	r.RequestURI = r.URL.RequestURI()
}

// withoutParams removes the query pairs whose decoded name is one of names.
// A pair whose name does not decode is kept: the registry skips it as well.
func withoutParams(rawQuery string, names ...string) string {
	var b strings.Builder
	for pair := range strings.SplitSeq(rawQuery, "&") {
		key, _, _ := strings.Cut(pair, "=")
		if k, err := url.QueryUnescape(key); err == nil && slices.Contains(names, k) {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('&')
		}
		b.WriteString(pair)
	}
	return b.String()
}

// refuse answers with a registry error. 401s carry the Basic challenge, and
// 503s a Retry-After, as clients expect.
func (ra *RegistryAuth) refuse(w http.ResponseWriter, ev *usage.Event, reason string, e *registryerr.Error) {
	ev.Decision, ev.Reason = usage.Deny, reason
	switch e.Code.Status {
	case http.StatusUnauthorized:
		w.Header().Set("WWW-Authenticate", ra.challenge)
	case http.StatusServiceUnavailable:
		w.Header().Set("Retry-After", retryAfterSeconds)
	}
	registryerr.Write(w, e)
}

// retryAfterSeconds is short: an outage of the store is usually a restart.
const retryAfterSeconds = "5"

func (ra *RegistryAuth) setPlaceholders(r *http.Request, ev *usage.Event, req *registryreq.Request) {
	repl, ok := r.Context().Value(caddy.ReplacerCtxKey).(*caddy.Replacer)
	if !ok {
		return
	}
	// Each conversion of a string to any allocates: the token id is
	// converted once for its two names, and actions are converted up front.
	var tokenID any = ev.TokenID
	repl.Set("http.auth.user.id", tokenID)
	repl.Set("registry_auth.token_id", tokenID)
	repl.Set("registry_auth.token_label", ev.TokenLabel)
	repl.Set("registry_auth.org", ev.Org)
	repl.Set("registry_auth.repository", req.Repository)
	repl.Set("registry_auth.action", actionValue(req.Action()))
}

// actionValues are the values of {registry_auth.action}, already converted
// to any: empty for no action (/v2/ and the catalog).
var actionValues = [...]any{
	0:             "",
	access.Pull:   access.Pull.String(),
	access.Push:   access.Push.String(),
	access.Delete: access.Delete.String(),
}

func actionValue(a access.Action) any {
	if int(a) < len(actionValues) {
		return actionValues[a]
	}
	return a.String()
}

func eventOf(req *registryreq.Request) string {
	switch req.Kind {
	case registryreq.Base:
		return usage.EventLogin
	case registryreq.Catalog:
		return usage.EventCatalog
	}
	switch req.Action() {
	case access.Push:
		return usage.EventPush
	case access.Delete:
		return usage.EventDelete
	}
	return usage.EventPull
}

func asRegistryError(err error) *registryerr.Error {
	var re *registryerr.Error
	if errors.As(err, &re) {
		return re
	}
	return registryerr.New(registryerr.BadRequest, "")
}

func clientIP(r *http.Request) string {
	if ip, ok := caddyhttp.GetVar(r.Context(), caddyhttp.ClientIPVarKey).(string); ok {
		return ip
	}
	return r.RemoteAddr
}

func truncate(s string) string {
	if len(s) > maxLoggedLen {
		return s[:maxLoggedLen]
	}
	return s
}
