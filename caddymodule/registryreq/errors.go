package registryreq

import (
	"strings"

	"github.com/oatgate/oatgate/caddymodule/registryerr"
)

// The refusals whose detail depends on no input. They are shared values:
// compare with errors.Is or ==, and never modify them.
var (
	// ErrPathTooLong refuses a path longer than MaxPathLength.
	ErrPathTooLong = registryerr.New(registryerr.UnsupportedRequest, "request path is too long")
	// ErrQueryTooLong refuses a query longer than MaxQueryLength.
	ErrQueryTooLong = registryerr.New(registryerr.UnsupportedRequest, "request query is too long")
	// ErrPercentEncoded refuses any percent-encoding in the path: the
	// registry would decode it, so the name it reads could differ from the
	// one a byte-wise check sees.
	ErrPercentEncoded = registryerr.New(registryerr.UnsupportedRequest, "percent-encoded characters in the path are refused")
	// ErrControlCharacter refuses control characters and NUL in the path or
	// query.
	ErrControlCharacter = registryerr.New(registryerr.UnsupportedRequest, "control characters in the request are refused")
	// ErrNotCanonical refuses empty path components and dot segments, which
	// the registry's router redirects instead of serving.
	ErrNotCanonical = registryerr.New(registryerr.NotFound, "path has empty or dot segments")
	// ErrUnknownRoute answers a path that is no registry endpoint.
	ErrUnknownRoute = registryerr.New(registryerr.NotFound, "no such registry route")
	// ErrMethod answers a known endpoint asked with a method it does not
	// serve.
	ErrMethod = registryerr.New(registryerr.Unsupported, "method not allowed on this registry route")
	// ErrNameTooLong refuses a repository name over 255 characters.
	ErrNameTooLong = registryerr.New(registryerr.NameInvalid, "repository name must not be more than 255 characters")
	// ErrQueryMalformed refuses a query the registry would read differently
	// from a plain split: invalid escapes or ';' separators.
	ErrQueryMalformed = registryerr.New(registryerr.UnsupportedRequest, "malformed query string")
	// ErrDuplicateParameter refuses mount, from, digest, n, last or
	// artifactType given more than once.
	ErrDuplicateParameter = registryerr.New(registryerr.UnsupportedRequest, "a query parameter that changes the request's meaning is given more than once")
	// ErrMountWithDigest refuses an upload start that is both a mount and a
	// monolithic upload.
	ErrMountWithDigest = registryerr.New(registryerr.UnsupportedRequest, "mount and digest cannot be combined")
	// ErrFormBody refuses form-encoded and multipart bodies on writes: the
	// registry reads mount, from and digest from such bodies too.
	ErrFormBody = registryerr.New(registryerr.UnsupportedRequest, "form-encoded and multipart bodies are refused")
	// ErrPagination refuses an ?n= that is not a non-negative integer.
	ErrPagination = registryerr.New(registryerr.PaginationInvalid, "n must be a non-negative integer")
)

// snippetMax bounds how much of the client's input an error detail repeats.
const snippetMax = 64

// snippet returns a bounded, printable-ASCII copy of s for an error detail,
// so that a refusal never reflects arbitrary bytes or lengths back.
func snippet(s string) string {
	var b strings.Builder
	n := min(len(s), snippetMax)
	b.Grow(n + 3)
	for i := range n {
		c := s[i]
		if c < 0x21 || c > 0x7e {
			c = '?'
		}
		b.WriteByte(c)
	}
	if len(s) > snippetMax {
		b.WriteString("...")
	}
	return b.String()
}

func nameInvalid(name string) *registryerr.Error {
	return registryerr.New(registryerr.NameInvalid,
		"invalid repository name "+`"`+snippet(name)+`"`+": components must be lowercase [a-z0-9] separated by '.', '_', '__' or '-', with no host:port prefix")
}

func digestInvalid(d string) *registryerr.Error {
	return registryerr.New(registryerr.DigestInvalid,
		"invalid digest "+`"`+snippet(d)+`"`+": want sha256, sha384 or sha512 followed by lowercase hex")
}

func tagInvalid(tag string) *registryerr.Error {
	return registryerr.New(registryerr.TagInvalid,
		"invalid tag "+`"`+snippet(tag)+`"`+": want [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")
}
