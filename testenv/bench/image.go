package bench

import (
	"context"
	"fmt"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// PushSmallImage pushes a random two-layer image of 4 KiB layers to
// host/repository:tag through the gateway at host and returns the request
// mix that pulls it.
func PushSmallImage(ctx context.Context, host, repository, tag, org, secret string) (*Mix, error) {
	img, err := random.Image(4096, 2)
	if err != nil {
		return nil, fmt.Errorf("making the image: %w", err)
	}
	ref, err := name.NewTag(host+"/"+repository+":"+tag, name.Insecure)
	if err != nil {
		return nil, err
	}
	auth := remote.WithAuth(&authn.Basic{Username: org, Password: secret})
	if err := remote.Write(ref, img, auth, remote.WithContext(ctx)); err != nil {
		return nil, fmt.Errorf("pushing %s: %w", ref, err)
	}
	config, err := img.ConfigName()
	if err != nil {
		return nil, err
	}
	return &Mix{Repository: repository, Tag: tag, BlobDigest: config.String(), Auth: BasicAuth(org, secret)}, nil
}
