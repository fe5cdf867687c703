package caddymodule

import (
	"errors"
	"net/http"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"

	"github.com/oatgate/oatgate/caddymodule/access"
	"github.com/oatgate/oatgate/caddymodule/decide"
	"github.com/oatgate/oatgate/caddymodule/registryerr"
	"github.com/oatgate/oatgate/caddymodule/registryreq"
)

// ServeHTTP classifies the request, reads its credentials, has the policy
// decide, records the decision in the usage event, then refuses the request
// or rewrites it as decided and hands it to next (or answers the catalog).
// Either way it logs one usage event.
func (ra *RegistryAuth) ServeHTTP(w http.ResponseWriter, r *http.Request, next caddyhttp.Handler) error {
	if ra.bearer.serves(r) {
		return ra.serveToken(w, r)
	}
	x := ra.begin(w, r)
	defer ra.finish(x)

	req, err := classify(r)
	var d decide.Decision
	if err != nil {
		d = decide.Invalid(err)
	} else {
		d = ra.decideRequest(r, &req, x.start, x.ev.ClientIP)
	}
	x.record(&d, &req)
	if !d.Allowed() {
		ra.refuse(&x.cw, r, &req, &d)
		return nil
	}

	ra.forward(r, x, &d, &req)
	if req.Kind == registryreq.Catalog {
		err = ra.serveCatalog(&x.cw, r, next, &req, &d)
	} else {
		err = next.ServeHTTP(&x.cw, r)
	}
	x.handlerFailed(err)
	return err
}

var (
	errTrailers = registryerr.New(registryerr.UnsupportedRequest, "request trailers are not accepted")
	errUpgrade  = registryerr.New(registryerr.UnsupportedRequest, "protocol upgrades (Upgrade, Connection: upgrade) are not accepted on registry routes")
	errRefused  = registryerr.New(registryerr.Denied, "")
)

// classify reads the registry request r makes. Trailers are refused:
// registry clients never send them, and a proxy would forward them
// unfiltered, so an Authorization or identity header could ride to the
// registry in one. Protocol upgrades are refused: no registry route
// switches protocols.
func classify(r *http.Request) (registryreq.Request, error) {
	if len(r.Trailer) > 0 || len(r.Header["Trailer"]) > 0 {
		return registryreq.Request{}, errTrailers
	}
	if wantsUpgrade(r.Header) {
		return registryreq.Request{}, errUpgrade
	}
	return registryreq.Classify(registryreq.Input{
		Method:      r.Method,
		Path:        r.URL.Path,
		RawPath:     r.URL.RawPath,
		RawQuery:    r.URL.RawQuery,
		ContentType: headerValue(r.Header, "Content-Type"),
	})
}

// refuse answers with the decision's registry error. 401s carry the
// challenge (challengeFor), and 503s a Retry-After, as clients expect. A refused HTTP/1
// request that came with a body is answered at once and its connection
// closed: otherwise Go's server reads the unread body first, so a client
// that declared a body it never sends waits for a timeout, and one that sent
// Expect: 100-continue gets a 100 Continue and uploads the body for nothing.
// (HTTP/2 resets the stream instead; its connection is shared.)
func (ra *RegistryAuth) refuse(w http.ResponseWriter, r *http.Request, req *registryreq.Request, d *decide.Decision) {
	e := d.Err
	if e == nil {
		e = errRefused // a decision that refuses without saying how
	}
	h := w.Header()
	switch e.Code.Status {
	case http.StatusUnauthorized:
		h.Set("WWW-Authenticate", ra.challengeFor(r, req, d))
	case http.StatusServiceUnavailable:
		h.Set("Retry-After", retryAfterSeconds)
	case http.StatusTooManyRequests:
		h.Set("Retry-After", budgetRefillSeconds)
	}
	if r.ProtoMajor == 1 && r.ContentLength != 0 {
		h.Set("Connection", "close")
	}
	registryerr.Write(w, e)
}

// retryAfterSeconds is short: an outage of the store is usually a restart.
const retryAfterSeconds = "5"

// budgetRefillSeconds is when an address that presented too many unknown
// tokens has its whole budget back.
const budgetRefillSeconds = "60"

// forward makes an allowed request what the registry may see: only the
// headers a registry reads (never the client's credentials), rewritten as
// decided,
// with the placeholders set and its body counted.
func (ra *RegistryAuth) forward(r *http.Request, x *exchange, d *decide.Decision, req *registryreq.Request) {
	keepForwardable(r.Header)
	if d.Rewrite.Changes() {
		r.URL.RawQuery = d.Rewrite.Query(r.URL.RawQuery, d.PageSize)
		r.RequestURI = r.URL.RequestURI()
	}
	ra.setPlaceholders(r, x, req)
	if r.Body != nil && r.Body != http.NoBody {
		x.body = &countingBody{ReadCloser: r.Body}
		r.Body = x.body
	}
}

func (ra *RegistryAuth) setPlaceholders(r *http.Request, x *exchange, req *registryreq.Request) {
	repl, ok := r.Context().Value(caddy.ReplacerCtxKey).(*caddy.Replacer)
	if !ok {
		return
	}
	// Each conversion of a string to any allocates: the token id is
	// converted once for its two names, and actions are converted up front.
	var tokenID any = x.ev.TokenID
	repl.Set("http.auth.user.id", tokenID)
	repl.Set("registry_auth.token_id", tokenID)
	repl.Set("registry_auth.token_label", x.ev.TokenLabel)
	repl.Set("registry_auth.org", x.ev.Org)
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

// handlerStatus is the status to log for an error next (or the catalog)
// returned without writing a response: Caddy answers it with the error's
// status, 500 by default.
func handlerStatus(err error) int {
	if herr, ok := errors.AsType[caddyhttp.HandlerError](err); ok && herr.StatusCode != 0 {
		return herr.StatusCode
	}
	return http.StatusInternalServerError
}
