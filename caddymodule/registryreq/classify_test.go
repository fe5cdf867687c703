package registryreq

import (
	"errors"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/oatgate/oatgate/caddymodule/access"
	"github.com/oatgate/oatgate/caddymodule/registryerr"
)

const (
	sha   = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	sha2  = "sha256:fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"
	sha5  = "sha512:" + "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef" + "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	uuid  = "6f2d1ab6-1b5a-4c3e-9d6e-6f0a5b1c2d3e"
	octet = "application/octet-stream"
)

// inputFor builds an Input from a raw request target the way net/http would
// parse it, so that Path and RawPath are exactly what the gateway sees.
func inputFor(t testing.TB, method, target, contentType string) Input {
	t.Helper()
	u, err := url.ParseRequestURI(target)
	if err != nil {
		t.Fatalf("parsing request target %q: %v", target, err)
	}
	return Input{Method: method, Path: u.Path, RawPath: u.RawPath, RawQuery: u.RawQuery, ContentType: contentType}
}

func TestClassifyAccepts(t *testing.T) {
	pull := func(repo string) []access.Access { return []access.Access{{Repository: repo, Action: access.Pull}} }
	push := func(repo string) []access.Access { return []access.Access{{Repository: repo, Action: access.Push}} }
	del := func(repo string) []access.Access { return []access.Access{{Repository: repo, Action: access.Delete}} }
	tests := []struct {
		name   string
		method string
		target string
		ct     string
		want   Request
		needs  []access.Access
	}{
		{"GET /v2/ is the base endpoint and needs no repository", "GET", "/v2/", "", Request{Kind: Base}, nil},
		{"HEAD /v2/ is the base endpoint too", "HEAD", "/v2/", "", Request{Kind: Base}, nil},
		{"GET /v2/_catalog is the catalog", "GET", "/v2/_catalog", "", Request{Kind: Catalog}, nil},
		{"catalog pagination is read", "GET", "/v2/_catalog?n=10&last=acme%2Fapp", "", Request{Kind: Catalog, N: 10, HasN: true, Last: "acme/app"}, nil},
		{"catalog n above MaxN reads as MaxN", "GET", "/v2/_catalog?n=99999999999999999999999", "", Request{Kind: Catalog, N: MaxN, HasN: true}, nil},
		{"catalog n=0 is given and zero", "GET", "/v2/_catalog?n=0", "", Request{Kind: Catalog, N: 0, HasN: true}, nil},
		{"catalog empty n is absent", "GET", "/v2/_catalog?n=", "", Request{Kind: Catalog}, nil},
		{"an empty n is absent", "GET", "/v2/_catalog?n=", "", Request{Kind: Catalog}, nil},
		{"a manifest GET by tag needs pull", "GET", "/v2/acme/app/manifests/latest", "", Request{Kind: Manifest, Repository: "acme/app", Reference: "latest"}, pull("acme/app")},
		{"a manifest HEAD by digest needs pull", "HEAD", "/v2/acme/app/manifests/" + sha, "", Request{Kind: Manifest, Repository: "acme/app", Reference: sha}, pull("acme/app")},
		{"a manifest by sha512 digest is accepted", "GET", "/v2/acme/app/manifests/" + sha5, "", Request{Kind: Manifest, Repository: "acme/app", Reference: sha5}, pull("acme/app")},
		{"a manifest PUT needs push", "PUT", "/v2/acme/app/manifests/v1.2.3", "application/vnd.oci.image.manifest.v1+json", Request{Kind: Manifest, Repository: "acme/app", Reference: "v1.2.3"}, push("acme/app")},
		{"a manifest DELETE needs delete", "DELETE", "/v2/acme/app/manifests/" + sha, "", Request{Kind: Manifest, Repository: "acme/app", Reference: sha}, del("acme/app")},
		{"a name may contain the word manifests", "GET", "/v2/a/manifests/b/manifests/latest", "", Request{Kind: Manifest, Repository: "a/manifests/b", Reference: "latest"}, pull("a/manifests/b")},
		{"a name may contain blobs and uploads", "GET", "/v2/a/blobs/uploads/x/manifests/_tag", "", Request{Kind: Manifest, Repository: "a/blobs/uploads/x", Reference: "_tag"}, pull("a/blobs/uploads/x")},
		{"a name with every separator is accepted", "GET", "/v2/a.b/c_d/e__f/g---h/0/manifests/t", "", Request{Kind: Manifest, Repository: "a.b/c_d/e__f/g---h/0", Reference: "t"}, pull("a.b/c_d/e__f/g---h/0")},
		{"a domain-like lowercase first component is just a name", "GET", "/v2/example.com/app/manifests/t", "", Request{Kind: Manifest, Repository: "example.com/app", Reference: "t"}, pull("example.com/app")},
		{"a 128-character tag is accepted", "GET", "/v2/a/manifests/" + strings.Repeat("T", 128), "", Request{Kind: Manifest, Repository: "a", Reference: strings.Repeat("T", 128)}, pull("a")},
		{"a 255-character name is accepted", "GET", "/v2/" + strings.Repeat("a", 255) + "/tags/list", "", Request{Kind: TagsList, Repository: strings.Repeat("a", 255)}, pull(strings.Repeat("a", 255))},
		{"a blob GET needs pull", "GET", "/v2/acme/app/blobs/" + sha, "", Request{Kind: Blob, Repository: "acme/app", Digest: sha}, pull("acme/app")},
		{"a blob HEAD needs pull", "HEAD", "/v2/acme/app/blobs/" + sha, "", Request{Kind: Blob, Repository: "acme/app", Digest: sha}, pull("acme/app")},
		{"a blob DELETE needs delete", "DELETE", "/v2/acme/app/blobs/" + sha, "", Request{Kind: Blob, Repository: "acme/app", Digest: sha}, del("acme/app")},
		{"tags list needs pull", "GET", "/v2/acme/app/tags/list?n=5&last=v1", "", Request{Kind: TagsList, Repository: "acme/app", N: 5, HasN: true, Last: "v1"}, pull("acme/app")},
		{"referrers needs pull", "GET", "/v2/acme/app/referrers/" + sha + "?artifactType=application%2Fvnd.example%2Bjson", "", Request{Kind: Referrers, Repository: "acme/app", Digest: sha, ArtifactType: "application/vnd.example+json"}, pull("acme/app")},
		{"an upload start needs push", "POST", "/v2/acme/app/blobs/uploads/", "", Request{Kind: UploadStart, Repository: "acme/app"}, push("acme/app")},
		{"a monolithic upload start keeps its digest", "POST", "/v2/acme/app/blobs/uploads/?digest=" + sha, octet, Request{Kind: UploadStart, Repository: "acme/app", Digest: sha}, push("acme/app")},
		{"a mount needs push here and pull on from", "POST", "/v2/acme/app/blobs/uploads/?mount=" + sha + "&from=acme%2Fbase", "", Request{Kind: UploadStart, Repository: "acme/app", Digest: sha, Mount: true, MountFrom: "acme/base"},
			[]access.Access{{Repository: "acme/app", Action: access.Push}, {Repository: "acme/base", Action: access.Pull}}},
		{"an unescaped from is read the same", "POST", "/v2/acme/app/blobs/uploads/?from=acme/base&mount=" + sha, "", Request{Kind: UploadStart, Repository: "acme/app", Digest: sha, Mount: true, MountFrom: "acme/base"},
			[]access.Access{{Repository: "acme/app", Action: access.Push}, {Repository: "acme/base", Action: access.Pull}}},
		{"mount without from is a plain upload that keeps the mount flag", "POST", "/v2/acme/app/blobs/uploads/?mount=" + sha, "", Request{Kind: UploadStart, Repository: "acme/app", Digest: sha, Mount: true}, push("acme/app")},
		{"from without mount is ignored as the registry ignores it", "POST", "/v2/acme/app/blobs/uploads/?from=other%2Frepo", "", Request{Kind: UploadStart, Repository: "acme/app"}, push("acme/app")},
		{"an encoded key is read as the registry reads it", "POST", "/v2/acme/app/blobs/uploads/?%6Dount=" + sha + "&fro%6D=acme%2Fbase", "", Request{Kind: UploadStart, Repository: "acme/app", Digest: sha, Mount: true, MountFrom: "acme/base"},
			[]access.Access{{Repository: "acme/app", Action: access.Push}, {Repository: "acme/base", Action: access.Pull}}},
		{"an upload status GET needs push", "GET", "/v2/acme/app/blobs/uploads/" + uuid, "", Request{Kind: UploadSession, Repository: "acme/app", SessionID: uuid}, push("acme/app")},
		{"an upload status HEAD needs push", "HEAD", "/v2/acme/app/blobs/uploads/" + uuid, "", Request{Kind: UploadSession, Repository: "acme/app", SessionID: uuid}, push("acme/app")},
		{"an upload PATCH needs push", "PATCH", "/v2/acme/app/blobs/uploads/" + uuid + "?_state=abc%3D%3D", octet, Request{Kind: UploadSession, Repository: "acme/app", SessionID: uuid}, push("acme/app")},
		{"a closing upload PUT keeps its digest", "PUT", "/v2/acme/app/blobs/uploads/" + uuid + "?digest=" + sha2, octet, Request{Kind: UploadSession, Repository: "acme/app", SessionID: uuid, Digest: sha2}, push("acme/app")},
		{"an upload cancel needs push", "DELETE", "/v2/acme/app/blobs/uploads/" + uuid, "", Request{Kind: UploadSession, Repository: "acme/app", SessionID: uuid}, push("acme/app")},
		{"a session id named uploads is a session id", "GET", "/v2/a/blobs/uploads/uploads", "", Request{Kind: UploadSession, Repository: "a", SessionID: "uploads"}, push("a")},
		{"other query parameters pass through", "GET", "/v2/a/manifests/t?x=1&x=2&y=%zz", "", Request{Kind: Manifest, Repository: "a", Reference: "t"}, pull("a")},
		{"a JSON content type on a write is fine", "PUT", "/v2/a/manifests/t", "application/json; charset=utf-8", Request{Kind: Manifest, Repository: "a", Reference: "t"}, push("a")},
		{"a form content type on a read is not a body to worry about", "GET", "/v2/a/manifests/t", "application/x-www-form-urlencoded", Request{Kind: Manifest, Repository: "a", Reference: "t"}, pull("a")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Classify(inputFor(t, tt.method, tt.target, tt.ct))
			if err != nil {
				t.Fatalf("Classify(%s %s) error: %v, want none", tt.method, tt.target, err)
			}
			gotNeeds := slices.Clone(got.Needs())
			got.needs, got.nNeeds = [2]access.Access{}, 0
			if got != tt.want {
				t.Errorf("Classify(%s %s)\n got %+v\nwant %+v", tt.method, tt.target, got, tt.want)
			}
			if !slices.Equal(gotNeeds, tt.needs) {
				t.Errorf("Needs() = %v, want %v", gotNeeds, tt.needs)
			}
		})
	}
}

