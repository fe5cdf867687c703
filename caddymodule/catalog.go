package caddymodule

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"go.uber.org/zap"

	"github.com/oatgate/oatgate/caddymodule/catalog"
	"github.com/oatgate/oatgate/caddymodule/decide"
	"github.com/oatgate/oatgate/caddymodule/registryerr"
	"github.com/oatgate/oatgate/caddymodule/registryreq"
)

const (
	// maxCatalogPages bounds the registry pages one catalog request reads, so
	// a token that may see few of many repositories cannot make one request
	// walk the whole catalog; the client continues through Link.
	maxCatalogPages = 20
	// maxCatalogPageBytes bounds a buffered registry catalog page: 1000 names
	// of at most 255 bytes, JSON-quoted, fit well within it.
	maxCatalogPageBytes = 4 << 20
)

var errResponseTooLarge = errors.New("registry catalog page too large")

// serveCatalog answers GET /v2/_catalog with only the repositories the
// decision's identity may pull, reading the registry's catalog through next
// page by page.
func (ra *RegistryAuth) serveCatalog(w http.ResponseWriter, r *http.Request, next caddyhttp.Handler, req *registryreq.Request, d *decide.Decision) error {
	n, policy, id := d.PageSize, ra.policy, d.Identity
	if n == 0 {
		// n=0 asks for an empty page; the registry answers it without
		// reading its catalog and without a Link, and so does the gateway.
		writeCatalogPage(w, nil, "")
		return nil
	}
	var upstreamFailure *bufferWriter
	fetch := func(size int, last string) (catalog.Page, error) {
		page := r.Clone(r.Context())
		q := url.Values{"n": {strconv.Itoa(size)}}
		if last != "" {
			q.Set("last", last)
		}
		page.URL.RawQuery = q.Encode()
		page.RequestURI = page.URL.RequestURI()
		page.Body = http.NoBody
		bw := newBufferWriter(maxCatalogPageBytes)
		if err := next.ServeHTTP(bw, page); err != nil {
			return catalog.Page{}, err
		}
		if bw.over {
			return catalog.Page{}, errResponseTooLarge
		}
		if bw.status != http.StatusOK {
			upstreamFailure = bw
			return catalog.Page{}, errUpstreamStatus
		}
		return catalog.ParsePage(bw.body, bw.header.Get("Link") != "")
	}
	allow := func(name string) bool { return policy.MayPull(id, name) }

	last, sealed, ok := ra.cursor.Open(req.Last)
	if !ok || (!sealed && last != "" && !allow(last)) {
		// A plain last must be a name the token may see: resuming after an
		// arbitrary name would let a client probe where others' names are.
		registryerr.Write(w, errBadCursor)
		return nil
	}
	walk := catalog.Walk{Fetch: fetch, Allow: allow, PageSize: policy.MaxPageSize(), MaxPages: maxCatalogPages}
	if org := policy.Namespace(id); org != "" {
		// Everything the token may see is in its org's namespace, one run
		// of the registry's path-ordered catalog: read only that run.
		prefix := org + "/"
		walk.Within = func(name string) bool { return strings.HasPrefix(name, prefix) }
		if last == "" || catalog.PathLess(last, org) {
			last = org
		}
	}
	res, err := walk.Filter(n, last)
	switch {
	case upstreamFailure != nil:
		// The registry's own refusal (e.g. catalog disabled) goes back as is.
		copyHeader(w.Header(), upstreamFailure.header)
		w.WriteHeader(upstreamFailure.status)
		_, _ = w.Write(upstreamFailure.body)
		return nil
	case err != nil:
		var herr caddyhttp.HandlerError
		if errors.As(err, &herr) {
			return err
		}
		ra.logger.Error("filtering the registry catalog", zap.Error(err))
		registryerr.Write(w, registryerr.New(registryerr.Unavailable, "the registry's catalog could not be read"))
		return nil
	}

	link := ""
	if res.More {
		next := res.Next
		if !allow(next) {
			// The walk stopped on a name the token may not see; the
			// client gets an opaque place to resume, not the name.
			next = ra.cursor.Seal(next)
		}
		link = catalog.Link(n, next)
	}
	return writeCatalogPage(w, res.Repositories, link)
}

// writeCatalogPage answers a catalog page of names, with link as its Link
// header when it is not empty.
func writeCatalogPage(w http.ResponseWriter, names []string, link string) error {
	body := catalog.Body(names)
	h := w.Header()
	h.Set(registryerr.APIVersionHeader, "registry/2.0")
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	if link != "" {
		h.Set("Link", link)
	}
	w.WriteHeader(http.StatusOK)
	if _, err := w.Write(body); err != nil {
		return caddyhttp.Error(http.StatusInternalServerError, err)
	}
	return nil
}

var errBadCursor = registryerr.New(registryerr.PaginationInvalid, "last must be a repository this token may pull or a cursor from a Link this gateway sent")

var errUpstreamStatus = errors.New("registry catalog answered an error")

func copyHeader(dst, src http.Header) {
	for k, vv := range src {
		dst[k] = append(dst[k][:0:0], vv...)
	}
}
