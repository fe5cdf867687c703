package caddymodule

import (
	"io"
	"net/http"

	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
)

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

// countingBody counts the request body bytes the next handler reads.
type countingBody struct {
	io.ReadCloser
	bytes int64
}

func (cb *countingBody) Read(p []byte) (int, error) {
	n, err := cb.ReadCloser.Read(p)
	cb.bytes += int64(n)
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