func TestClassifyRefuses(t *testing.T) {
	tests := []struct {
		name   string
		method string
		target string
		ct     string
		code   registryerr.Code
	}{
		// Unknown routes and methods.
		{"a path outside /v2/ is no route", "GET", "/v1/acme/app/manifests/latest", "", registryerr.NotFound},
		{"/v2 without its slash is no route", "GET", "/v2", "", registryerr.NotFound},
		{"a bare repository path is no route", "GET", "/v2/acme/app", "", registryerr.NotFound},
		{"a single component is no route", "GET", "/v2/acme", "", registryerr.NotFound},
		{"manifests without a name is no route", "GET", "/v2/manifests/latest", "", registryerr.NotFound},
		{"tags other than list is no route", "GET", "/v2/a/tags/all", "", registryerr.NotFound},
		{"a trailing slash after tags/list is no route", "GET", "/v2/a/tags/list/", "", registryerr.NotFound},
		{"a trailing slash after a manifest is no route", "GET", "/v2/a/manifests/latest/", "", registryerr.NotFound},
		{"uploads without blobs is no route", "GET", "/v2/a/uploads/" + uuid, "", registryerr.NotFound},
		{"an upload start without its slash is no route", "POST", "/v2/a/blobs/uploads", "", registryerr.NotFound},
		{"upload session without a name is no route", "GET", "/v2/blobs/uploads/" + uuid, "", registryerr.NotFound},
		{"a session id with a colon is no route", "GET", "/v2/a/blobs/uploads/a:b", "", registryerr.NotFound},
		{"the catalog with a trailing slash is no route", "GET", "/v2/_catalog/", "", registryerr.NotFound},
		{"a space in the path is no route", "GET", "/v2/a%20b/manifests/t", "", registryerr.NotFound},
		{"a lowercase method is not GET", "get", "/v2/a/manifests/t", "", registryerr.Unsupported},
		{"POST on a manifest is unsupported", "POST", "/v2/a/manifests/t", "", registryerr.Unsupported},
		{"PATCH on a manifest is unsupported", "PATCH", "/v2/a/manifests/t", "", registryerr.Unsupported},
		{"PUT on a blob is unsupported", "PUT", "/v2/a/blobs/" + sha, "", registryerr.Unsupported},
		{"GET on the upload start is unsupported", "GET", "/v2/a/blobs/uploads/", "", registryerr.Unsupported},
		{"POST on a session is unsupported", "POST", "/v2/a/blobs/uploads/" + uuid, "", registryerr.Unsupported},
		{"HEAD on tags list is unsupported", "HEAD", "/v2/a/tags/list", "", registryerr.Unsupported},
		{"HEAD on the catalog is unsupported", "HEAD", "/v2/_catalog", "", registryerr.Unsupported},
		{"DELETE on referrers is unsupported", "DELETE", "/v2/a/referrers/" + sha, "", registryerr.Unsupported},
		{"POST on the base is unsupported", "POST", "/v2/", "", registryerr.Unsupported},
		{"OPTIONS is outside the table", "OPTIONS", "/v2/a/manifests/t", "", registryerr.Unsupported},
		// Names.
		{"an uppercase name is invalid", "GET", "/v2/ACME/app/manifests/t", "", registryerr.NameInvalid},
		{"a host:port prefix is invalid", "GET", "/v2/localhost:5000/acme/app/manifests/t", "", registryerr.NameInvalid},
		{"a trailing separator is invalid", "GET", "/v2/acme-/app/manifests/t", "", registryerr.NameInvalid},
		{"a leading separator is invalid", "GET", "/v2/_acme/manifests/t", "", registryerr.NameInvalid},
		{"three underscores are invalid", "GET", "/v2/a___b/manifests/t", "", registryerr.NameInvalid},
		{"a dotted pair is invalid", "GET", "/v2/a..b/manifests/t", "", registryerr.NameInvalid},
		{"a plus in a name is invalid", "GET", "/v2/a+b/manifests/t", "", registryerr.NameInvalid},
		{"a 256-character name is invalid", "GET", "/v2/" + strings.Repeat("a", 256) + "/tags/list", "", registryerr.NameInvalid},
		{"an invalid from is refused", "POST", "/v2/a/blobs/uploads/?mount=" + sha + "&from=Other", "", registryerr.NameInvalid},
		{"a from with a host is refused", "POST", "/v2/a/blobs/uploads/?mount=" + sha + "&from=localhost%3A5000%2Fx", "", registryerr.NameInvalid},
		{"a plus-decoded space in from is refused", "POST", "/v2/a/blobs/uploads/?mount=" + sha + "&from=a+b", "", registryerr.NameInvalid},
		// References and digests.
		{"a tag starting with a dash is invalid", "GET", "/v2/a/manifests/-t", "", registryerr.TagInvalid},
		{"a 129-character tag is invalid", "GET", "/v2/a/manifests/" + strings.Repeat("t", 129), "", registryerr.TagInvalid},
		{"a tag with a plus is invalid", "GET", "/v2/a/manifests/t+1", "", registryerr.TagInvalid},
		{"a short digest is invalid", "GET", "/v2/a/manifests/sha256:abc", "", registryerr.DigestInvalid},
		{"an uppercase hex digest is invalid", "GET", "/v2/a/blobs/sha256:" + strings.Repeat("A", 64), "", registryerr.DigestInvalid},
		{"an unknown algorithm is invalid", "GET", "/v2/a/blobs/md5:" + strings.Repeat("a", 32), "", registryerr.DigestInvalid},
		{"a blob that is not a digest is invalid", "GET", "/v2/a/blobs/latest", "", registryerr.DigestInvalid},
		{"a referrers subject that is not a digest is invalid", "GET", "/v2/a/referrers/latest", "", registryerr.DigestInvalid},
		{"an invalid mount digest is refused", "POST", "/v2/a/blobs/uploads/?mount=sha256:x&from=b", "", registryerr.DigestInvalid},
		{"an invalid monolithic digest is refused", "POST", "/v2/a/blobs/uploads/?digest=nope", "", registryerr.DigestInvalid},
		{"an invalid closing digest is refused", "PUT", "/v2/a/blobs/uploads/" + uuid + "?digest=sha256:1", "", registryerr.DigestInvalid},
		// Path tricks.
		{"a dot-dot segment is refused", "GET", "/v2/a/../b/manifests/t", "", registryerr.NotFound},
		{"a dot segment is refused", "GET", "/v2/a/./b/manifests/t", "", registryerr.NotFound},
		{"a dot-dot tag is refused", "GET", "/v2/a/manifests/..", "", registryerr.NotFound},
		{"an encoded dot-dot segment is refused", "GET", "/v2/a/%2e%2e/b/manifests/t", "", registryerr.UnsupportedRequest},
		{"an empty component is refused", "GET", "/v2/a//b/manifests/t", "", registryerr.NotFound},
		{"a leading empty component is refused", "GET", "/v2//a/manifests/t", "", registryerr.NotFound},
		{"an encoded slash is refused", "GET", "/v2/acme%2Fapp/manifests/t", "", registryerr.UnsupportedRequest},
		{"an encoded letter is refused", "GET", "/v2/%61cme/app/manifests/t", "", registryerr.UnsupportedRequest},
		{"an encoded percent is refused", "GET", "/v2/a%25b/manifests/t", "", registryerr.UnsupportedRequest},
		{"an encoded NUL is refused", "GET", "/v2/a%00/manifests/t", "", registryerr.UnsupportedRequest},
		{"non-ASCII is no route", "GET", "/v2/caf%C3%A9/manifests/t", "", registryerr.NotFound},
		{"raw non-ASCII is no route", "GET", "/v2/caf\xc3\xa9/manifests/t", "", registryerr.NotFound},
		{"an absurdly long path is refused", "GET", "/v2/" + strings.Repeat("a/", 1100) + "manifests/t", "", registryerr.UnsupportedRequest},
		// Query tricks.
		{"mount given twice is refused", "POST", "/v2/a/blobs/uploads/?mount=" + sha + "&mount=" + sha2 + "&from=b", "", registryerr.UnsupportedRequest},
		{"from given twice is refused", "POST", "/v2/a/blobs/uploads/?mount=" + sha + "&from=b&from=c", "", registryerr.UnsupportedRequest},
		{"digest given twice is refused", "PUT", "/v2/a/blobs/uploads/" + uuid + "?digest=" + sha + "&digest=" + sha2, "", registryerr.UnsupportedRequest},
		{"an encoded duplicate key is refused", "POST", "/v2/a/blobs/uploads/?from=b&%66rom=c&mount=" + sha, "", registryerr.UnsupportedRequest},
		{"an empty duplicate still counts", "POST", "/v2/a/blobs/uploads/?mount=&mount=" + sha, "", registryerr.UnsupportedRequest},
		{"n given twice is refused", "GET", "/v2/a/tags/list?n=1&n=2", "", registryerr.UnsupportedRequest},
		{"last given twice is refused", "GET", "/v2/_catalog?last=a&last=b", "", registryerr.UnsupportedRequest},
		{"artifactType given twice is refused", "GET", "/v2/a/referrers/" + sha + "?artifactType=x&artifactType=y", "", registryerr.UnsupportedRequest},
		{"a semicolon separator is refused", "POST", "/v2/a/blobs/uploads/?mount=" + sha + ";from=b", "", registryerr.UnsupportedRequest},
		{"an invalid escape in a key is refused", "POST", "/v2/a/blobs/uploads/?mo%zznt=1", "", registryerr.UnsupportedRequest},
		{"an invalid escape in from is refused", "POST", "/v2/a/blobs/uploads/?mount=" + sha + "&from=%zz", "", registryerr.UnsupportedRequest},
		{"mount with digest is refused", "POST", "/v2/a/blobs/uploads/?mount=" + sha + "&from=b&digest=" + sha, "", registryerr.UnsupportedRequest},
		{"an absurdly long query is refused", "GET", "/v2/a/manifests/t?x=" + strings.Repeat("y", MaxQueryLength), "", registryerr.UnsupportedRequest},
		{"a negative n is refused", "GET", "/v2/a/tags/list?n=-1", "", registryerr.PaginationInvalid},
		{"a non-numeric n is refused", "GET", "/v2/_catalog?n=ten", "", registryerr.PaginationInvalid},
		// Bodies.
		{"a form body on an upload start is refused", "POST", "/v2/a/blobs/uploads/", "application/x-www-form-urlencoded", registryerr.UnsupportedRequest},
		{"a form body in odd case is refused", "POST", "/v2/a/blobs/uploads/", " Application/X-WWW-Form-Urlencoded ; charset=utf-8", registryerr.UnsupportedRequest},
		{"a multipart body on a closing PUT is refused", "PUT", "/v2/a/blobs/uploads/" + uuid, "multipart/form-data; boundary=x", registryerr.UnsupportedRequest},
		{"a multipart body on a PATCH is refused", "PATCH", "/v2/a/blobs/uploads/" + uuid, "MULTIPART/mixed", registryerr.UnsupportedRequest},
		{"a form body on a manifest PUT is refused", "PUT", "/v2/a/manifests/t", "application/x-www-form-urlencoded", registryerr.UnsupportedRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Classify(inputFor(t, tt.method, tt.target, tt.ct))
			var rerr *registryerr.Error
			if !errors.As(err, &rerr) {
				t.Fatalf("Classify(%s %s) = %+v, %v; want a *registryerr.Error with code %s", tt.method, snippet(tt.target), got, err, tt.code.Value)
			}
			if rerr.Code != tt.code {
				t.Errorf("Classify(%s %s) code = %s %d (%s), want %s %d", tt.method, snippet(tt.target), rerr.Code.Value, rerr.Code.Status, rerr.Detail, tt.code.Value, tt.code.Status)
			}
			if len(rerr.Detail) > 300 {
				t.Errorf("detail is %d bytes, want at most 300: %q", len(rerr.Detail), rerr.Detail)
			}
		})
	}
}

