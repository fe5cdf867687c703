package registryreq

import (
	_ "crypto/sha256" // registers sha256 with go-digest for the cross-check
	_ "crypto/sha512" // registers sha384 and sha512
	"regexp"
	"strings"
	"testing"

	"github.com/distribution/reference"
	"github.com/opencontainers/go-digest"
)

// FuzzClassify checks the differential property of
// TestClassifyAgreesWithTheRegistryRouter on arbitrary method, request
// target and Content-Type: whatever Classify accepts, distribution's router
// and form parsing read the same way.
func FuzzClassify(f *testing.F) {
	for _, target := range differentialExtras {
		f.Add("POST", target, "")
		f.Add("GET", target, "")
	}
	for i, n := range differentialNames {
		tail := differentialTails[i%len(differentialTails)]
		f.Add(differentialMethods[i%len(differentialMethods)], "/v2/"+n+tail, "")
	}
	f.Add("PUT", "/v2/a/blobs/uploads/"+uuid+"?digest="+sha, "application/x-www-form-urlencoded")
	f.Add("PATCH", "/v2/a/blobs/uploads/"+uuid, octet)
	f.Fuzz(func(t *testing.T, method, target, contentType string) {
		checkAgainstRegistry(t, method, target, contentType, nil)
	})
}

var (
	// ociName is the OCI distribution spec's name grammar, written out from
	// the spec rather than from our code.
	ociName      = regexp.MustCompile(`^[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*$`)
	refName      = regexp.MustCompile(`^` + reference.NameRegexp.String() + `$`)
	refTag       = regexp.MustCompile(`^` + reference.TagRegexp.String() + `$`)
	routerDigest = regexp.MustCompile(`^` + digest.DigestRegexp.String() + `$`)
	routerUUID   = regexp.MustCompile(`^[a-zA-Z0-9-_.=]+$`)
)

// checkValidators cross-checks the hand-written validators against the
// regexps and parsers of reference, go-digest and the router.
func checkValidators(t *testing.T, s string) {
	t.Helper()
	wantName := ociName.MatchString(s) && len(s) <= reference.RepositoryNameTotalLengthMax
	if got := validName(s); got != wantName {
		t.Errorf("validName(%q) = %v, OCI grammar says %v", s, got, wantName)
	}
	if validName(s) {
		if !refName.MatchString(s) {
			t.Errorf("validName(%q) but reference.NameRegexp does not match", s)
		}
		if _, err := reference.WithName(s); err != nil {
			t.Errorf("validName(%q) but reference.WithName: %v", s, err)
		}
	}
	if got, want := validTag(s), refTag.MatchString(s); got != want {
		t.Errorf("validTag(%q) = %v, reference.TagRegexp says %v", s, got, want)
	}
	d, err := digest.Parse(s)
	supported := err == nil && (d.Algorithm() == digest.SHA256 || d.Algorithm() == digest.SHA384 || d.Algorithm() == digest.SHA512)
	if got := validDigest(s); got != supported {
		t.Errorf("validDigest(%q) = %v, go-digest says %v (%v)", s, got, supported, err)
	}
	if validDigest(s) && !routerDigest.MatchString(s) {
		t.Errorf("validDigest(%q) but the router's digest pattern does not match", s)
	}
	if got, want := validSessionID(s), routerUUID.MatchString(s); got != want {
		t.Errorf("validSessionID(%q) = %v, the router's uuid pattern says %v", s, got, want)
	}
}

// FuzzValidators cross-checks name, tag, digest and session id validation.
func FuzzValidators(f *testing.F) {
	for _, s := range []string{
		"a", "acme/app", "a.b/c_d/e__f/g---h", "a___b", "a..b", "-a", "a-", "ACME", "localhost:5000/a",
		strings.Repeat("a", 255), strings.Repeat("a", 256), "latest", "_x", "v1.0-rc", strings.Repeat("t", 128), strings.Repeat("t", 129),
		sha, sha2, sha5, "sha256:abc", "sha384:" + strings.Repeat("a", 96), "md5:" + strings.Repeat("a", 32), "sha256:" + strings.Repeat("A", 64),
		uuid, "a=b.c_d", "a:b", "",
	} {
		f.Add(s)
	}
	f.Fuzz(checkValidators)
}

func TestValidatorsAgreeWithTheirReferences(t *testing.T) {
	tests := []string{
		"a", "acme/app", "a.b/c_d/e__f/g---h", "a___b", "a..b", "a._b", "-a", "a-", "a/", "/a", "a//b", "ACME", "localhost:5000/a",
		strings.Repeat("a", 255), strings.Repeat("a", 256), "latest", "_x", ".x", "v1.0-rc", strings.Repeat("t", 128), strings.Repeat("t", 129),
		sha, sha2, sha5, "sha256:abc", "sha384:" + strings.Repeat("a", 96), "md5:" + strings.Repeat("a", 32), "sha256:" + strings.Repeat("A", 64),
		"sha256+b64:" + strings.Repeat("a", 64), uuid, "a=b.c_d", "a:b", "", "é",
	}
	for _, s := range tests {
		t.Run("validators agree on "+snippet(s), func(t *testing.T) { checkValidators(t, s) })
	}
}
