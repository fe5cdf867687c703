package federation

import (
	"errors"
	"io"
	"net/http"
)

// errTooLarge ends the reading of an issuer's answer longer than
// maxDocument.
var errTooLarge = errors.New("issuer answer larger than 1 MiB")

// bounded returns a copy of client whose answers end with errTooLarge past
// maxDocument bytes: go-oidc reads a discovery document whole, and an
// issuer is a remote party.
func bounded(client *http.Client) *http.Client {
	c := *client
	base := c.Transport
	if base == nil {
		base = http.DefaultTransport
	}
	c.Transport = boundedTransport{base: base}
	return &c
}

type boundedTransport struct{ base http.RoundTripper }

func (t boundedTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	res, err := t.base.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	res.Body = &boundedBody{body: res.Body, left: maxDocument}
	return res, nil
}

// boundedBody reads at most left bytes, then fails.
type boundedBody struct {
	body io.ReadCloser
	left int64
}

func (b *boundedBody) Read(p []byte) (int, error) {
	if b.left <= 0 {
		// One byte more tells a body of exactly maxDocument from a longer one.
		var one [1]byte
		if n, _ := b.body.Read(one[:]); n > 0 {
			return 0, errTooLarge
		}
		return 0, io.EOF
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.body.Read(p)
	b.left -= int64(n)
	return n, err
}

func (b *boundedBody) Close() error { return b.body.Close() }
