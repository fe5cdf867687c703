package registryreq

import "github.com/oatgate/oatgate/caddymodule/access"

// Request is a classified registry request: the endpoint, the repository it
// acts on as the registry itself will resolve it, and the parameters that
// matter for authorization and usage events. Strings are slices of the input
// where no decoding was needed, so classifying does not copy the path.
type Request struct {
	// Kind is the endpoint.
	Kind Kind
	// Repository is the repository name, byte-exact as the registry's router
	// extracts it; "" for Base and Catalog.
	Repository string
	// Reference is the manifest's tag or digest; "" for other kinds.
	Reference string
	// Digest is the blob digest (Blob), the subject digest (Referrers), the
	// ?digest= of a monolithic upload start or a closing upload PUT, or the
	// ?mount= digest of a mount (see Mount).
	Digest string
	// SessionID is the upload session id of UploadSession requests.
	SessionID string
	// Mount is true when an UploadStart carries ?mount=<digest>; Digest
	// holds that digest. With MountFrom set, the request also needs pull on
	// MountFrom. With MountFrom empty, distribution ignores mount and starts a
	// plain upload, but the OCI spec lets a registry mount from any
	// repository it can read ("automatic content discovery"), so a gateway
	// should strip mount and from whenever MountFrom is "" or not granted.
	Mount bool
	// MountFrom is the validated repository name from ?from= on an
	// UploadStart with ?mount=; "" otherwise.
	MountFrom string
	// N is ?n= (Catalog and TagsList), at most MaxN; HasN tells whether it
	// was given (an empty value is absent, as for the registry). n=0 asks for
	// an empty page. How large a page may be is the gateway's policy.
	N    int
	HasN bool
	// Last is ?last= (Catalog and TagsList), decoded; "" when absent.
	Last string
	// ArtifactType is ?artifactType= (Referrers), decoded; "" when absent.
	ArtifactType string

	// needs is a fixed array so that classifying does not allocate.
	needs  [2]access.Access
	nNeeds uint8
}

// Needs returns the (repository, action) pairs the request needs: one for
// most requests, two for a mount (push on Repository, pull on MountFrom) and
// none for Base and Catalog, which any valid token may call. The slice
// shares r's storage; appending to it does not change r.
func (r *Request) Needs() []access.Access {
	return r.needs[:r.nNeeds:r.nNeeds]
}

// Action returns the action the request needs on r.Repository, or 0 for
// Base and Catalog.
func (r *Request) Action() access.Action {
	if r.nNeeds == 0 {
		return 0
	}
	return r.needs[0].Action
}

// need appends one pair to r's needs.
func (r *Request) need(repository string, a access.Action) {
	r.needs[r.nNeeds] = access.Access{Repository: repository, Action: a}
	r.nNeeds++
}