func TestClassifyRefusesControlCharactersInTheRawInput(t *testing.T) {
	tests := []struct {
		name string
		in   Input
	}{
		{"a NUL in the decoded path is refused", Input{Method: "GET", Path: "/v2/a\x00/manifests/t"}},
		{"a newline in the decoded path is refused", Input{Method: "GET", Path: "/v2/a/manifests/t\n"}},
		{"a DEL in a parameter that matters is refused", Input{Method: "POST", Path: "/v2/a/blobs/uploads/", RawQuery: "mount=" + sha + "&from=b\x7f"}},
		{"a NUL in a parameter that matters is refused", Input{Method: "GET", Path: "/v2/a/tags/list", RawQuery: "last=\x00"}},
		{"a raw path that differs only in case of escapes is refused", Input{Method: "GET", Path: "/v2/a/b/manifests/t", RawPath: "/v2/a%2fb/manifests/t"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Classify(tt.in)
			var rerr *registryerr.Error
			if !errors.As(err, &rerr) || rerr.Code != registryerr.UnsupportedRequest {
				t.Errorf("Classify(%q) error = %v, want an UnsupportedRequest refusal", tt.in.Path, err)
			}
		})
	}
}

func TestClassifyReadsPageSizeWithoutPolicy(t *testing.T) {
	tests := []struct {
		name  string
		query string
		want  int
	}{
		{"n is read as given", "n=7", 7},
		{"a large n is read as given", "n=5000", 5000},
		{"n past MaxN does not overflow", "n=99999999999999999999999999", MaxN},
		{"n=0 stays 0", "n=0", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Classify(Input{Method: "GET", Path: "/v2/a/tags/list", RawQuery: tt.query})
			if err != nil {
				t.Fatalf("Classify error: %v", err)
			}
			if got.N != tt.want || !got.HasN {
				t.Errorf("N, HasN = %d, %v; want %d, true", got.N, got.HasN, tt.want)
			}
		})
	}
}

