// Package registryreq classifies registry API requests: which endpoint a
// request addresses, which repository it acts on (byte-exact as the
// registry's own router resolves it) and which actions it needs there. It
// refuses, rather than reinterprets, anything the registry could read
// differently: percent-encoding and dot segments in the path, names outside
// the OCI grammar, repeated meaning-changing query parameters and form bodies
// on writes. It is plain Go with no Caddy imports, so that every part of
// oatgate can share it.
package registryreq

import (
	"net/http"
	"strings"

	"github.com/distribution/reference"

	"github.com/oatgate/oatgate/caddymodule/access"
	"github.com/oatgate/oatgate/caddymodule/registryerr"
)

// Limits on untrusted input. A registry path needs at most a 255-byte name,
// the endpoint words and a reference or session id; upload session URLs
// carry the registry's own state in the query, which can run to a few
// hundred bytes.
const (
	// MaxPathLength is the longest path (decoded or raw) accepted.
	MaxPathLength = 2048
	// MaxQueryLength is the longest raw query accepted.
	MaxQueryLength = 8192
)

// MaxN is the largest ?n= Classify reads; larger values read as MaxN. How
// many names a client may have is the gateway's policy, not the parser's.
const MaxN = 1<<31 - 1

// Input is what Classify reads of an HTTP request.
type Input struct {
	// Method is the request method, compared case-sensitively.
	Method string
	// Path is net/http's URL.Path (decoded).
	Path string
	// RawPath is net/http's URL.RawPath: empty when the path's escaped form
	// is the default encoding of Path, as URL.EscapedPath treats it.
	RawPath string
	// RawQuery is URL.RawQuery, undecoded.
	RawQuery string
	// ContentType is the request's Content-Type header; form-encoded and
	// multipart bodies are refused on writes.
	ContentType string
}

// Classify resolves a request to its endpoint, repository and needed access.
// A refusal is a *registryerr.Error whose code is the one to answer with
// (NAME_INVALID, NOT_FOUND, UNSUPPORTED, DIGEST_INVALID, TAG_INVALID,
// PAGINATION_NUMBER_INVALID, or UNSUPPORTED with 400 for a form it refuses to read) and whose detail
// repeats at most a short, printable piece of the input. Classify is a plain
// function of its arguments, safe for concurrent use, and does not allocate
// unless a query parameter that matters is percent-encoded (as from= usually
// is) or the request is refused.
func Classify(in Input) (Request, error) {
	var r Request
	if err := r.classify(&in); err != nil {
		// Returned as error only here, so that no typed nil ever reads as a
		// refusal.
		return Request{}, err
	}
	return r, nil
}

func (r *Request) classify(in *Input) *registryerr.Error {
	if len(in.Path) > MaxPathLength || len(in.RawPath) > MaxPathLength {
		return ErrPathTooLong
	}
	if len(in.RawQuery) > MaxQueryLength {
		return ErrQueryTooLong
	}
	if in.RawPath != "" && in.RawPath != in.Path {
		return ErrPercentEncoded
	}
	rest, ok := strings.CutPrefix(in.Path, v2Prefix)
	if !ok {
		return refine(in.Path, ErrUnknownRoute)
	}
	rt, err := splitRoute(rest)
	if err != nil {
		return refine(in.Path, err)
	}
	r.Kind = rt.kind
	if r.Kind != Base && r.Kind != Catalog {
		if len(rt.name) > reference.RepositoryNameTotalLengthMax {
			return ErrNameTooLong
		}
		if !validName(rt.name) {
			return refine(in.Path, nameInvalid(rt.name))
		}
		r.Repository = rt.name
	}
	if err := r.setTarget(rt.last); err != nil {
		return refine(in.Path, err)
	}
	// The method last among path checks: UNSUPPORTED then always means a
	// route the registry has, asked with the wrong method.
	action, ok := actionFor(r.Kind, in.Method)
	if !ok {
		return ErrMethod
	}
	if in.RawQuery != "" {
		q, err := parseQuery(in.RawQuery)
		if err != nil {
			return err
		}
		if err := r.setParams(&q, in.Method); err != nil {
			return err
		}
	}
	if isWrite(in.Method) && formBody(in.ContentType) {
		return ErrFormBody
	}
	if action != 0 {
		r.need(r.Repository, action)
	}
	if r.MountFrom != "" {
		r.need(r.MountFrom, access.Pull)
	}
	return nil
}

// refine returns the more precise refusal checkPath finds in path, if any,
// else err: "percent-encoding refused" says more than "invalid name".
func refine(path string, err *registryerr.Error) *registryerr.Error {
	if perr := checkPath(path); perr != nil {
		return perr
	}
	return err
}

// setTarget validates and records the path's final variable: the manifest
// reference, the blob or subject digest, or the upload session id.
func (r *Request) setTarget(last string) *registryerr.Error {
	switch r.Kind {
	case Manifest:
		// The router's reference pattern is tag|digest; a tag holds no ':'.
		if strings.IndexByte(last, ':') >= 0 {
			if !validDigest(last) {
				return digestInvalid(last)
			}
		} else if !validTag(last) {
			return tagInvalid(last)
		}
		r.Reference = last
	case Blob, Referrers:
		if !validDigest(last) {
			return digestInvalid(last)
		}
		r.Digest = last
	case UploadSession:
		if !validSessionID(last) {
			return ErrUnknownRoute
		}
		if isDots(last) {
			return ErrNotCanonical // the session id grammar allows "." and ".."
		}
		r.SessionID = last
	}
	return nil
}

// setParams interprets the query parameters each endpoint reads. Others are
// passed through untouched: the registry ignores them on that endpoint.
func (r *Request) setParams(q *query, method string) *registryerr.Error {
	switch r.Kind {
	case UploadStart:
		mount, digest := q.get(paramMount), q.get(paramDigest)
		if mount != "" && digest != "" {
			return ErrMountWithDigest
		}
		if digest != "" {
			if !validDigest(digest) {
				return digestInvalid(digest)
			}
			r.Digest = digest
		}
		if mount != "" {
			if !validDigest(mount) {
				return digestInvalid(mount)
			}
			r.Digest, r.Mount = mount, true
			// from without mount is ignored by the registry; with mount it
			// names a second repository that must be authorized.
			if from := q.get(paramFrom); from != "" {
				if !validName(from) {
					return nameInvalid(from)
				}
				r.MountFrom = from
			}
		}
	case UploadSession:
		if method != http.MethodPut {
			return nil
		}
		if digest := q.get(paramDigest); digest != "" {
			if !validDigest(digest) {
				return digestInvalid(digest)
			}
			r.Digest = digest
		}
	case Catalog, TagsList:
		if n := q.get(paramN); n != "" {
			size, err := parsePageSize(n, MaxN)
			if err != nil {
				return err
			}
			r.N, r.HasN = size, true
		}
		r.Last = q.get(paramLast)
	case Referrers:
		r.ArtifactType = q.get(paramArtifactType)
	}
	return nil
}

// isWrite reports whether Go's form parsing reads the body for method.
func isWrite(method string) bool {
	return method == http.MethodPost || method == http.MethodPut || method == http.MethodPatch
}
