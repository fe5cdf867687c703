package caddymodule

import (
	"io"
	"net/http"
	"sync"
	"sync/atomic"

	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/oatgate/oatgate/caddymodule/usage"
)

// exchange is ServeHTTP's per-request state, pooled so that a request costs
// no allocation for it: the response writer that counts what goes out, the
// usage event, and the buffer the event's log fields are built in.
//
// Nothing may keep a pointer into an exchange after ServeHTTP returns (the
// next handler may not use the ResponseWriter after it returns, by
// http.Handler's contract). The request body counter is therefore not part
// of it: http.Transport may still read a request body after RoundTrip
// returns.
type exchange struct {
	cw     countingWriter
	ev     usage.Event
	fields [usage.NumFields]zap.Field
}

var exchanges = sync.Pool{New: func() any { return new(exchange) }}

func getExchange(w http.ResponseWriter) *exchange {
	x := exchanges.Get().(*exchange)
	x.cw.ResponseWriter = w
	return x
}

// putExchange clears x, so that the pool holds no response writer, request
// data or token identity, and returns it to the pool. The field buffer is
// cleared by logUsage, as far as it was used: clearing all of it costs as
// much as the rest of the request's bookkeeping.
func putExchange(x *exchange) {
	x.cw = countingWriter{}
	x.ev = usage.Event{}
	exchanges.Put(x)
}

// logUsage writes x's usage event, as usage.Write does, building its fields
// in x instead of in a buffer that escapes to the heap through zap's
// variadic Write.
func (ra *RegistryAuth) logUsage(x *exchange) {
	ce := ra.usage.Check(zapcore.InfoLevel, usage.Message)
	if ce == nil {
		return
	}
	fields := x.ev.Fields(x.fields[:0])
	ce.Write(fields...)
	clear(fields)
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