func TestRefusalDetailsAreBoundedAndPrintable(t *testing.T) {
	hostile := strings.Repeat("\x01<script>", 100)
	_, err := Classify(Input{Method: "GET", Path: "/v2/a/manifests/" + "A" + strings.Repeat("é", 10) + "x"})
	var rerr *registryerr.Error
	if !errors.As(err, &rerr) {
		t.Fatalf("Classify error = %v, want a refusal", err)
	}
	for _, s := range []string{snippet(hostile), rerr.Detail} {
		if len(s) > 300 {
			t.Errorf("detail %q is %d bytes, want at most 300", s, len(s))
		}
		for i := 0; i < len(s); i++ {
			if s[i] < 0x20 || s[i] > 0x7e {
				t.Errorf("detail %q holds byte %#x at %d, want printable ASCII only", s, s[i], i)
				break
			}
		}
	}
}

func TestKindStringNamesEveryKind(t *testing.T) {
	tests := []struct {
		kind Kind
		want string
	}{
		{0, "invalid"}, {Base, "base"}, {Catalog, "catalog"}, {Manifest, "manifest"}, {Blob, "blob"},
		{UploadStart, "upload_start"}, {UploadSession, "upload_session"}, {TagsList, "tags_list"},
		{Referrers, "referrers"}, {Referrers + 1, "invalid"},
	}
	for _, tt := range tests {
		t.Run("kind "+tt.want+" prints as its name", func(t *testing.T) {
			if got := tt.kind.String(); got != tt.want {
				t.Errorf("Kind(%d).String() = %q, want %q", tt.kind, got, tt.want)
			}
		})
	}
}

func TestActionIsTheActionOnTheRepository(t *testing.T) {
	r, err := Classify(inputFor(t, "POST", "/v2/a/blobs/uploads/?mount="+sha+"&from=b", ""))
	if err != nil {
		t.Fatalf("Classify error: %v", err)
	}
	if got := r.Action(); got != access.Push {
		t.Errorf("Action() = %v, want push", got)
	}
	base, err := Classify(inputFor(t, "GET", "/v2/", ""))
	if err != nil {
		t.Fatalf("Classify error: %v", err)
	}
	if got := base.Action(); got != 0 {
		t.Errorf("base Action() = %v, want 0 (none)", got)
	}
	if got := (&Request{}).Needs(); len(got) != 0 {
		t.Errorf("zero Request Needs() = %v, want none", got)
	}
}
