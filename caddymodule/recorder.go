package caddymodule

import (
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"go.uber.org/zap"

	"github.com/oatgate/oatgate/caddymodule/decide"
	"github.com/oatgate/oatgate/caddymodule/registryreq"
	"github.com/oatgate/oatgate/caddymodule/usage"
	"github.com/oatgate/oatgate/caddymodule/verify"
)

// exchange is ServeHTTP's per-request state, pooled so that a request costs
// no allocation for it: the response writer that counts what goes out, the
// usage event, and the buffer the event's log fields are built in.
//
// Nothing may keep a pointer into an exchange after ServeHTTP returns (the
// next handler may not use the ResponseWriter after it returns, by
// http.Handler's contract). The request body counter is therefore not part
// of it, only a pointer to it: http.Transport may still read a request body
// after RoundTrip returns.
type exchange struct {
	start time.Time
	cw    countingWriter
	body  *countingBody
	ev    usage.Event
	// event, outcome and reason are the decision's, which metrics index by.
	event   decide.Event
	outcome decide.Outcome
	reason  decide.Reason
	// refusal is the decision's refused token, counted by why.
	refusal *verify.Refusal
	// kind is the endpoint the request was on, for usage reports.
	kind   registryreq.Kind
	fields [usage.NumFields]zap.Field
}

var exchanges = sync.Pool{New: func() any { return new(exchange) }}

// begin takes an exchange from the pool and records what is known of r
// before anything is decided.
func (ra *RegistryAuth) begin(w http.ResponseWriter, r *http.Request) *exchange {
	x := exchanges.Get().(*exchange)
	x.start = time.Now()
	x.cw.ResponseWriter = w
	x.ev = usage.Event{
		Method:    truncate(r.Method),
		Path:      truncate(r.URL.Path),
		UserAgent: truncate(headerValue(r.Header, "User-Agent")),
		ClientIP:  clientIP(r),
		RequestID: truncate(headerValue(r.Header, "X-Request-Id")),
	}
	return x
}

// record fills the usage event from the decision, once.
func (x *exchange) record(d *decide.Decision, req *registryreq.Request) {
	x.event, x.outcome, x.reason, x.refusal = d.Event, d.Outcome, d.Reason, d.Refusal
	ev := &x.ev
	ev.Event, ev.Decision, ev.Reason = d.Event.String(), d.Outcome.String(), d.Reason.String()
	switch {
	case d.Identity != nil:
		ev.TokenID, ev.TokenLabel, ev.Org, ev.Policy = d.Identity.TokenID, d.Identity.Label, d.Identity.Org, d.Identity.Policy
	case d.Refusal != nil:
		// A revoked, deactivated or expired token the store knows is
		// named, so that a leaked token still in use can be traced.
		ev.TokenID, ev.TokenLabel, ev.Org = d.Refusal.TokenID, d.Refusal.Label, d.Refusal.Org
	}
	ev.Repository, ev.Reference, ev.Digest = req.Repository, truncate(req.Reference), req.Digest
	x.kind = req.Kind
}

// handlerFailed records the status Caddy answers with when the next handler
// failed without writing a response.
func (x *exchange) handlerFailed(err error) {
	if err != nil && x.cw.status == 0 {
		x.ev.Status = handlerStatus(err)
	}
}

// finish completes the usage event with what went in and out, logs it,
// counts it, and returns x to the pool cleared, so that the pool holds no
// response writer, request data or token identity. The field buffer is
// cleared by usageLog.write, as far as it was used: clearing all of it costs as
// much as the rest of the request's bookkeeping.
func (ra *RegistryAuth) finish(x *exchange) {
	ev := &x.ev
	if ev.Status == 0 {
		ev.Status = x.cw.status
	}
	ev.BytesOut = x.cw.bytes
	if x.body != nil {
		ev.BytesIn = x.body.bytes.Load()
	}
	ev.Duration = time.Since(x.start)
	ra.usage.write(x)
	ra.metrics.request(x.event, x.outcome, x.reason, ev.Org, ev.TokenID)
	if x.refusal != nil {
		ra.metrics.inactiveToken(x.refusal.Reason)
	}
	ra.report(x)
	x.cw, x.body, x.ev, x.refusal, x.kind = countingWriter{}, nil, usage.Event{}, nil, 0
	exchanges.Put(x)
}

// maxLoggedLen bounds what a hostile client can make a usage event carry.
const maxLoggedLen = 512

// truncate cuts s to maxLoggedLen bytes at a rune boundary; it does not
// check the rest is valid UTF-8 (usage reports make it so when they are
// sealed, off the request path).
func truncate(s string) string {
	if len(s) <= maxLoggedLen {
		return s
	}
	i := maxLoggedLen
	for i > maxLoggedLen-utf8.UTFMax && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i]
}

func clientIP(r *http.Request) string {
	if ip, ok := caddyhttp.GetVar(r.Context(), caddyhttp.ClientIPVarKey).(string); ok {
		return ip
	}
	return r.RemoteAddr
}

// countingWriter records the status and counts the bytes of a response as it
// streams through; it never buffers the body.
type countingWriter struct {
	caddyhttp.ResponseWriterWrapper
	status int
	bytes  int64
}

func (cw *countingWriter) WriteHeader(status int) {
	// 1xx answers are interim; the final status comes after them.
	if cw.status == 0 && status >= 200 {
		cw.status = status
	}
	cw.ResponseWriter.WriteHeader(status)
}

func (cw *countingWriter) Write(p []byte) (int, error) {
	if cw.status == 0 {
		cw.status = http.StatusOK
	}
	n, err := cw.ResponseWriter.Write(p)
	cw.bytes += int64(n)
	return n, err
}

// ReadFrom keeps the underlying writer's sendfile/splice path for blobs.
func (cw *countingWriter) ReadFrom(r io.Reader) (int64, error) {
	if cw.status == 0 {
		cw.status = http.StatusOK
	}
	n, err := cw.ResponseWriterWrapper.ReadFrom(r)
	cw.bytes += n
	return n, err
}

// countingBody counts the request body bytes the next handler reads. The
// count is atomic: the proxy's transport may still be reading the body in
// its own goroutine when an early response ends the handler.
type countingBody struct {
	io.ReadCloser
	bytes atomic.Int64
}

func (cb *countingBody) Read(p []byte) (int, error) {
	n, err := cb.ReadCloser.Read(p)
	cb.bytes.Add(int64(n))
	return n, err
}

// bufferWriter keeps a whole small response in memory: the registry's catalog
// pages, which the gateway filters before answering.
type bufferWriter struct {
	header http.Header
	status int
	body   []byte
	limit  int
	over   bool
}

func newBufferWriter(limit int) *bufferWriter {
	return &bufferWriter{header: make(http.Header), limit: limit}
}

func (bw *bufferWriter) Header() http.Header { return bw.header }

func (bw *bufferWriter) WriteHeader(status int) {
	if bw.status == 0 && status >= 200 {
		bw.status = status
	}
}

func (bw *bufferWriter) Write(p []byte) (int, error) {
	if bw.status == 0 {
		bw.status = http.StatusOK
	}
	if len(bw.body)+len(p) > bw.limit {
		bw.over = true
		return 0, errResponseTooLarge
	}
	bw.body = append(bw.body, p...)
	return len(p), nil
}
