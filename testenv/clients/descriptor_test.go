package clients

import (
	"testing"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// descriptorOf is the descriptor of one of img's layers, by digest.
func descriptorOf(t *testing.T, d string) ocispec.Descriptor {
	t.Helper()
	layers, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range layers {
		ld, _ := l.Digest()
		if ld.String() != d {
			continue
		}
		size, err := l.Size()
		if err != nil {
			t.Fatal(err)
		}
		mt, err := l.MediaType()
		if err != nil {
			t.Fatal(err)
		}
		return ocispec.Descriptor{MediaType: string(mt), Digest: digest.Digest(d), Size: size}
	}
	t.Fatalf("no layer %s in the test image", d)
	return ocispec.Descriptor{}
}
