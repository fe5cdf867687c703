package adversarial

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/oatgate/oatgate/testenv"
)

// upload is POST /v2/acme/app/blobs/uploads/ with query as acme-app, which
// may push acme/app and pull acme/lib only.
func upload(query string) func(*testing.T) wire {
	return func(*testing.T) wire {
		return fx.as(acmeApp, req(http.MethodPost, "/v2/acme/app/blobs/uploads/?"+query))
	}
}

// mountQuery is mount=<seeded blob>&from=from.
func mountQuery(from string) string {
	return "mount=" + fx.blob + "&from=" + from
}

// lazy defers building a query until fx exists.
func lazy(q func() string) func(*testing.T) wire {
	return func(t *testing.T) wire { return upload(q())(t) }
}

// mountDropped checks that the registry received the upload start without
// mount or from: a plain upload.
func mountDropped(t *testing.T, seen []testenv.SeenRequest) {
	t.Helper()
	if len(seen) != 1 {
		t.Fatalf("the registry saw %d requests, want the one upload start", len(seen))
	}
	q, err := url.ParseQuery(seen[0].RawQuery)
	if err != nil {
		t.Fatal(err)
	}
	if q.Has("mount") || q.Has("from") {
		t.Errorf("the registry received mount/from: got query %q, want neither", seen[0].RawQuery)
	}
}

func mountRows() []row {
	return []row{
		{reason: "a mount from a repository the token may pull is a real mount", build: lazy(func() string { return mountQuery("acme/lib") }),
			status: 201, reaches: true},
		{reason: "a mount from a repository the token may not pull becomes a plain upload", build: lazy(func() string { return mountQuery("acme/secret") }),
			status: 202, reaches: true, check: mountDropped},
		{reason: "a mount from another org becomes a plain upload", build: lazy(func() string { return mountQuery("globex/secret") }),
			status: 202, reaches: true, check: mountDropped},
		{reason: "a mount without from becomes a plain upload (no anonymous mount)", build: lazy(func() string { return "mount=" + fx.blob }),
			status: 202, reaches: true, check: mountDropped},
		{reason: "from given twice is refused", build: lazy(func() string { return mountQuery("acme/lib") + "&from=globex/secret" }),
			status: 400, code: "UNSUPPORTED"},
		{reason: "mount given twice is refused", build: lazy(func() string { return mountQuery("acme/lib") + "&mount=" + fx.blob }),
			status: 400, code: "UNSUPPORTED"},
		{reason: "a percent-encoded from key counts as from and is refused twice", build: lazy(func() string { return mountQuery("acme/lib") + "&%66rom=globex/secret" }),
			status: 400, code: "UNSUPPORTED"},
		{reason: "mount and from in a form-encoded body are refused", build: func(t *testing.T) wire {
			w := upload("")(t).with("Content-Type", "application/x-www-form-urlencoded")
			w.body = mountQuery("globex/secret")
			return w
		}, status: 400, code: "UNSUPPORTED"},
		{reason: "mount and from in a multipart body are refused", build: func(t *testing.T) wire {
			w := upload("")(t).with("Content-Type", "multipart/form-data; boundary=x")
			w.body = "--x\r\nContent-Disposition: form-data; name=\"from\"\r\n\r\nglobex/secret\r\n--x--\r\n"
			return w
		}, status: 400, code: "UNSUPPORTED"},
		{reason: "an uppercase from is refused", build: lazy(func() string { return mountQuery("Globex/Secret") }),
			status: 400, code: "NAME_INVALID"},
		{reason: "a from with dot-dot is refused", build: lazy(func() string { return mountQuery("acme/lib/../../globex/secret") }),
			status: 400, code: "NAME_INVALID"},
		{reason: "a percent-encoded from is read decoded, as the registry reads it", build: lazy(func() string { return mountQuery("globex%2Fsecret") }),
			status: 202, reaches: true, check: mountDropped},
	}
}
