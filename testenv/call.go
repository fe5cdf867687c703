package testenv

import (
	"context"
	"net/http"
	"time"
)

// Call makes one request to the gateway, as a registry client would: Basic
// credentials user:password (none when both are empty), header added, no
// redirect followed. It fails t if the request cannot be made and closes the
// answer's body when the test ends; the caller reads what it needs.
func (e *Env) Call(t TB, method, path, user, password string, header http.Header) *http.Response {
	t.Helper()
	return e.CallAt(t, e.GatewayURL, method, path, user, password, header)
}

// CallAt is Call to the gateway (or replica, Env.ReplicaURLs) at base.
func (e *Env) CallAt(t TB, base, method, path, user, password string, header http.Header) *http.Response {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	req, err := http.NewRequestWithContext(ctx, method, base+path, nil)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	if user != "" || password != "" {
		req.SetBasicAuth(user, password)
	}
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}
