package e2e

import (
	"io"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// v1Hash digests everything rc yields and closes it.
func v1Hash(rc io.ReadCloser) (v1.Hash, int64, error) {
	defer rc.Close()
	return v1.SHA256(rc)
}
