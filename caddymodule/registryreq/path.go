package registryreq

import (
	"strings"

	"github.com/oatgate/oatgate/caddymodule/registryerr"
)

// checkPath finds what makes a path one the registry could read differently
// from the decoded Path we classify: any percent-encoding (a '%' left after
// decoding), control characters, bytes no route uses, empty components
// (other than a final one, as in /v2/ and the upload start's trailing slash)
// and "." or ".." components, which the router cleans and redirects rather
// than serves. Classify runs it only on paths it is about to refuse, to name
// the precise reason: on an accepted path every byte after /v2/ has already
// passed a stricter check (name, tag, digest or session id grammar).
func checkPath(path string) *registryerr.Error {
	if path == "" || path[0] != '/' {
		return ErrUnknownRoute
	}
	segStart := 1
	for i := 1; i < len(path); i++ {
		c := path[i]
		if byteClass[c]&clsPath == 0 {
			switch {
			case c == '%':
				return ErrPercentEncoded
			case c < 0x20 || c == 0x7f:
				return ErrControlCharacter
			}
			return ErrUnknownRoute
		}
		if c != '/' {
			continue
		}
		if n := i - segStart; n == 0 || n <= 2 && isDots(path[segStart:i]) {
			return ErrNotCanonical
		}
		segStart = i + 1
	}
	if isDots(path[segStart:]) {
		return ErrNotCanonical
	}
	return nil
}

// isDots reports whether seg is "." or "..".
func isDots(seg string) bool { return seg == "." || seg == ".." }

const (
	uploadsSuffix = "/blobs/uploads/"
	v2Prefix      = "/v2/"
)

// route is a path split the way distribution's router splits it.
type route struct {
	kind Kind
	name string
	last string // reference, digest or session id
}

// splitRoute resolves rest (the path after "/v2/") to an endpoint. The
// router's patterns all end in fixed words plus at most one variable that
// holds no '/', so the name is everything before those final words; a name
// may itself contain "manifests", "blobs" or "uploads" components
// (/v2/a/manifests/b/manifests/latest is manifest "latest" of "a/manifests/b").
func splitRoute(rest string) (route, *registryerr.Error) {
	switch rest {
	case "":
		return route{kind: Base}, nil
	case "_catalog":
		return route{kind: Catalog}, nil
	}
	if strings.HasSuffix(rest, "/") {
		// Only the upload start route ends in '/'; elsewhere the router
		// answers a trailing slash with a redirect, not the endpoint.
		name, ok := strings.CutSuffix(rest, uploadsSuffix)
		if !ok || name == "" {
			return route{}, ErrUnknownRoute
		}
		return route{kind: UploadStart, name: name}, nil
	}
	i := strings.LastIndexByte(rest, '/')
	if i < 0 {
		return route{}, ErrUnknownRoute
	}
	head, last := rest[:i], rest[i+1:]
	j := strings.LastIndexByte(head, '/')
	if j <= 0 {
		return route{}, ErrUnknownRoute // no name before the endpoint words
	}
	name, word := head[:j], head[j+1:]
	switch word {
	case "manifests":
		return route{kind: Manifest, name: name, last: last}, nil
	case "blobs":
		if last == "uploads" {
			return route{}, ErrUnknownRoute // upload start without its trailing slash
		}
		return route{kind: Blob, name: name, last: last}, nil
	case "tags":
		if last == "list" {
			return route{kind: TagsList, name: name}, nil
		}
	case "referrers":
		return route{kind: Referrers, name: name, last: last}, nil
	case "uploads":
		k := strings.LastIndexByte(name, '/')
		if k > 0 && name[k+1:] == "blobs" {
			return route{kind: UploadSession, name: name[:k], last: last}, nil
		}
	}
	return route{}, ErrUnknownRoute
}
