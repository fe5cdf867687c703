package registryreq

// Kind is the registry endpoint a request addresses. The zero value is no
// endpoint, so that a Request nobody classified never passes for a login.
type Kind uint8

// The endpoints of the OCI distribution API the gateway knows.
const (
	// Base is GET /v2/, what `docker login` calls.
	Base Kind = iota + 1
	// Catalog is GET /v2/_catalog.
	Catalog
	// Manifest is /v2/<name>/manifests/<reference>.
	Manifest
	// Blob is /v2/<name>/blobs/<digest>.
	Blob
	// UploadStart is POST /v2/<name>/blobs/uploads/, possibly a mount or a
	// monolithic upload.
	UploadStart
	// UploadSession is /v2/<name>/blobs/uploads/<session id>.
	UploadSession
	// TagsList is GET /v2/<name>/tags/list.
	TagsList
	// Referrers is the OCI 1.1 GET /v2/<name>/referrers/<digest>.
	Referrers
)

var kindNames = [...]string{
	Base:          "base",
	Catalog:       "catalog",
	Manifest:      "manifest",
	Blob:          "blob",
	UploadStart:   "upload_start",
	UploadSession: "upload_session",
	TagsList:      "tags_list",
	Referrers:     "referrers",
}

// String returns the kind's lowercase name, as logs write it.
func (k Kind) String() string {
	if k == 0 || int(k) >= len(kindNames) {
		return "invalid"
	}
	return kindNames[k]
}
